using Sandbox86.Images.Store;

namespace Sandbox86.Tests.Images.Store;

public sealed class ImageStoreTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sandbox86-store-");

    public void Dispose() => _root.Delete(recursive: true);

    internal static ImageManifest Manifest(string name, string buildId) => new()
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
    };

    internal static string Built(ImageStore store, string name, string buildId, string chunkContent = "chunk")
    {
        var dir = store.CreateBuildDirectory(name);
        StoredImage.WriteManifest(dir, Manifest(name, buildId));
        Directory.CreateDirectory(Path.Combine(dir, "chunks"));
        File.WriteAllText(Path.Combine(dir, "chunks", "c1"), chunkContent);
        return dir;
    }

    private string BuildDir(string buildId) => Path.Combine(_root.FullName, ".builds", buildId);

    [Theory]
    [InlineData("")]
    [InlineData("../etc")]
    [InlineData("UPPER")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    public void Bad_names_are_refused(string name) =>
        Assert.Throws<ImageStoreException>(() => ImageStore.ValidateName(name));

    [Fact]
    public void A_name_resolves_to_its_build_directory_never_to_the_name_path()
    {
        var store = new ImageStore(_root.FullName);
        store.Install(Built(store, "web", "one"), "web");
        var image = store.Open("web");
        Assert.Equal(BuildDir("one"), image.Directory);
        Assert.Equal(Path.Combine(BuildDir("one"), "chunks"), image.ChunkDirectory);
        Assert.Equal(Path.Combine(".builds", "one"), new FileInfo(Path.Combine(_root.FullName, "web")).LinkTarget);
        Assert.Equal(BuildDir("one"), StoredImage.Load(Path.Combine(_root.FullName, "web")).Directory);
    }

    [Fact]
    public void Rebuilding_repoints_the_name_and_collects_the_old_build_when_nothing_holds_it()
    {
        var store = new ImageStore(_root.FullName);
        store.Install(Built(store, "web", "one"), "web");
        store.Install(Built(store, "web", "two"), "web");
        Assert.Equal("two", store.Open("web").Manifest.BuildId);
        Assert.Equal(["web"], store.List().Select(i => i.Name));
        Assert.False(Directory.Exists(BuildDir("one")));
        Assert.Equal(["two"], Directory.EnumerateDirectories(Path.Combine(_root.FullName, ".builds")).Select(Path.GetFileName));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_root.FullName), d => d.Contains(".build.", StringComparison.Ordinal) || d.Contains(".link.", StringComparison.Ordinal));
    }

    [Fact]
    public void A_leased_build_survives_rebuild_and_removal_and_is_collected_once_released()
    {
        var store = new ImageStore(_root.FullName);
        store.Install(Built(store, "web", "one", "A"), "web");
        var lease = BuildLease.Acquire(store.Open("web"));
        store.Install(Built(store, "web", "two", "B"), "web");
        store.Collect();
        Assert.Equal("A", File.ReadAllText(Path.Combine(lease.Image.ChunkDirectory, "c1")));
        Assert.Equal("B", File.ReadAllText(Path.Combine(store.Open("web").ChunkDirectory, "c1")));

        store.Remove("web");
        store.Collect();
        Assert.True(Directory.Exists(BuildDir("one")), "a held build is never collected");
        Assert.False(Directory.Exists(BuildDir("two")), "the removed, unheld build is collected");

        lease.Dispose();
        store.Collect();
        Assert.False(Directory.Exists(BuildDir("one")));
    }

    [Fact]
    public void Two_leases_on_one_build_both_have_to_go_before_it_is_collected()
    {
        var store = new ImageStore(_root.FullName);
        store.Install(Built(store, "web", "one"), "web");
        var first = BuildLease.Acquire(store.Open("web"));
        var second = BuildLease.Acquire(store.Open("web"));
        store.Remove("web");
        first.Dispose();
        store.Collect();
        Assert.True(Directory.Exists(BuildDir("one")));
        second.Dispose();
        second.Dispose(); // idempotent: dispose and worker exit both release
        store.Collect();
        Assert.False(Directory.Exists(BuildDir("one")));
    }

    [Fact]
    public void A_lease_on_a_build_collected_after_resolution_resolves_the_name_again()
    {
        var store = new ImageStore(_root.FullName);
        store.Install(Built(store, "web", "one"), "web");
        var stale = store.Open("web");
        store.Install(Built(store, "web", "two"), "web");
        Assert.False(Directory.Exists(stale.Directory));
        using var lease = BuildLease.Acquire(stale);
        Assert.Equal("two", lease.Image.Manifest.BuildId);
        Assert.Equal(BuildDir("two"), lease.Image.Directory);
    }

    [Fact]
    public void The_build_a_name_points_at_is_never_collected_even_unleased()
    {
        var store = new ImageStore(_root.FullName);
        store.Install(Built(store, "web", "one"), "web");
        store.Collect();
        store.Collect();
        Assert.Equal("one", store.Open("web").Manifest.BuildId);
    }

    [Fact]
    public void Leftovers_of_dead_processes_and_old_retired_copies_are_collected()
    {
        var store = new ImageStore(_root.FullName);
        var orphanBuild = Path.Combine(_root.FullName, ".x.build.999999999.0123");
        var orphanMigration = Path.Combine(_root.FullName, ".builds", ".migrate.999999999.0123");
        var retired = Path.Combine(_root.FullName, ".x.old.0123");
        var live = Path.Combine(_root.FullName, $".x.build.{Environment.ProcessId}.4567");
        foreach (var dir in new[] { orphanBuild, orphanMigration, retired, live })
        {
            Directory.CreateDirectory(dir);
        }

        store.Install(Built(store, "x", "1"), "x");
        Assert.False(Directory.Exists(orphanBuild));
        Assert.False(Directory.Exists(orphanMigration));
        Assert.False(Directory.Exists(retired));
        Assert.True(Directory.Exists(live), "a build of a live process stays");
    }

    [Fact]
    public void An_old_layout_image_directory_is_migrated_on_open_with_its_files_and_boot_snapshot()
    {
        var store = new ImageStore(_root.FullName);
        var legacy = Path.Combine(_root.FullName, "old");
        Directory.CreateDirectory(Path.Combine(legacy, "chunks"));
        Directory.CreateDirectory(Path.Combine(legacy, "snapshots"));
        StoredImage.WriteManifest(legacy, Manifest("old", "legacy1"));
        File.WriteAllText(Path.Combine(legacy, "chunks", "c1"), "old chunk");
        File.WriteAllText(Path.Combine(legacy, "snapshots", "boot-96m.state.zst"), "state");
        File.WriteAllText(Path.Combine(legacy, "snapshots", "boot-96m.state.zst.json"), "{}");

        var image = store.Open("old");
        Assert.Equal(BuildDir("legacy1"), image.Directory);
        Assert.Equal("old chunk", File.ReadAllText(Path.Combine(image.ChunkDirectory, "c1")));
        Assert.Equal("state", File.ReadAllText(Path.Combine(image.BootSnapshotPath(96), StoredImage.SnapshotStateFile)));
        Assert.Equal("{}", File.ReadAllText(Path.Combine(image.BootSnapshotPath(96), StoredImage.SnapshotMetaFile)));
        Assert.NotNull(new DirectoryInfo(legacy).LinkTarget);
        // The old path still reads the same bytes (a VM an older version started keeps working).
        Assert.Equal("old chunk", File.ReadAllText(Path.Combine(legacy, "chunks", "c1")));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(_root.FullName, ".builds"), ".*"));

        store.Install(Built(store, "old", "new1"), "old");
        Assert.Equal("new1", store.Open("old").Manifest.BuildId);
        Assert.False(Directory.Exists(BuildDir("legacy1")));
    }

    [Fact]
    public void Installing_over_an_old_layout_directory_swaps_it_for_the_symlink()
    {
        var store = new ImageStore(_root.FullName);
        var legacy = Path.Combine(_root.FullName, "old");
        Directory.CreateDirectory(legacy);
        StoredImage.WriteManifest(legacy, Manifest("old", "legacy1"));
        store.Install(Built(store, "old", "new1"), "old");
        Assert.Equal(BuildDir("new1"), store.Open("old").Directory);
        Assert.Equal(["new1"], Directory.EnumerateDirectories(Path.Combine(_root.FullName, ".builds")).Select(Path.GetFileName));
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
        Assert.False(Directory.Exists(BuildDir("1")));
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
