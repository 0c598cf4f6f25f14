using Sandbox86.Images.Store;

namespace Sandbox86.Tests.Images.Store;

public sealed class ImageStoreTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sandbox86-store-");

    public void Dispose() => _root.Delete(recursive: true);

    private static string Built(ImageStore store, string name, string buildId)
    {
        var dir = store.CreateBuildDirectory(name);
        StoredImage.WriteManifest(dir, new ImageManifest
        {
            Name = name,
            Created = DateTimeOffset.UnixEpoch,
            BuildId = buildId,
            Source = "test",
            Kernel = "vmlinuz",
            KernelVersion = "6.1",
            Initrd = "initrd.img",
            Cmdline = "console=ttyS0",
            AgentVersion = "x",
            Stats = new ImageStats { Files = 1 },
            Digests = new Dictionary<string, string>(),
        });
        return dir;
    }

    [Theory]
    [InlineData("")]
    [InlineData("../etc")]
    [InlineData("UPPER")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    public void Bad_names_are_refused(string name) =>
        Assert.Throws<ImageStoreException>(() => ImageStore.ValidateName(name));

    [Fact]
    public void Install_replaces_an_image_whole_and_leaves_no_build_directories()
    {
        var store = new ImageStore(_root.FullName);
        store.Install(Built(store, "web", "one"), "web");
        store.Install(Built(store, "web", "two"), "web");
        Assert.Equal("two", store.Open("web").Manifest.BuildId);
        Assert.Equal(["web"], store.List().Select(i => i.Name));
        Assert.DoesNotContain(Directory.EnumerateDirectories(_root.FullName), d => d.Contains(".build.", StringComparison.Ordinal));
        // The replaced build stays readable for VMs still running from it.
        Assert.Single(Directory.EnumerateDirectories(_root.FullName, ".web.old.*"));
    }

    [Fact]
    public void Build_directories_of_dead_processes_are_collected()
    {
        var store = new ImageStore(_root.FullName);
        var orphan = Path.Combine(_root.FullName, ".x.build.999999999.0123");
        Directory.CreateDirectory(orphan);
        store.Install(Built(store, "x", "1"), "x");
        Assert.False(Directory.Exists(orphan));
    }

    [Fact]
    public void Unknown_images_name_the_known_ones_and_remove_deletes()
    {
        var store = new ImageStore(_root.FullName);
        store.Install(Built(store, "alpha", "1"), "alpha");
        var error = Assert.Throws<ImageStoreException>(() => store.Open("beta"));
        Assert.Contains("unknown image 'beta'", error.Message, StringComparison.Ordinal);
        Assert.Contains("alpha", error.Message, StringComparison.Ordinal);
        store.Remove("alpha");
        Assert.Empty(store.List());
        Assert.Throws<ImageStoreException>(() => store.Remove("alpha"));
    }

    [Fact]
    public void A_corrupt_manifest_is_a_clear_error_and_does_not_hide_other_images()
    {
        var store = new ImageStore(_root.FullName);
        store.Install(Built(store, "good", "1"), "good");
        Directory.CreateDirectory(Path.Combine(_root.FullName, "bad"));
        File.WriteAllText(Path.Combine(_root.FullName, "bad", "image.json"), "{ not json");
        Assert.Equal(["good"], store.List().Select(i => i.Name));
        Assert.Contains("unreadable image.json", Assert.Throws<ImageStoreException>(() => store.Open("bad")).Message, StringComparison.Ordinal);
    }
}
