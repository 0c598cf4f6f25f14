namespace Sandbox86.Images.Import;

/// <summary>Options shared by the importers.</summary>
internal sealed record ImportOptions
{
    /// <summary>The defaults: nothing excluded, OCI platform linux/386.</summary>
    public static ImportOptions Default { get; } = new();

    /// <summary>
    /// Absolute paths inside the image to leave out, each with everything below it
    /// (for example "/proc", "/boot", "/var/cache/apt/archives").
    /// </summary>
    public IReadOnlyCollection<string> Exclude { get; init; } = [];

    /// <summary>
    /// The OCI/Docker architecture to select and require ("386"). Null accepts whatever the image is,
    /// leaving the architecture check to <see cref="ElfCheck"/>.
    /// </summary>
    public string? Architecture { get; init; } = "386";

    /// <summary>How many files the directory importer hashes and compresses at once.</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Warnings kept in the report; further ones are only counted.</summary>
    public int MaxWarnings { get; init; } = 200;
}
