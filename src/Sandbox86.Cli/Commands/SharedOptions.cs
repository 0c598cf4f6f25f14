using System.CommandLine;

namespace Sandbox86.Cli.Commands;

/// <summary>Options several commands share.</summary>
internal static class SharedOptions
{
    public static Option<bool> Json() => new("--json") { Description = "Machine-readable JSON on stdout" };

    public static Option<string> Image() => new("--image")
    {
        Description = "Image name (see 'sandbox86 image ls')",
        DefaultValueFactory = _ => "default",
    };

    public static Option<int?> Memory() => new("--memory")
    {
        Description = "Guest memory in MB (default: the image's, 256)",
    };
}
