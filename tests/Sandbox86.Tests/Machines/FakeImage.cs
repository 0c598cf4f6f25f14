using Sandbox86.Images.Store;

namespace Sandbox86.Tests.Machines;

/// <summary>A stored image with just the files a machine start reads, for scripted-worker tests.</summary>
internal static class FakeImage
{
    public static StoredImage Create(string root, string name = "img", string buildId = "0123456789abcdef0123456789abcdef")
    {
        var dir = Path.Combine(root, name + "-" + buildId[..8]);
        Directory.CreateDirectory(dir);
        Write(dir, name, buildId);
        return StoredImage.Load(dir);
    }

    /// <summary>Builds and installs a fake image under <paramref name="name"/> in <paramref name="store"/> (a rebuild when the name exists).</summary>
    public static StoredImage Install(ImageStore store, string name, string buildId)
    {
        var dir = store.CreateBuildDirectory(name);
        Write(dir, name, buildId);
        return store.Install(dir, name);
    }

    private static void Write(string dir, string name, string buildId)
    {
        File.WriteAllBytes(Path.Combine(dir, "initrd.img"), new byte[1024 * 1024]);
        StoredImage.WriteManifest(dir, Images.Store.ImageStoreTests.Manifest(name, buildId));
    }
}
