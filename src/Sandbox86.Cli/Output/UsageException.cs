namespace Sandbox86.Cli.Output;

/// <summary>A bad flag or argument combination.</summary>
internal sealed class UsageException : Exception
{
    public UsageException(string message) : base(message)
    {
    }
}
