namespace Sandbox86.Images.Build;

/// <summary>
/// Images that are built from the Debian archive by name on first use: <c>default</c> (minbase with
/// bash, python3, busybox, sudo and the <c>user</c> account) and <c>base</c>, the image for agents
/// (the default plus what E2B's base template offers: nodejs, npm, git, curl, ca-certificates).
/// </summary>
public static class WellKnownImages
{
    /// <summary>The image a run uses when none is named: minbase plus bash, python3, busybox and sudo.</summary>
    public const string Default = "default";

    /// <summary>The agent image: the default image plus nodejs, npm, git, curl and ca-certificates.</summary>
    public const string Base = "base";

    /// <summary>What <c>base</c> adds to the default image.</summary>
    public static readonly IReadOnlyList<string> BasePackages = ["nodejs", "npm", "git", "curl", "ca-certificates"];

    /// <summary>The names <see cref="Find"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = [Default, Base];

    /// <summary>How to build <paramref name="name"/>, or null when it is not a well-known image.</summary>
    public static ImageBuildOptions? Find(string name) => name switch
    {
        Default => new ImageBuildOptions { Name = Default },
        Base => new ImageBuildOptions { Name = Base, Packages = BasePackages },
        _ => null,
    };

    /// <summary>A rough first-build time for progress messages (measured on a 2-core machine).</summary>
    public static string ExpectedBuildTime(string name) => name == Base ? "a few minutes" : "about a minute";
}
