namespace Sandbox86.Client;

/// <summary>Signals envd can send to a command's process group.</summary>
public enum SandboxSignal
{
    /// <summary>SIGTERM.</summary>
    Terminate = 15,

    /// <summary>SIGKILL.</summary>
    Kill = 9,
}
