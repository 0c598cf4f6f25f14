using System.Text;

namespace Sandbox86.Images.Build;

/// <summary>
/// Finds kernel modules in an extracted <c>linux-image</c> package and orders them so every module comes
/// after its dependencies. Debian's package has no modules.dep (depmod runs at install), so the
/// dependencies are read from each module's own <c>.modinfo</c> "depends=" string.
/// </summary>
internal sealed class KernelModules
{
    /// <summary>
    /// What the guest needs at boot: virtio PCI, the 9p root, the agent's console and the NIC, and 9P's fd
    /// transport (<c>trans=fd</c>: live host mounts over a console port; 9 KB, so no reason to load it later).
    /// </summary>
    public static readonly IReadOnlyList<string> BootModules =
        ["virtio_pci", "9pnet_virtio", "9p", "9pnet_fd", "virtio_console", "virtio_net"];

    private readonly Dictionary<string, string> _paths;

    public KernelModules(string modulesDirectory)
    {
        ModulesDirectory = modulesDirectory;
        _paths = Directory.EnumerateFiles(modulesDirectory, "*.ko", SearchOption.AllDirectories)
            .GroupBy(p => Path.GetFileNameWithoutExtension(p).Replace('-', '_'), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
    }

    public string ModulesDirectory { get; }

    public string PathOf(string module) =>
        _paths.TryGetValue(module.Replace('-', '_'), out var path)
            ? path
            : throw new ImageException($"kernel module '{module}' not found under {ModulesDirectory}");

    /// <summary>The modules and all their dependencies, dependencies first (the order insmod needs).</summary>
    public IReadOnlyList<string> WithDependencies(IEnumerable<string> modules)
    {
        var ordered = new List<string>();
        var visiting = new HashSet<string>(StringComparer.Ordinal);
        var done = new HashSet<string>(StringComparer.Ordinal);
        void Visit(string module)
        {
            if (done.Contains(module))
            {
                return;
            }

            if (!visiting.Add(module))
            {
                throw new ImageException($"kernel module dependency cycle at '{module}'");
            }

            foreach (var dep in ReadDepends(PathOf(module)))
            {
                Visit(dep);
            }

            visiting.Remove(module);
            done.Add(module);
            ordered.Add(module);
        }

        foreach (var module in modules)
        {
            Visit(module.Replace('-', '_'));
        }

        return ordered;
    }

    internal static IReadOnlyList<string> ReadDepends(string modulePath)
    {
        var bytes = File.ReadAllBytes(modulePath);
        ReadOnlySpan<byte> key = "depends="u8;
        var span = bytes.AsSpan();
        var at = span.IndexOf(key);
        // The key must start a NUL-separated modinfo entry, not sit inside another string.
        while (at > 0 && span[at - 1] != 0)
        {
            var next = span[(at + 1)..].IndexOf(key);
            at = next < 0 ? -1 : at + 1 + next;
        }

        if (at < 0)
        {
            return [];
        }

        var value = span[(at + key.Length)..];
        var end = value.IndexOf((byte)0);
        var text = Encoding.ASCII.GetString(end < 0 ? value : value[..end]);
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.Replace('-', '_'))
            .ToList();
    }
}
