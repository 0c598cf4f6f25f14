using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Sandbox86.Cli.Output;
using Sandbox86.Images.Build;
using Sandbox86.Images.Store;
using Spectre.Console;

namespace Sandbox86.Cli.Commands.Images;

/// <summary><c>sandbox86 image build</c>.</summary>
internal static class ImageBuildCommand
{
    private static readonly Option<string> NameOption = new("--name") { Description = "Image name", DefaultValueFactory = _ => "default" };
    private static readonly Option<string?> FromDir = new("--from-dir") { Description = "Root filesystem from a directory" };
    private static readonly Option<string?> FromTar = new("--from-tar") { Description = "Root filesystem from a tarball (plain, gzip or zstd; e.g. 'docker export')" };
    private static readonly Option<string?> FromOci = new("--from-oci") { Description = "A 'docker save' archive or an OCI image layout (dir or tar)" };
    private static readonly Option<string?> FromEnv86 = new("--from-env86") { Description = "Import an env86 image directory" };
    private static readonly Option<string?> FromDockerfile = new("--from-dockerfile") { Description = "Build a Dockerfile for linux/386 (needs a Docker engine)" };
    private static readonly Option<string?> Packages = new("--packages") { Description = "Extra Debian packages, comma-separated (Debian builds)" };
    private static readonly Option<string> Suite = new("--suite") { Description = "Debian suite", DefaultValueFactory = _ => "bookworm" };
    private static readonly Option<int> MemoryOption = new("--memory") { Description = "Default guest memory in MB", DefaultValueFactory = _ => 256 };
    private static readonly Option<bool> NoCompress = new("--no-compress") { Description = "Store chunks uncompressed (.bin instead of .bin.zst)" };
    private static readonly Option<string?> Cmdline = new("--cmdline") { Description = "Kernel command line (default: the tuned one)" };
    private static readonly Option<bool> JsonOption = SharedOptions.Json();
    private static readonly Option<bool> IfStale = new("--if-stale") { Description = "Build only if the image is missing or was built with another guest agent" };

    public static Command Create()
    {
        var command = new Command("build", "Build a bootable image (default: Debian bookworm i386 with python3)")
        {
            NameOption, FromDir, FromTar, FromOci, FromEnv86, FromDockerfile, Packages, Suite, MemoryOption, NoCompress, Cmdline, JsonOption, IfStale,
        };
        command.SetAction((parse, ct) => CliError.GuardAsync(() => RunAsync(parse, ct)));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var options = ToOptions(parse);
        await HostSetup.EnsureAsync(HostSetup.ForBuild(options.Source), cancellationToken);
        var json = parse.GetValue(JsonOption);
        var clock = Stopwatch.StartNew();
        var human = new SpectreBuildProgress(AnsiConsole.Console);
        IBuildProgress progress = json ? new JsonLinesBuildProgress() : human;
        var builder = new ImageBuilder(ImageStore.Default, progress);
        if (parse.GetValue(IfStale))
        {
            var reason = await builder.StaleReasonAsync(options.Name, cancellationToken);
            if (reason is null)
            {
                Console.Error.WriteLine($"sandbox86: image '{options.Name}' is up to date");
                return 0;
            }

            Console.Error.WriteLine($"sandbox86: rebuilding: {reason}");
        }

        var image = await builder.BuildAsync(options, cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(ImageView.From(image, seconds), CliJsonContext.Readable.ImageView));
        }
        else
        {
            human.EndPhase();
            AnsiConsole.MarkupLine($"[green]built[/] image [bold]{Markup.Escape(image.Name)}[/] in {seconds:0.0}s: " +
                $"{image.Manifest.Stats.Files} files, {ImageView.Mib(image.Manifest.Stats.ChunkBytes)} MiB of chunks at {Markup.Escape(image.Directory)}");
        }

        return 0;
    }

    private static ImageBuildOptions ToOptions(ParseResult parse)
    {
        var sources = new (ImageSourceKind Kind, string? Path)[]
        {
            (ImageSourceKind.Directory, parse.GetValue(FromDir)),
            (ImageSourceKind.Tar, parse.GetValue(FromTar)),
            (ImageSourceKind.Oci, parse.GetValue(FromOci)),
            (ImageSourceKind.Env86, parse.GetValue(FromEnv86)),
            (ImageSourceKind.Dockerfile, parse.GetValue(FromDockerfile)),
        }.Where(s => s.Path is not null).ToList();
        if (sources.Count > 1)
        {
            throw new UsageException("give at most one of --from-dir, --from-tar, --from-oci, --from-env86, --from-dockerfile");
        }

        var packages = (parse.GetValue(Packages) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (sources.Count == 1 && packages.Length > 0)
        {
            throw new UsageException("--packages applies to Debian builds only");
        }

        var memory = parse.GetValue(MemoryOption);
        if (memory is < 64 or > 2048)
        {
            throw new UsageException($"--memory {memory} is out of range (64-2048 MB)");
        }

        return new ImageBuildOptions
        {
            Name = parse.GetValue(NameOption)!,
            Source = sources.Count == 1 ? sources[0].Kind : ImageSourceKind.Debian,
            SourcePath = sources.Count == 1 ? sources[0].Path : null,
            Packages = packages,
            Suite = parse.GetValue(Suite)!,
            MemoryMb = memory,
            Compress = !parse.GetValue(NoCompress),
            Cmdline = parse.GetValue(Cmdline),
        };
    }
}
