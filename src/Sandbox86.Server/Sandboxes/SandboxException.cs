namespace Sandbox86.Server.Sandboxes;

/// <summary>A request the registry refuses, with the HTTP status the control plane answers.</summary>
internal sealed class SandboxException : Exception
{
    public SandboxException(int status, string message) : base(message) => Status = status;

    public int Status { get; }
}
