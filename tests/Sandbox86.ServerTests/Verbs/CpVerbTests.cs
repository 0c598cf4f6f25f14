using System.Security.Cryptography;
using Xunit.Abstractions;

namespace Sandbox86.ServerTests.Verbs;

/// <summary><c>sandbox86 cp</c> of files and directories both ways, hash-checked, with docker cp's placement rules.</summary>
[Collection("verbs")]
public sealed class CpVerbTests(VerbsFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _host = Directory.CreateTempSubdirectory("sandbox86-cp-");

    [Fact]
    public async Task A_file_goes_in_and_comes_back_out_unchanged()
    {
        var data = new byte[1024 * 1024];
        Random.Shared.NextBytes(data);
        var source = Path.Combine(_host.FullName, "blob.bin");
        await File.WriteAllBytesAsync(source, data);
        var hash = Convert.ToHexStringLower(SHA256.HashData(data));

        var put = await fixture.RunAsync(["cp", source, $"{fixture.Name}:/tmp/cp-file.bin"]);
        Assert.True(put.ExitCode == 0, put.Stderr);
        var inGuest = await fixture.RunAsync(["exec", fixture.Name, "--", "sha256sum", "/tmp/cp-file.bin"]);
        Assert.Equal(hash, inGuest.Stdout.Split(' ')[0]);

        // Onto an existing host directory, it lands inside it under its own name.
        var back = Path.Combine(_host.FullName, "back");
        Directory.CreateDirectory(back);
        var get = await fixture.RunAsync(["cp", $"{fixture.Id}:/tmp/cp-file.bin", back]);
        Assert.True(get.ExitCode == 0, get.Stderr);
        Assert.Equal(hash, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(back, "cp-file.bin")))));
        output.WriteLine($"cp 1 MiB file: in {put.Elapsed.TotalMilliseconds:0} ms, out {get.Elapsed.TotalMilliseconds:0} ms (CLI start included)");
    }

    [Fact]
    public async Task A_directory_tree_goes_in_and_comes_back_out_with_contents_and_modes()
    {
        var tree = Path.Combine(_host.FullName, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "sub", "deeper"));
        var files = new Dictionary<string, byte[]>();
        for (var i = 0; i < 40; i++)
        {
            var rel = i % 3 == 0 ? $"sub/deeper/f{i}.dat" : i % 3 == 1 ? $"sub/f{i}.dat" : $"f{i}.dat";
            var bytes = new byte[Random.Shared.Next(0, 16 * 1024)];
            Random.Shared.NextBytes(bytes);
            files[rel] = bytes;
            await File.WriteAllBytesAsync(Path.Combine(tree, rel), bytes);
        }

        var script = Path.Combine(tree, "run.sh");
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho ran\n");
        File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        files["run.sh"] = await File.ReadAllBytesAsync(script);

        var guestDir = "/home/user/cp-tree-" + Guid.NewGuid().ToString("N")[..6];
        var put = await fixture.RunAsync(["cp", tree, $"{fixture.Name}:{guestDir}"]);
        Assert.True(put.ExitCode == 0, put.Stderr);
        // Not existing before, the destination became the directory itself (docker cp); the script still runs.
        var ran = await fixture.RunAsync(["exec", fixture.Name, "--", guestDir + "/run.sh"]);
        Assert.Equal("ran\n", ran.Stdout);
        var sums = await fixture.RunAsync(["exec", "-w", guestDir, fixture.Name, "--", "sh", "-c", "find . -type f | sort | xargs sha256sum"]);
        var guestSums = sums.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split("  ", 2)).ToDictionary(p => p[1][2..], p => p[0]);
        Assert.Equal(files.Keys.Order(), guestSums.Keys.Order());
        foreach (var (rel, bytes) in files)
        {
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), guestSums[rel]);
        }

        var back = Path.Combine(_host.FullName, "back-tree");
        var get = await fixture.RunAsync(["cp", $"{fixture.Name}:{guestDir}", back]);
        Assert.True(get.ExitCode == 0, get.Stderr);
        foreach (var (rel, bytes) in files)
        {
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(back, rel)));
        }

        Assert.Equal(files.Count, Directory.GetFiles(back, "*", SearchOption.AllDirectories).Length);
        Assert.True((File.GetUnixFileMode(Path.Combine(back, "run.sh")) & UnixFileMode.UserExecute) != 0, "the executable bit came back");

        // Onto an existing directory, it lands inside it under its own name.
        var again = await fixture.RunAsync(["cp", $"{fixture.Name}:{guestDir}", back]);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(files["sub/f1.dat"], await File.ReadAllBytesAsync(Path.Combine(back, Path.GetFileName(guestDir), "sub", "f1.dat")));
        output.WriteLine($"cp tree of {files.Count} files ({files.Values.Sum(b => b.Length) / 1024} KiB): in {put.Elapsed.TotalMilliseconds:0} ms, out {get.Elapsed.TotalMilliseconds:0} ms (CLI start included)");
    }

    [Fact]
    public async Task A_missing_sandbox_path_fails_without_creating_anything()
    {
        var target = Path.Combine(_host.FullName, "never");
        var r = await fixture.RunAsync(["cp", $"{fixture.Name}:/no/such/path", target]);
        Assert.NotEqual(0, r.ExitCode);
        Assert.False(File.Exists(target) || Directory.Exists(target));
    }

    public void Dispose() => _host.Delete(recursive: true);
}
