namespace Sandbox86.Client;

/// <summary>
/// The command could not be started in the guest: not found (<see cref="ExitCode"/> 127) or not executable
/// (126), the codes a shell and <c>docker exec</c> use for the same failures.
/// </summary>
public sealed class SandboxProcessStartException : Sandbox86Exception
{
    /// <summary>Creates the error for a command that could not start.</summary>
    public SandboxProcessStartException(string command, int exitCode, string message)
        : base(message)
    {
        Command = command;
        ExitCode = exitCode;
    }

    /// <summary>The program that was to run (argv[0]).</summary>
    public string Command { get; }

    /// <summary>127 when the program was not found, 126 when it could not be executed, 125 when the agent could not set it up.</summary>
    public int ExitCode { get; }
}
