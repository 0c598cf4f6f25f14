using System.CommandLine;
using Sandbox86.Cli.Commands.Run;
using Sandbox86.Cli.Output;
using Sandbox86.Web;

namespace Sandbox86.Cli.Commands.Web;

/// <summary><c>sandbox86 prepare IMAGE DIR</c>: writes a static site that runs the image in a browser (<see cref="WebSite"/>).</summary>
internal static class PrepareCommand
{
    private static readonly Argument<string> ImageArgument = new("IMAGE") { Description = "Image to publish" };
    private static readonly Argument<string> DirectoryArgument = new("DIR") { Description = "Directory to write the site to (created; an earlier site there is replaced)" };

    internal static readonly Option<string?> RelayUrl = new("--relay-url")
    {
        Description = "Give the page a network through this v86 relay (ws://… or wss://…, e.g. sandbox86 relay); the guest uses DHCP",
    };

    internal static readonly Option<int?> Memory = new("--memory") { Description = "Guest memory in MB (default: the image's)" };

    internal static readonly Option<string?> Title = new("--title") { Description = "The page's title" };

    public static Command Create()
    {
        var command = new Command("prepare", "Write a static web site that runs IMAGE in the browser (any static server, any path)")
        {
            ImageArgument, DirectoryArgument, RelayUrl, Memory, Title,
        };
        command.SetAction((parse, cancellationToken) => CliError.GuardAsync(async () =>
        {
            var image = await ImageResolver.OpenAsync(parse.GetValue(ImageArgument)!, cancellationToken);
            var options = new WebSiteOptions
            {
                RelayUrl = parse.GetValue(RelayUrl),
                MemoryMb = parse.GetValue(Memory),
                Title = parse.GetValue(Title),
                Progress = line => Console.Error.WriteLine($"sandbox86: {line}"),
            };
            if (options.RelayUrl is { } url && !url.StartsWith("ws://", StringComparison.Ordinal) && !url.StartsWith("wss://", StringComparison.Ordinal))
            {
                throw new UsageException($"--relay-url {url}: expected a ws:// or wss:// URL");
            }

            var site = await WebSite.PrepareAsync(image, parse.GetValue(DirectoryArgument)!, options, cancellationToken);
            Console.WriteLine($"{site.Directory}: {site.Files} files, {site.TotalBytes / 1048576.0:0.0} MiB " +
                $"(state {site.StateBytes / 1048576.0:0.0} MiB in {site.StateParts} parts); serve it with any static server, e.g. " +
                $"python3 -m http.server -d {site.Directory}");
            return 0;
        }));
        return command;
    }
}
