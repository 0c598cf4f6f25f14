namespace Sandbox86.Images.Build;

/// <summary>Receives build progress; the CLI renders it with Spectre.Console or as JSON lines.</summary>
public interface IBuildProgress
{
    /// <summary>A new phase starts (download kernel, debootstrap, index, ...).</summary>
    void Phase(string name);

    /// <summary>A line of detail within the current phase.</summary>
    void Detail(string message);

    void Warning(string message);
}

/// <summary>Progress that goes nowhere (library callers that don't care).</summary>
public sealed class NullBuildProgress : IBuildProgress
{
    public static readonly NullBuildProgress Instance = new();

    public void Phase(string name)
    {
    }

    public void Detail(string message)
    {
    }

    public void Warning(string message)
    {
    }
}
