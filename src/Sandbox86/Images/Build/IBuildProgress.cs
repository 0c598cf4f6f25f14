namespace Sandbox86.Images.Build;

/// <summary>Receives build progress; the CLI renders it with Spectre.Console or as JSON lines.</summary>
public interface IBuildProgress
{
    /// <summary>A new phase starts (download kernel, debootstrap, index, ...).</summary>
    void Phase(string name);

    /// <summary>A line of detail within the current phase.</summary>
    void Detail(string message);

    /// <summary>Something went wrong but the build goes on (e.g. an entry an import skipped).</summary>
    void Warning(string message);
}

/// <summary>Progress that goes nowhere (library callers that don't care).</summary>
public sealed class NullBuildProgress : IBuildProgress
{
    /// <summary>The one shared instance (it has no state).</summary>
    public static readonly NullBuildProgress Instance = new();

    /// <summary>Ignores the phase.</summary>
    public void Phase(string name)
    {
    }

    /// <summary>Ignores the detail.</summary>
    public void Detail(string message)
    {
    }

    /// <summary>Ignores the warning.</summary>
    public void Warning(string message)
    {
    }
}
