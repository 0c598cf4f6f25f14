using Sandbox86.Images.Store;
using Sandbox86.Machines;

namespace Sandbox86.Web;

/// <summary>
/// The state a site restores: the image's console-shell boot snapshot (<c>boot-256m-console</c>, made by one
/// cold boot the first time), or — for a page with a relay — that snapshot restored, the DHCP client started and
/// saved again. Written as <c>state/state.zst.N</c> parts of at most <see cref="WebSiteOptions.MaxStatePartBytes"/>.
/// </summary>
internal static class WebState
{
    public static async Task<SiteState> WriteAsync(StoredImage image, int memoryMb, bool withDhcp, MachineOptions options, string site,
        Action<string>? progress, CancellationToken cancellationToken)
    {
        progress?.Invoke("making or reusing the console-shell boot snapshot");
        var boot = await Snapshots.EnsureBootSnapshotAsync(image, memoryMb, options, cancellationToken);
        var work = Path.Combine(site, ".state");
        try
        {
            var state = Path.Combine(boot.Directory, StoredImage.SnapshotStateFile);
            if (withDhcp)
            {
                progress?.Invoke("starting the guest's DHCP client and saving the state");
                await using var machine = await Machine.LaunchAsync(image, memoryMb, boot, options with { Watchdog = null }, cancellationToken);
                await GuestDhcp.StartAsync(machine, cancellationToken);
                await Snapshots.SaveAsync(machine, work, prepare: true, Snapshots.CompressionLevel, cancellationToken);
                state = Path.Combine(work, StoredImage.SnapshotStateFile);
            }

            progress?.Invoke("splitting the state");
            return Split(state, Path.Combine(site, "state"));
        }
        finally
        {
            ImageStore.TryDeleteDirectory(work);
        }
    }

    internal static SiteState Split(string state, string directory)
    {
        Directory.CreateDirectory(directory);
        var parts = new List<SiteStatePart>();
        using var input = File.OpenRead(state);
        var buffer = new byte[1 << 20];
        for (var index = 0; input.Position < input.Length; index++)
        {
            var name = $"state.zst.{index}";
            long written = 0;
            using (var output = new FileStream(Path.Combine(directory, name), FileMode.CreateNew, FileAccess.Write))
            {
                while (written < WebSiteOptions.MaxStatePartBytes)
                {
                    var n = input.Read(buffer, 0, (int)Math.Min(buffer.Length, WebSiteOptions.MaxStatePartBytes - written));
                    if (n == 0)
                    {
                        break;
                    }

                    output.Write(buffer, 0, n);
                    written += n;
                }
            }

            parts.Add(new SiteStatePart($"state/{name}", written));
        }

        return new SiteState { Bytes = input.Length, Sha256 = WebSite.Sha256Of(state), Parts = parts };
    }
}
