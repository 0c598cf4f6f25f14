using System.Security.Cryptography;
using Sandbox86.Images.Fs;
using Sandbox86.Images.Import;
using Sandbox86.Images.Store;

namespace Sandbox86.Images.Build;

/// <summary>
/// Builds an image end to end: root filesystem from the chosen source, i386 check, the guest agent,
/// v86's fs index and chunks, the default kernel and our own initramfs, then an atomic install.
/// Nothing lands in the store unless every step succeeded.
/// </summary>
public sealed partial class ImageBuilder
{
    private readonly ImageStore _store;
    private readonly IBuildProgress _progress;
    private readonly DebianArchive _archive;
    private readonly Runtime.RuntimeAssets _assets;

    /// <summary>A builder installing into <paramref name="store"/>; <paramref name="progress"/> receives the phases, and
    /// <paramref name="assets"/> says where the guest agent comes from (default: <see cref="Runtime.RuntimeAssets.Default"/>).</summary>
    public ImageBuilder(ImageStore store, IBuildProgress? progress = null, Runtime.RuntimeAssets? assets = null)
    {
        _store = store;
        _assets = assets ?? Runtime.RuntimeAssets.Default;
        _progress = progress ?? NullBuildProgress.Instance;
        _archive = new DebianArchive(Util.SandboxPaths.Cache);
    }

    /// <summary>Builds the image into a fresh build directory and points its name at it; the previous build stays until no machine uses it.</summary>
    public async Task<StoredImage> BuildAsync(ImageBuildOptions options, CancellationToken cancellationToken)
    {
        ImageStore.ValidateName(options.Name);
        ValidateSource(options);
        using var imageLock = await Util.FileLock.AcquireAsync(_store.LockPath(options.Name), TimeSpan.FromMinutes(30),
            () => _progress.Detail($"waiting for another build of '{options.Name}'"), cancellationToken);
        var buildDir = _store.CreateBuildDirectory(options.Name);
        try
        {
            var manifest = await BuildIntoAsync(buildDir, options, cancellationToken);
            StoredImage.WriteManifest(buildDir, manifest);
            _progress.Phase("install");
            return _store.Install(buildDir, options.Name);
        }
        catch
        {
            ImageStore.TryDeleteDirectory(buildDir);
            throw;
        }
    }

    /// <summary>
    /// Opens <paramref name="name"/>, building it first when it is a <see cref="WellKnownImages"/> name
    /// not in the store yet (progress goes to this builder's <see cref="IBuildProgress"/>).
    /// </summary>
    public async Task<StoredImage> OpenOrBuildAsync(string name, CancellationToken cancellationToken)
    {
        if (_store.Exists(name) || WellKnownImages.Find(name) is not { } options)
        {
            return _store.Open(name);
        }

        return await BuildAsync(options, cancellationToken);
    }

    private static void ValidateSource(ImageBuildOptions options)
    {
        if (options.Source == ImageSourceKind.Debian)
        {
            return;
        }

        if (string.IsNullOrEmpty(options.SourcePath))
        {
            throw new ImageException($"a build from {options.Source.ToString().ToLowerInvariant()} needs a source path");
        }

        var isDirSource = options.Source is ImageSourceKind.Directory or ImageSourceKind.Env86;
        if (isDirSource && !Directory.Exists(options.SourcePath))
        {
            throw new ImageException($"source directory not found: {options.SourcePath}");
        }

        if (!isDirSource && !File.Exists(options.SourcePath) && !Directory.Exists(options.SourcePath))
        {
            throw new ImageException($"source not found: {options.SourcePath}");
        }
    }

    private async Task<ImageManifest> BuildIntoAsync(string buildDir, ImageBuildOptions options, CancellationToken cancellationToken)
    {
        var chunks = new ChunkStore(Path.Combine(buildDir, "chunks"), options.Compress);

        _progress.Phase("kernel");
        var kernel = await KernelPackage.EnsureAsync(_archive, cancellationToken);
        _progress.Detail($"kernel {kernel.Version}");
        var busybox = Path.Combine(await _archive.ExtractAsync("busybox-static:i386", cancellationToken), "bin", "busybox");

        _progress.Phase("agent");
        var agentPath = await GuestAgentBinary.ResolveAsync(_assets, cancellationToken);

        _progress.Phase("rootfs");
        var (tree, allWarnings, config, source) = await ImportRootfsAsync(options, chunks, cancellationToken);
        // Device nodes under /dev are expected in any real rootfs and harmless (devtmpfs provides them):
        // one summary line instead of one warning each.
        static bool IsDevNode(string w) => w.Contains(" /dev/", StringComparison.Ordinal) && w.Contains("device", StringComparison.Ordinal);
        var devNodes = allWarnings.Count(IsDevNode);
        var warnings = allWarnings.Where(w => !IsDevNode(w)).ToList();
        if (devNodes > 0)
        {
            _progress.Detail($"skipped {devNodes} device nodes under /dev (the guest's devtmpfs provides them)");
        }

        foreach (var warning in warnings)
        {
            _progress.Warning(warning);
        }

        ElfCheck.RequireI386(tree, chunks);
        RootfsFixups.Apply(tree, chunks, agentPath);

        _progress.Phase("index");
        chunks.RemoveUnreferenced(tree.ChunkNames());
        var indexPath = Path.Combine(buildDir, "fs.json");
        await using (var index = File.Create(indexPath))
        {
            FsIndexWriter.Write(tree, index);
        }

        _progress.Phase("initramfs");
        File.Copy(kernel.VmlinuzPath, Path.Combine(buildDir, "vmlinuz"));
        await using (var initrd = File.Create(Path.Combine(buildDir, "initrd.img")))
        {
            InitramfsBuilder.Write(initrd, busybox, new KernelModules(kernel.ModulesDirectory));
        }

        var chunkFiles = Directory.EnumerateFiles(Path.Combine(buildDir, "chunks")).Select(f => new FileInfo(f)).ToList();
        return new ImageManifest
        {
            Name = options.Name,
            Created = DateTimeOffset.UtcNow,
            BuildId = Guid.NewGuid().ToString("N"),
            Source = source,
            Kernel = "vmlinuz",
            KernelVersion = kernel.Version,
            Initrd = "initrd.img",
            Cmdline = options.Cmdline ?? ImageBuildOptions.DefaultCmdline,
            MemoryMb = options.MemoryMb,
            AgentVersion = GuestAgentBinary.VersionOf(agentPath),
            Stats = new ImageStats
            {
                Files = tree.FileCount,
                Directories = tree.DirectoryCount,
                Symlinks = tree.SymlinkCount,
                FileBytes = tree.TotalFileBytes,
                Chunks = chunkFiles.Count,
                ChunkBytes = chunkFiles.Sum(f => f.Length),
            },
            Digests = new Dictionary<string, string>
            {
                ["vmlinuz"] = Sha256Of(Path.Combine(buildDir, "vmlinuz")),
                ["initrd.img"] = Sha256Of(Path.Combine(buildDir, "initrd.img")),
                ["fs.json"] = Sha256Of(indexPath),
            },
            Config = config,
            Warnings = warnings,
        };
    }

    /// <summary>
    /// Whether an image is missing or was built with a different guest agent than the one this
    /// installation carries (or, in a checkout, builds) (a protocol change would otherwise surface as a confusing hang or error at run time).
    /// </summary>
    public async Task<string?> StaleReasonAsync(string name, CancellationToken cancellationToken)
    {
        if (!_store.Exists(name))
        {
            return $"image '{name}' does not exist";
        }

        var image = _store.Open(name);
        var agent = GuestAgentBinary.VersionOf(await GuestAgentBinary.ResolveAsync(_assets, cancellationToken));
        return image.Manifest.AgentVersion == agent ? null : $"image '{name}' carries guest agent {image.Manifest.AgentVersion}, this installation has {agent}";
    }

    internal static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
