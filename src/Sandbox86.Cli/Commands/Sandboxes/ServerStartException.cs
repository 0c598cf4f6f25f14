namespace Sandbox86.Cli.Commands.Sandboxes;

/// <summary>The local server could not be started.</summary>
internal sealed class ServerStartException : Sandbox86Exception
{
    public ServerStartException(string message)
        : base(message)
    {
    }
}
