using System.CommandLine;
using System.Net;
using Sandbox86.Cli.Commands.Network;
using Sandbox86.Cli.Commands.Run;
using Sandbox86.Cli.Output;
using Sandbox86.Web;

namespace Sandbox86.Cli.Commands.Web;

/// <summary>
/// <c>sandbox86 web IMAGE</c>: prepares the image's site into a temporary directory and serves it together with a
/// relay on one port, printing the URL (env86's <c>serve</c>, with a network).
/// </summary>
internal static class WebCommand
{
    private static readonly NetworkOptionFlags NetworkFlags = new();
    private static readonly Argument<string> ImageArgument = new("IMAGE") { Description = "Image to serve", DefaultValueFactory = _ => "default" };

    private static readonly Option<string> Listen = new("--listen")
    {
        Description = "Loopback address:port to serve on",
        DefaultValueFactory = _ => "127.0.0.1:8080",
    };

    private static readonly Option<bool> Net = new("--net") { Description = "Give the page's guest a network through the relay (DHCP)" };

    private static readonly Option<string[]> Origins = new("--origin")
    {
        Description = "Browser origin allowed to use the relay (repeatable; default: loopback origins)",
    };

    public static Command Create()
    {
        var command = new Command("web", "Serve IMAGE in the browser: the prepared site and a relay on one port")
        {
            ImageArgument, Listen, Net, Origins, PrepareCommand.Memory, PrepareCommand.Title,
        };
        NetworkFlags.AddTo(command);
        command.SetAction((parse, cancellationToken) => CliError.GuardAsync(async () =>
        {
            if (!IPEndPoint.TryParse(parse.GetValue(Listen)!, out var listen))
            {
                throw new UsageException($"--listen {parse.GetValue(Listen)}: expected ADDRESS:PORT");
            }

            // The relay has no token here: it is for this machine's browser only.
            if (!IPAddress.IsLoopback(listen.Address))
            {
                throw new UsageException($"--listen {listen}: only loopback addresses (put a proxy with its own access control in front for more)");
            }

            var net = parse.GetValue(Net) || NetworkFlags.AnyGiven(parse);
            var network = NetworkFlags.ToOptions(parse);
            var image = await ImageResolver.OpenAsync(parse.GetValue(ImageArgument)!, cancellationToken);
            var site = Path.Combine(Path.GetTempPath(), $"sandbox86-web-{Environment.ProcessId}-{Guid.NewGuid():N}");
            try
            {
                var prepared = await WebSite.PrepareAsync(image, site, new WebSiteOptions
                {
                    RelayUrl = net ? SiteServer.RelayPath.TrimStart('/') : null,
                    MemoryMb = parse.GetValue(PrepareCommand.Memory),
                    Title = parse.GetValue(PrepareCommand.Title),
                    Progress = line => Console.Error.WriteLine($"sandbox86: {line}"),
                }, cancellationToken);
                await using var app = SiteServer.Build(prepared.Directory, listen, network, parse.GetValue(Origins) ?? []);
                try
                {
                    await app.StartAsync(cancellationToken);
                }
                catch (IOException e)
                {
                    throw new UsageException($"cannot listen on {listen}: {e.Message}");
                }

                var address = app.Urls.FirstOrDefault() ?? $"http://{listen}/";
                Console.WriteLine($"{address.TrimEnd('/')}/   (Ctrl+C stops)");
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C is the normal way to stop.
                }

                await app.StopAsync(CancellationToken.None);
                return 0;
            }
            finally
            {
                try
                {
                    Directory.Delete(site, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }));
        return command;
    }
}
