using System.Security.Cryptography;
using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.IntegrationTests.Infrastructure;
using Sandbox86.Machines;

namespace Sandbox86.IntegrationTests.Images;

/// <summary>Builds are immutable: a rebuild never changes the files under a VM already running.</summary>
[Collection("tiny image")]
public sealed class ImageRebuildTests
{
    private readonly TinyImageFixture _tiny;

    public ImageRebuildTests(TinyImageFixture tiny) => _tiny = tiny;

    [Fact]
    public async Task A_running_vm_keeps_reading_its_build_after_a_rebuild_and_the_old_build_is_collected_after_it_stops()
    {
        var name = "it-rebuild-" + Guid.NewGuid().ToString("N")[..8];
        // Big enough to span several chunks, random so no chunk is shared with anything in build B.
        var onlyInA = RandomNumberGenerator.GetBytes(600 * 1024);
        var tarA = Path.Combine(Path.GetTempPath(), $"sandbox86-{name}-a.tar");
        var tarB = Path.Combine(Path.GetTempPath(), $"sandbox86-{name}-b.tar");
        TinyRootfs.Write(tarA, extraFiles: new Dictionary<string, byte[]>
        {
            ["etc/only-in-a"] = onlyInA,
            ["etc/changed"] = "content of build A\n"u8.ToArray(),
        });
        TinyRootfs.Write(tarB, extraFiles: new Dictionary<string, byte[]>
        {
            ["etc/changed"] = "content of build B, which is longer\n"u8.ToArray(),
        });
        try
        {
            var buildA = await _tiny.BuildAsync(name, tarPath: tarA);
            var store = ImageStore.Default;
            Assert.StartsWith(Path.Combine(store.BuildsRoot, buildA.Manifest.BuildId), buildA.Directory, StringComparison.Ordinal);
            Machine? first = await Machine.StartAsync(store.Open(name), new MachineOptions { Cold = true }, CancellationToken.None);
            try
            {
                var buildB = await _tiny.BuildAsync(name, tarPath: tarB);
                Assert.NotEqual(buildA.Manifest.BuildId, buildB.Manifest.BuildId);
                Assert.True(Directory.Exists(buildA.Directory), "build A is held by the running VM");

                // Nothing was read before the rebuild, so these reads go to build A's chunks now.
                var sum = await first!.Agent.ExecAsync(ExecRequest.ForArgv("/bin/sha256sum", "/etc/only-in-a"), CancellationToken.None);
                Assert.Equal(0, sum.ExitCode);
                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(onlyInA)), sum.StdoutText.Split(' ')[0]);
                var changed = await first.Agent.ExecAsync(ExecRequest.ForArgv("/bin/cat", "/etc/changed"), CancellationToken.None);
                Assert.Equal("content of build A\n", changed.StdoutText);

                await using (var second = await Machine.StartAsync(store.Open(name), new MachineOptions { Cold = true }, CancellationToken.None))
                {
                    Assert.Equal(buildB.Directory, second.Image.Directory);
                    var changedB = await second.Agent.ExecAsync(ExecRequest.ForArgv("/bin/cat", "/etc/changed"), CancellationToken.None);
                    Assert.Equal("content of build B, which is longer\n", changedB.StdoutText);
                    var gone = await second.Agent.ExecAsync(ExecRequest.ForArgv("/bin/cat", "/etc/only-in-a"), CancellationToken.None);
                    Assert.NotEqual(0, gone.ExitCode);

                    store.Collect();
                    Assert.True(Directory.Exists(buildA.Directory), "a collection while the first VM runs keeps build A");
                    await first.DisposeAsync();
                    first = null;
                    store.Collect();
                    Assert.False(Directory.Exists(buildA.Directory), "with its VM gone, build A is collected");
                    Assert.True(Directory.Exists(buildB.Directory), "build B is current (and held)");
                    Assert.Equal(0, (await second.Agent.ExecAsync(ExecRequest.ForArgv("/bin/true"), CancellationToken.None)).ExitCode);
                }
            }
            finally
            {
                if (first is not null)
                {
                    await first.DisposeAsync();
                }
            }
        }
        finally
        {
            File.Delete(tarA);
            File.Delete(tarB);
        }
    }
}
