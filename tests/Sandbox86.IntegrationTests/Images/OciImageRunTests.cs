using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sandbox86.Images.Build;
using Sandbox86.Images.Store;
using Sandbox86.IntegrationTests.Infrastructure;

namespace Sandbox86.IntegrationTests.Images;

/// <summary>A 'docker save' archive made by the test becomes an image that runs with its own Env, WorkingDir, Entrypoint and Cmd.</summary>
[Collection("tiny image")]
public sealed class OciImageRunTests
{
    [Fact]
    public async Task An_oci_image_runs_with_its_entrypoint_cmd_env_and_workdir_like_docker_run()
    {
        var dir = Directory.CreateTempSubdirectory("sandbox86-oci-");
        var name = "it-oci-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            var archive = Path.Combine(dir.FullName, "image.tar");
            WriteDockerSave(archive, dir.FullName);
            await new ImageBuilder(ImageStore.Default).BuildAsync(new ImageBuildOptions
            {
                Name = name,
                Source = ImageSourceKind.Oci,
                SourcePath = archive,
                MemoryMb = 96,
            }, CancellationToken.None);

            var defaults = await CliRunner.RunAsync(["run", "--image", name]);
            Assert.True(defaults.ExitCode == 0, defaults.Stderr);
            Assert.Equal("[from-oci] [/etc] default-arg\n", defaults.Stdout);

            var custom = await CliRunner.RunAsync(["run", "--image", name, "--", "custom", "args"]);
            Assert.Equal("[from-oci] [/etc] custom args\n", custom.Stdout);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static void WriteDockerSave(string archive, string scratch)
    {
        var layer = Path.Combine(scratch, "layer.tar");
        TinyRootfs.Write(layer);
        // The entrypoint shows that Env and WorkingDir reached the process, then echoes its arguments.
        var script = Path.Combine(scratch, "entry.sh");
        File.WriteAllText(script, "#!/bin/sh\necho \"[$GREETING] [$(pwd)] $*\"\n");
        var config = JsonSerializer.SerializeToUtf8Bytes(new
        {
            architecture = "386",
            os = "linux",
            config = new
            {
                Env = new[] { "PATH=/bin", "GREETING=from-oci" },
                Entrypoint = new[] { "/bin/sh", "/entry.sh" },
                Cmd = new[] { "default-arg" },
                WorkingDir = "/etc",
            },
            rootfs = new { type = "layers", diff_ids = new[] { "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(layer))) } },
        });
        var configName = Convert.ToHexStringLower(SHA256.HashData(config)) + ".json";
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new[] { new { Config = configName, RepoTags = new[] { "it:latest" }, Layers = new[] { "layer.tar", "entry.tar" } } });

        var entryLayer = Path.Combine(scratch, "entry.tar");
        using (var stream = File.Create(entryLayer))
        using (var tar = new TarWriter(stream, TarEntryFormat.Pax))
        {
            tar.WriteEntry(script, "entry.sh");
        }

        using var output = File.Create(archive);
        using var writer = new TarWriter(output, TarEntryFormat.Pax);
        writer.WriteEntry(layer, "layer.tar");
        writer.WriteEntry(entryLayer, "entry.tar");
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, configName) { DataStream = new MemoryStream(config) });
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "manifest.json") { DataStream = new MemoryStream(manifest) });
    }
}
