using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.Machines;
using Sandbox86.Sandboxes;
using Sandbox86.Util;

namespace Sandbox86.Bench.Files;

/// <summary>
/// 10 MB in and out of a guest through the three front doors issue 10 names: the library
/// (<see cref="GuestFiles"/> on a running machine), the CLI (<c>run --copy-in/--copy-out</c>, timed
/// as the difference to the same run without the copy) and the server's envd <c>/files</c>. Every
/// copy is hash-checked, so a fast wrong answer cannot count.
/// </summary>
internal static class FileTransferBench
{
    private const int Size = 10_000_000;

    public static async Task<int> RunAsync(int runs, bool skipServer, bool serverOnly = false)
    {
        Console.WriteLine($"machine: {Stats.Machine()}; load average at start: {LoadAverage()}");
        var work = Directory.CreateTempSubdirectory("sbx86-files-bench-");
        try
        {
            var input = Path.Combine(work.FullName, "in.bin");
            var data = RandomNumberGenerator.GetBytes(Size);
            await File.WriteAllBytesAsync(input, data);
            var hash = Convert.ToHexString(SHA256.HashData(data));

            if (!serverOnly)
            {
                await LibraryAsync(input, hash, work.FullName, runs);
                await CliAsync(input, hash, work.FullName, runs);
            }

            if (!skipServer)
            {
                await ServerAsync(data, hash, runs);
            }

            Console.WriteLine($"load average at end: {LoadAverage()}");
            return 0;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static async Task LibraryAsync(string input, string hash, string work, int runs)
    {
        var image = ImageStore.Default.Open("default");
        await using var vm = await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None);
        foreach (var (guestDir, channelOnly) in new[] { ("/root", false), ("/tmp", false), ("/root", true) })
        {
            vm.Agent.ChannelOnly = channelOnly;
            var how = channelOnly ? "the agent channel only (the path before)" : guestDir == "/root" ? "v86's 9p tree" : "tmpfs: the agent channel";
            var ins = new List<double>();
            var outs = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var guest = $"{guestDir}/bench-{i}.bin";
                var clock = Stopwatch.StartNew();
                await GuestFiles.CopyInAsync(vm.Agent, new FileCopy(input, guest), CancellationToken.None);
                ins.Add(clock.Elapsed.TotalSeconds);
                var output = Path.Combine(work, $"lib-{i}.bin");
                clock.Restart();
                await GuestFiles.CopyOutAsync(vm.Agent, new FileCopy(output, guest), CancellationToken.None);
                outs.Add(clock.Elapsed.TotalSeconds);
                Check(output, hash);
                var sum = await vm.Agent.ExecAsync(ExecRequest.ForArgv("sha256sum", guest), CancellationToken.None);
                if (!sum.StdoutText.StartsWith(hash, StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException($"the guest sees other content in {guest}: {sum.StdoutText}{sum.StderrText}");
                }

                await vm.Agent.RemoveAsync(guest, cancellationToken: CancellationToken.None);
                File.Delete(output);
            }

            Console.WriteLine(Rate($"library copy-in of 10 MB to {guestDir} via {how}", ins));
            Console.WriteLine(Rate($"library copy-out of 10 MB from {guestDir} via {how}", outs));
        }
    }

    private static async Task CliAsync(string input, string hash, string work, int runs)
    {
        var plain = new List<double>();
        var copyIn = new List<double>();
        var copyOut = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            plain.Add(await CliSecondsAsync(["run", "--", "true"]));
            copyIn.Add(await CliSecondsAsync(["run", "--copy-in", $"{input}:/root/in.bin", "--", "true"]));
            var output = Path.Combine(work, $"cli-{i}.bin");
            copyOut.Add(await CliSecondsAsync(["run", "--copy-in", $"{input}:/root/in.bin", "--copy-out", $"/root/in.bin:{output}", "--", "true"]));
            Check(output, hash);
            File.Delete(output);
        }

        var baseline = Stats.Median(plain);
        var inOnly = Stats.Median(copyIn);
        Console.WriteLine(Stats.Describe("CLI run -- true", plain, "s"));
        Console.WriteLine($"CLI --copy-in of 10 MB: median {inOnly - baseline:0.000} s beyond the run ({Mib(inOnly - baseline)}); run median {inOnly:0.00} s");
        var both = Stats.Median(copyOut);
        Console.WriteLine($"CLI --copy-out of 10 MB: median {both - inOnly:0.000} s beyond the copy-in run ({Mib(both - inOnly)}); run median {both:0.00} s");
    }

    private static async Task ServerAsync(byte[] data, string hash, int runs)
    {
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(CliDll());
        foreach (var a in new[] { "serve", "--listen", $"127.0.0.1:{port}", "--data", Path.Combine(Path.GetTempPath(), $"sbx86-files-bench-serve-{port}") })
        {
            psi.ArgumentList.Add(a);
        }

        using var server = Process.Start(psi)!;
        _ = server.StandardOutput.ReadToEndAsync();
        _ = server.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(2) };
            http.DefaultRequestHeaders.Add("X-API-Key", "e2b_00000000000000000000000000000000");
            for (var i = 0; ; i++)
            {
                try
                {
                    using var health = await http.GetAsync("/health");
                    break;
                }
                catch (HttpRequestException) when (i < 300)
                {
                    await Task.Delay(100);
                }
            }

            using var created = await http.PostAsJsonAsync("/sandboxes", new JsonObject { ["templateID"] = "base", ["timeout"] = 600 });
            created.EnsureSuccessStatusCode();
            var id = (await created.Content.ReadFromJsonAsync<JsonObject>())!["sandboxID"]!.GetValue<string>();
            var ins = new List<double>();
            var outs = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var path = $"/home/user/bench-{i}.bin";
                using var upload = new HttpRequestMessage(HttpMethod.Post, $"/files?path={Uri.EscapeDataString(path)}&username=user") { Content = new ByteArrayContent(data) };
                upload.Content.Headers.ContentType = new("application/octet-stream");
                upload.Headers.Add("E2b-Sandbox-Id", id);
                var clock = Stopwatch.StartNew();
                using (var response = await http.SendAsync(upload))
                {
                    response.EnsureSuccessStatusCode();
                }

                ins.Add(clock.Elapsed.TotalSeconds);
                using var download = new HttpRequestMessage(HttpMethod.Get, $"/files?path={Uri.EscapeDataString(path)}&username=user");
                download.Headers.Add("E2b-Sandbox-Id", id);
                clock.Restart();
                byte[] back;
                using (var response = await http.SendAsync(download))
                {
                    response.EnsureSuccessStatusCode();
                    back = await response.Content.ReadAsByteArrayAsync();
                }

                outs.Add(clock.Elapsed.TotalSeconds);
                if (Convert.ToHexString(SHA256.HashData(back)) != hash)
                {
                    throw new InvalidOperationException($"server GET /files returned other content ({back.Length} bytes)");
                }
            }

            Console.WriteLine(Rate("server POST /files of 10 MB (octet-stream)", ins));
            Console.WriteLine(Rate("server GET /files of 10 MB", outs));
            using var kill = await http.DeleteAsync($"/sandboxes/{id}");
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    private static async Task<double> CliSecondsAsync(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(CliDll());
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var elapsed = clock.Elapsed.TotalSeconds;
        await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"sandbox86 {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}");
        }

        return elapsed;
    }

    private static string CliDll() => Path.Combine(SandboxPaths.RepoRoot, "src", "Sandbox86.Cli", "bin", "Release", "net10.0", "Sandbox86.Cli.dll");

    private static void Check(string path, string hash)
    {
        var actual = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
        if (actual != hash)
        {
            throw new InvalidOperationException($"{path}: content differs from what was copied in");
        }
    }

    private static string Rate(string what, List<double> seconds) =>
        $"{Stats.Describe(what, seconds, "s")} = {Mib(Stats.Median(seconds))}";

    private static string Mib(double seconds) => seconds <= 0 ? "n/a" : $"{Size / 1048576.0 / seconds:0.0} MiB/s";

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
