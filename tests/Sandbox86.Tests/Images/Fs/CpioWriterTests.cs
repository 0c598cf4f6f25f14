using System.Diagnostics;
using System.IO.Compression;
using Sandbox86.Images.Fs;

namespace Sandbox86.Tests.Images.Fs;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CpioWriterTests
{
    private static (string Stdout, string Stderr, int Code) Run(string workDir, string command, byte[] stdin)
    {
        var info = new ProcessStartInfo("sh", ["-c", command])
        {
            WorkingDirectory = workDir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.BaseStream.Write(stdin);
        process.StandardInput.Close();
        process.WaitForExit();
        return (stdout.Result, stderr.Result, process.ExitCode);
    }

    private static byte[] BuildArchive()
    {
        using var output = new MemoryStream();
        using (var cpio = new CpioWriter(output, gzip: true, leaveOpen: true))
        {
            cpio.AddDirectory("/dev");
            cpio.AddCharDevice("/dev/console", 5, 1);
            cpio.AddDirectory("bin");
            cpio.AddFile("/init", "#!/bin/sh\necho hi\n"u8, 0x1ED);
            cpio.AddFile("/bin/odd", new MemoryStream([1, 2, 3]));
            cpio.AddSymlink("/bin/sh", "busybox");
            cpio.Finish();
        }

        return output.ToArray();
    }

    [Fact]
    public void System_cpio_lists_every_entry_with_types()
    {
        var gz = BuildArchive();
        using var raw = new MemoryStream();
        using (var unzip = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress))
        {
            unzip.CopyTo(raw);
        }

        Assert.Equal(0, raw.Length % 4);
        using var dir = new TempDir();
        var (stdout, stderr, code) = Run(dir.Path, "cpio -t -v", raw.ToArray());
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("crw-------", StringComparison.Ordinal) && l.Contains("dev/console", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("lrwxrwxrwx", StringComparison.Ordinal) && l.EndsWith("bin/sh -> busybox", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("-rwxr-xr-x", StringComparison.Ordinal) && l.EndsWith(" init", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("drwxr-xr-x", StringComparison.Ordinal) && l.EndsWith(" dev", StringComparison.Ordinal));
    }

    [Fact]
    public void System_cpio_extracts_equal_content()
    {
        var gz = BuildArchive();
        using var dir = new TempDir();
        // Device nodes need root to create; extract only files and links (as an unprivileged run would).
        var (_, stderr, code) = Run(dir.Path, "gzip -dc | cpio -i -d --no-absolute-filenames init bin/odd bin/sh", gz);
        Assert.True(code == 0, stderr);
        Assert.Equal("#!/bin/sh\necho hi\n", File.ReadAllText(dir.Combine("init")));
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(dir.Combine("bin", "odd")));
        Assert.Equal("busybox", new FileInfo(dir.Combine("bin", "sh")).LinkTarget);
        Assert.Equal(UnixFileMode.UserExecute, File.GetUnixFileMode(dir.Combine("init")) & UnixFileMode.UserExecute);
    }
}
