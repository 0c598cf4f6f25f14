namespace Sandbox86.Images.Build;

/// <summary>Debian's i386 kernel (linux-image-686), extracted once into the cache and shared by all images.</summary>
internal sealed record KernelPackage(string Version, string VmlinuzPath, string ModulesDirectory)
{
    public static async Task<KernelPackage> EnsureAsync(DebianArchive archive, CancellationToken cancellationToken)
    {
        var package = await DebianArchive.ResolveKernelPackageAsync(cancellationToken);
        var root = await archive.ExtractAsync(package, cancellationToken);
        var vmlinuz = Directory.EnumerateFiles(Path.Combine(root, "boot"), "vmlinuz-*").FirstOrDefault()
            ?? throw new ImageException($"{package} has no /boot/vmlinuz-*");
        var version = Path.GetFileName(vmlinuz)["vmlinuz-".Length..];
        var modules = Path.Combine(root, "lib", "modules", version);
        if (!Directory.Exists(modules))
        {
            throw new ImageException($"{package} has no /lib/modules/{version}");
        }

        return new KernelPackage(version, vmlinuz, modules);
    }
}
