using System.Text;
using Sandbox86.Images;
using Sandbox86.Images.Build;

namespace Sandbox86.Tests.Images.Build;

public sealed class KernelModulesTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sandbox86-modules-");

    public void Dispose() => _dir.Delete(recursive: true);

    private void Module(string relativePath, string depends)
    {
        var path = Path.Combine(_dir.FullName, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // A .ko keeps its modinfo as NUL-separated key=value strings; surround it with noise that
        // contains the key inside another string, which must not be taken for the entry.
        var bytes = Encoding.ASCII.GetBytes($"\u007fELF junk xdepends=wrong\0license=GPL\0depends={depends}\0vermagic=6.1\0");
        File.WriteAllBytes(path, bytes);
    }

    [Fact]
    public void Dependencies_come_first_and_each_module_once()
    {
        Module("kernel/fs/9p/9p.ko", "9pnet,fscache,netfs");
        Module("kernel/net/9p/9pnet.ko", "");
        Module("kernel/fs/fscache/fscache.ko", "netfs");
        Module("kernel/fs/netfs/netfs.ko", "");
        Module("kernel/net/9p/9pnet_virtio.ko", "virtio,9pnet,virtio_ring");
        Module("kernel/drivers/virtio/virtio.ko", "");
        Module("kernel/drivers/virtio/virtio_ring.ko", "");

        var order = new KernelModules(_dir.FullName).WithDependencies(["9pnet_virtio", "9p"]).ToList();

        Assert.Equal(order.Count, order.Distinct().Count());
        Assert.Equal(7, order.Count);
        Assert.True(order.IndexOf("netfs") < order.IndexOf("fscache"));
        Assert.True(order.IndexOf("fscache") < order.IndexOf("9p"));
        Assert.True(order.IndexOf("9pnet") < order.IndexOf("9pnet_virtio"));
        Assert.True(order.IndexOf("virtio_ring") < order.IndexOf("9pnet_virtio"));
    }

    [Fact]
    public void A_missing_module_or_a_cycle_is_a_clear_error()
    {
        Module("a.ko", "b");
        Module("b.ko", "a");
        Module("c.ko", "nope");
        var modules = new KernelModules(_dir.FullName);
        Assert.Contains("cycle", Assert.Throws<ImageException>(() => modules.WithDependencies(["a"])).Message, StringComparison.Ordinal);
        Assert.Contains("'nope' not found", Assert.Throws<ImageException>(() => modules.WithDependencies(["c"])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dashes_and_underscores_name_the_same_module()
    {
        Module("kernel/x/virtio-pci.ko", "");
        Assert.Equal(["virtio_pci"], new KernelModules(_dir.FullName).WithDependencies(["virtio-pci"]));
    }
}
