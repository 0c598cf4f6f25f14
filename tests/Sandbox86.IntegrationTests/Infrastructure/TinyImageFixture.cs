using Sandbox86.Images.Build;
using Sandbox86.Images.Store;

namespace Sandbox86.IntegrationTests.Infrastructure;

/// <summary>Builds a busybox-only image from a tarball once per test run (seconds: kernel and agent are cached).</summary>
public sealed class TinyImageFixture : IAsyncLifetime
{
    public string Name { get; } = "it-tiny-" + Guid.NewGuid().ToString("N")[..8];
    public string TarPath { get; } = Path.Combine(Path.GetTempPath(), $"sandbox86-tiny-{Guid.NewGuid():N}.tar");
    public StoredImage Image { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        TinyRootfs.Write(TarPath);
        Image = await BuildAsync(Name);
    }

    public Task<StoredImage> BuildAsync(string name, string? cmdline = null, string? tarPath = null) =>
        new ImageBuilder(ImageStore.Default).BuildAsync(new ImageBuildOptions
        {
            Name = name,
            Source = ImageSourceKind.Tar,
            SourcePath = tarPath ?? TarPath,
            MemoryMb = 96,
            Cmdline = cmdline,
        }, CancellationToken.None);

    public Task DisposeAsync()
    {
        File.Delete(TarPath);
        foreach (var image in ImageStore.Default.List().Where(i => i.Name.StartsWith("it-", StringComparison.Ordinal)))
        {
            try
            {
                ImageStore.Default.Remove(image.Name);
            }
            catch (ImageStoreException)
            {
            }
        }

        // No VM of this run is alive any more (Remove collected their builds): the lock files can go.
        foreach (var leftover in Directory.EnumerateFileSystemEntries(ImageStore.Default.Root, ".it-*"))
        {
            if (Directory.Exists(leftover))
            {
                ImageStore.TryDeleteDirectory(leftover);
            }
            else
            {
                File.Delete(leftover);
            }
        }

        return Task.CompletedTask;
    }
}

[CollectionDefinition("tiny image")]
public sealed class TinyImageGroup : ICollectionFixture<TinyImageFixture>
{
}
