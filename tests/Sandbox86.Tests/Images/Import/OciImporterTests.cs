using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sandbox86.Images;
using Sandbox86.Images.Fs;
using Sandbox86.Images.Import;

namespace Sandbox86.Tests.Images.Import;

public sealed class OciImporterTests
{
    private static readonly byte[] Layer1 = TarFixtures.Build(w =>
    {
        w.Dir("etc/");
        w.File("etc/a", "A"u8.ToArray());
        w.File("etc/b", "B"u8.ToArray());
        w.Dir("opt/dir/");
        w.File("opt/dir/x", "X"u8.ToArray());
        w.Dir("opt/dir/sub/");
        w.File("opt/dir/sub/y", "Y"u8.ToArray());
        w.File("bin/sh", "sh v1"u8.ToArray(), (UnixFileMode)0x1ED);
    });

    private static readonly byte[] Layer2 = TarFixtures.Build(w =>
    {
        w.File("etc/.wh.a", []);
        w.Dir("opt/dir/");
        w.File("opt/dir/.wh..wh..opq", []);
        w.File("opt/dir/new", "N"u8.ToArray());
        w.File("bin/sh", "sh v2"u8.ToArray(), (UnixFileMode)0x1ED, 0, 0);
    });

    private static readonly string[] _env = ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"];
    private static readonly string[] _cmd = ["/bin/sh", "-c", "echo hi"];

    private static string ConfigJson(string arch) => JsonSerializer.Serialize(new
    {
        architecture = arch,
        os = "linux",
        config = new
        {
            Env = _env,
            Cmd = _cmd,
            WorkingDir = "/work",
            User = "1000:1000",
        },
    });

    private static string Digest(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    private static void AssertLayersApplied(ImportResult result, ChunkStore store)
    {
        var tree = result.Tree;
        Assert.Null(tree.Lookup("/etc/a"));
        Assert.NotNull(tree.Lookup("/etc/b"));
        Assert.Null(tree.Lookup("/opt/dir/x"));
        Assert.Null(tree.Lookup("/opt/dir/sub"));
        Assert.NotNull(tree.Lookup("/opt/dir/new"));
        Assert.Null(tree.Lookup("/etc/.wh.a"));
        Assert.Null(tree.Lookup("/opt/dir/.wh..wh..opq"));
        using var sh = store.OpenRead(tree.Lookup("/bin/sh")!.ChunkName!);
        Assert.Equal("sh v2", new StreamReader(sh).ReadToEnd());
        Assert.Equal(3, result.Report.Files);
    }

    private static void AssertConfig(ImportResult result)
    {
        var config = result.Report.Config;
        Assert.NotNull(config);
        Assert.Equal(["PATH=/usr/bin:/bin", "LANG=C.UTF-8"], config.Env);
        Assert.Equal(["/bin/sh", "-c", "echo hi"], config.Cmd);
        Assert.Equal("/work", config.WorkingDir);
        Assert.Equal("1000:1000", config.User);
        Assert.Equal("386", config.Architecture);
    }

    private static byte[] DockerSave(string arch) => TarFixtures.Build(w =>
    {
        var config = Encoding.UTF8.GetBytes(ConfigJson(arch));
        w.File("cfg123.json", config);
        w.File("l1/layer.tar", Layer1);
        w.File("l2/layer.tar", TarFixtures.Gzip(Layer2));
        w.File("manifest.json", Encoding.UTF8.GetBytes("""[{"Config":"cfg123.json","RepoTags":["t:latest"],"Layers":["l1/layer.tar","l2/layer.tar"]}]"""));
    });

    [Fact]
    public void Docker_save_layers_apply_with_whiteouts_and_config_is_returned()
    {
        using var dir = new TempDir();
        var path = dir.Combine("image.tar");
        File.WriteAllBytes(path, DockerSave("386"));
        var store = new ChunkStore(dir.Combine("chunks"), compress: true);
        var result = OciImporter.Import(path, store);
        AssertLayersApplied(result, store);
        AssertConfig(result);
        Assert.Empty(Directory.GetFiles(store.Directory, ".tmp-*"));
    }

    [Fact]
    public void Gzipped_docker_save_works_and_wrong_architecture_is_refused()
    {
        using var dir = new TempDir();
        var path = dir.Combine("image.tar.gz");
        File.WriteAllBytes(path, TarFixtures.Gzip(DockerSave("386")));
        var store = new ChunkStore(dir.Combine("chunks"), compress: false);
        AssertLayersApplied(OciImporter.Import(path, store), store);
        Assert.Empty(Directory.GetFiles(store.Directory, ".tmp-*"));

        File.WriteAllBytes(path, DockerSave("amd64"));
        var e = Assert.Throws<ImageException>(() => OciImporter.Import(path, store));
        Assert.Contains("amd64", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Writes an OCI layout with a nested index listing the given platforms (all sharing the layers).</summary>
    private static void WriteOciLayout(string root, params string[] architectures)
    {
        var blobs = Path.Combine(root, "blobs", "sha256");
        Directory.CreateDirectory(blobs);
        string Put(byte[] data)
        {
            var digest = Digest(data);
            File.WriteAllBytes(Path.Combine(blobs, digest[7..]), data);
            return digest;
        }

        var l1 = TarFixtures.Gzip(Layer1);
        var l2 = Zstd.Compress(Layer2, 3);
        var descriptors = new List<object>();
        foreach (var arch in architectures)
        {
            var config = Encoding.UTF8.GetBytes(ConfigJson(arch));
            var manifest = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
            {
                schemaVersion = 2,
                mediaType = "application/vnd.oci.image.manifest.v1+json",
                config = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = Put(config), size = config.Length },
                layers = new object[]
                {
                    new { mediaType = "application/vnd.oci.image.layer.v1.tar+gzip", digest = Put(l1), size = l1.Length },
                    new { mediaType = "application/vnd.oci.image.layer.v1.tar+zstd", digest = Put(l2), size = l2.Length },
                },
            }));
            descriptors.Add(new
            {
                mediaType = "application/vnd.oci.image.manifest.v1+json",
                digest = Put(manifest),
                size = manifest.Length,
                platform = new { architecture = arch, os = "linux" },
            });
        }

        var inner = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { schemaVersion = 2, manifests = descriptors }));
        var innerDigest = Put(inner);
        File.WriteAllText(Path.Combine(root, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        File.WriteAllText(Path.Combine(root, "index.json"), JsonSerializer.Serialize(new
        {
            schemaVersion = 2,
            manifests = new[] { new { mediaType = "application/vnd.oci.image.index.v1+json", digest = innerDigest, size = inner.Length } },
        }));
    }

    [Fact]
    public void Oci_layout_directory_picks_the_386_manifest()
    {
        using var dir = new TempDir();
        var layout = dir.Combine("layout");
        WriteOciLayout(layout, "amd64", "386", "arm64");
        var store = new ChunkStore(dir.Combine("chunks"), compress: true);
        var result = OciImporter.Import(layout, store);
        AssertLayersApplied(result, store);
        AssertConfig(result);
    }

    [Fact]
    public void Oci_layout_tar_without_386_names_the_platforms_it_has()
    {
        using var dir = new TempDir();
        var layout = dir.Combine("layout");
        WriteOciLayout(layout, "amd64", "arm64");
        var tarPath = dir.Combine("oci.tar");
        TarFile.CreateFromDirectory(layout, tarPath, includeBaseDirectory: false);
        var store = new ChunkStore(dir.Combine("chunks"), compress: false);
        var e = Assert.Throws<ImageException>(() => OciImporter.Import(tarPath, store));
        Assert.Contains("linux/386", e.Message, StringComparison.Ordinal);
        Assert.Contains("linux/amd64", e.Message, StringComparison.Ordinal);
        Assert.Contains("linux/arm64", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Oci_layout_tar_with_386_imports()
    {
        using var dir = new TempDir();
        var layout = dir.Combine("layout");
        WriteOciLayout(layout, "386");
        var tarPath = dir.Combine("oci.tar");
        TarFile.CreateFromDirectory(layout, tarPath, includeBaseDirectory: false);
        var store = new ChunkStore(dir.Combine("chunks"), compress: false);
        AssertLayersApplied(OciImporter.Import(tarPath, store), store);
    }

    [Fact]
    public void Not_an_image_is_a_clear_error()
    {
        using var dir = new TempDir();
        var path = dir.Combine("plain.tar");
        File.WriteAllBytes(path, TarFixtures.Build(w => w.File("hello", "x"u8.ToArray())));
        var store = new ChunkStore(dir.Combine("chunks"), compress: false);
        var e = Assert.Throws<ImageException>(() => OciImporter.Import(path, store));
        Assert.Contains("manifest.json", e.Message, StringComparison.Ordinal);
        Assert.Throws<ImageException>(() => OciImporter.Import(dir.Combine("nope"), store));
    }

    [Fact]
    public void Opaque_marker_keeps_entries_the_same_layer_wrote_before_it()
    {
        using var dir = new TempDir();
        var upper = TarFixtures.Build(w =>
        {
            w.Dir("opt/dir/");
            w.File("opt/dir/early", "E"u8.ToArray());
            w.Dir("opt/dir/sub/");
            w.File("opt/dir/sub/fresh", "F"u8.ToArray());
            w.File("opt/dir/.wh..wh..opq", []);
        });
        var archive = TarFixtures.Build(w =>
        {
            w.File("c.json", Encoding.UTF8.GetBytes(ConfigJson("386")));
            w.File("a/layer.tar", Layer1);
            w.File("b/layer.tar", upper);
            w.File("manifest.json", Encoding.UTF8.GetBytes("""[{"Config":"c.json","Layers":["a/layer.tar","b/layer.tar"]}]"""));
        });
        var path = dir.Combine("image.tar");
        File.WriteAllBytes(path, archive);
        var tree = OciImporter.Import(path, new ChunkStore(dir.Combine("chunks"), compress: false)).Tree;

        Assert.NotNull(tree.Lookup("/opt/dir/early"));
        Assert.NotNull(tree.Lookup("/opt/dir/sub/fresh"));
        Assert.Null(tree.Lookup("/opt/dir/x"));
        Assert.Null(tree.Lookup("/opt/dir/sub/y"));
        Assert.NotNull(tree.Lookup("/etc/a"));
    }
}
