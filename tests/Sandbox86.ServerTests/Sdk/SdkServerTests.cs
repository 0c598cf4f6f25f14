using System.Diagnostics;
using System.Text.Json;
using Sandbox86.Images.Store;
using Sandbox86.Server.Sandboxes;
using Sandbox86.ServerTests.Envd;
using Sandbox86.ServerTests.Infrastructure;

namespace Sandbox86.ServerTests.Sdk;

/// <summary>
/// The unmodified e2b SDK against one shared real server (full control plane, no fakes): users, timeouts,
/// metrics, networks, secure sandboxes, expiry, and pause across an image rebuild and a server restart.
/// </summary>
public sealed class SdkServerTests(SharedServerFixture fixture) : IClassFixture<SharedServerFixture>
{
    private TestServer Server => fixture.Server;

    [Fact]
    public async Task Users_command_timeouts_metrics_and_the_network_of_a_default_sandbox()
    {
        var r = await E2bSdk.RunAsync(Server, """
            import { Sandbox } from 'e2b'
            const sbx = await Sandbox.create({ timeoutMs: 300_000 })
            const me = await sbx.commands.run('id -un; echo $HOME; pwd')
            const root = await sbx.commands.run('id -un; echo $HOME; pwd', { user: 'root' })
            await sbx.files.write('owned.txt', 'mine')
            await sbx.files.write('/root/rooted.txt', 'root', { user: 'root' })
            const owners = await sbx.commands.run('stat -c %U:%G /home/user/owned.txt; stat -c %U /root/rooted.txt', { user: 'root' })
            let denied = 'written'
            try { await sbx.files.write('/root/nope.txt', 'x') } catch (e) { denied = e.constructor.name }
            const t0 = Date.now()
            let timedOut = 'no'
            try { await sbx.commands.run('echo $$ > /tmp/to.pid; exec sleep 60', { timeoutMs: 2000 }) } catch (e) { timedOut = e.constructor.name }
            const elapsed = Date.now() - t0
            const gone = await sbx.commands.run('kill -0 $(cat /tmp/to.pid) 2>/dev/null && echo alive || echo gone')
            // CPU is measured since the previous reading: give the idle one 2 s of idleness, or it measures the metrics call itself.
            await sbx.getMetrics()
            await new Promise(res => setTimeout(res, 2000))
            const idle = (await sbx.getMetrics())[0]
            await sbx.commands.run("timeout 3 sh -c 'while :; do :; done' || true")
            const busy = (await sbx.getMetrics())[0]
            const net = await sbx.commands.run('cat /proc/net/route; grep -c 10.0.2.15 /proc/net/fib_trie || true')
            console.log(JSON.stringify({ id: sbx.sandboxId, me: me.stdout, root: root.stdout, owners: owners.stdout, denied, timedOut,
              elapsed, gone: gone.stdout.trim(), idle, busy, net: net.stdout }))
            """);
        Assert.Equal("user\n/home/user\n/home/user\n", r.GetProperty("me").GetString());
        Assert.Equal("root\n/root\n/root\n", r.GetProperty("root").GetString());
        Assert.Equal("user:user\nroot\n", r.GetProperty("owners").GetString());
        Assert.NotEqual("written", r.GetProperty("denied").GetString());
        Assert.Equal("TimeoutError", r.GetProperty("timedOut").GetString());
        Assert.InRange(r.GetProperty("elapsed").GetDouble(), 1500, 15000);
        Assert.Equal("gone", r.GetProperty("gone").GetString());

        var busy = r.GetProperty("busy");
        Assert.Equal(1, busy.GetProperty("cpuCount").GetInt32());
        var total = busy.GetProperty("memTotal").GetInt64();
        var used = busy.GetProperty("memUsed").GetInt64();
        // The guest's own figures: a 256 MB guest reports a bit less than 256 MiB total, and uses some of it.
        Assert.InRange(total, 150L << 20, 256L << 20);
        Assert.InRange(used, 1L << 20, total - 1);
        Assert.True(busy.GetProperty("memCache").GetInt64() > 0);
        // Disk from the guest's statfs of / (the 9p root): some of it is used by the image's ~117 MiB of files.
        var diskTotal = busy.GetProperty("diskTotal").GetInt64();
        Assert.InRange(busy.GetProperty("diskUsed").GetInt64(), 1L << 20, diskTotal);
        var busyPct = busy.GetProperty("cpuUsedPct").GetDouble();
        var idlePct = r.GetProperty("idle").GetProperty("cpuUsedPct").GetDouble();
        Assert.True(busyPct > 3 && busyPct > idlePct, $"a spinning guest should show CPU: busy {busyPct}%, idle {idlePct}%");
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "sandbox86-serve-metrics.txt"), $"idle {idlePct}% busy {busyPct}% used {used} total {total}");

        // The default (allow_internet_access unset = E2B's true): eth0 configured with a default route via 10.0.2.2.
        var net = r.GetProperty("net").GetString()!;
        Assert.Contains("eth0\t00000000\t0202000A", net);
        Assert.NotEqual("0", net.Trim().Split('\n')[^1]);

        // The list form the SDK's types name: only running sandboxes that exist are in it.
        var id = r.GetProperty("id").GetString()!;
        using var list = JsonDocument.Parse(await Server.Client.GetStringAsync($"/sandboxes/metrics?sandbox_ids={id},nosuchsandbox"));
        var sandboxes = list.RootElement.GetProperty("sandboxes");
        Assert.Single(sandboxes.EnumerateObject());
        Assert.True(sandboxes.GetProperty(id).GetProperty("memTotal").GetInt64() > 0);
        await Server.Registry.KillAsync(id);
    }

    [Fact]
    public async Task No_internet_access_means_no_route_a_secure_sandbox_needs_its_token_and_expiry_kills()
    {
        var tag = "secure-" + Guid.NewGuid().ToString("N")[..8];
        // The pinned SDK has no "secure" option (it sends none): create over REST, then let the SDK connect,
        // which hands it the envd access token from the connect answer.
        using var created = await Server.Client.PostAsync("/v2/sandboxes", new StringContent(
            """{"templateID":"default","timeout":120,"allow_internet_access":false,"secure":true,"metadata":{"suite":""" + "\"" + tag + "\"}}",
            System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(201, (int)created.StatusCode);
        var createdId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("sandboxID").GetString();
        var r = await E2bSdk.RunAsync(Server, $$"""
            import { Sandbox } from 'e2b'
            const sbx = await Sandbox.connect('{{createdId}}', { timeoutMs: 120_000 })
            const route = await sbx.commands.run('cat /proc/net/route; grep -c 10.0.2.15 /proc/net/fib_trie || true')
            const running = await Sandbox.list({ query: { metadata: { suite: '{{tag}}' }, state: ['running'] } }).nextItems()
            const paused = await Sandbox.list({ query: { metadata: { suite: '{{tag}}' }, state: ['paused'] } }).nextItems()
            console.log(JSON.stringify({ id: sbx.sandboxId, route: route.stdout, running: running.length, paused: paused.length }))
            """);
        var id = r.GetProperty("id").GetString()!;
        // Only the header line: no interface has a route, and no address of our network was configured.
        var route = r.GetProperty("route").GetString()!.Trim().Split('\n');
        Assert.Equal(2, route.Length);
        Assert.StartsWith("Iface", route[0]);
        Assert.Equal("0", route[1]);
        Assert.Equal(1, r.GetProperty("running").GetInt32());
        Assert.Equal(0, r.GetProperty("paused").GetInt32());
        var entry = Server.Registry.Get(id);
        Assert.Null(entry.NetworkOrNull);

        // The SDK passed the token above; without it (or with a wrong one) envd refuses.
        var token = entry.EnvdAccessToken!;
        using (var none = new ConnectClient(new Uri(Server.Url), id))
        {
            Assert.Equal(401, (await none.UnaryAsync("/process.Process/List", "{}")).Status);
        }

        using (var wrong = new ConnectClient(new Uri(Server.Url), id, "x" + token))
        {
            Assert.Equal(401, (await wrong.UnaryAsync("/process.Process/List", "{}")).Status);
        }

        using (var right = new ConnectClient(new Uri(Server.Url), id, token))
        {
            Assert.Equal(200, (await right.UnaryAsync("/process.Process/List", "{}")).Status);
        }

        // setTimeout to 2 s: the reaper must really end the worker, not just forget the record.
        var worker = entry.Machine.WorkerProcessId;
        var after = await E2bSdk.RunAsync(Server, $$"""
            import { Sandbox } from 'e2b'
            await Sandbox.setTimeout('{{id}}', 2_000)
            await new Promise(res => setTimeout(res, 5_000))
            let state = 'exists'
            try { await Sandbox.getInfo('{{id}}') } catch (e) { state = e.constructor.name }
            console.log(JSON.stringify({ state }))
            """);
        Assert.Equal("SandboxNotFoundError", after.GetProperty("state").GetString());
        for (var i = 0; i < 50 && Directory.Exists($"/proc/{worker}"); i++)
        {
            await Task.Delay(100);
        }

        Assert.False(Directory.Exists($"/proc/{worker}"), $"worker {worker} of the expired sandbox still runs");
    }

    [Fact]
    public async Task A_paused_sandbox_keeps_its_files_package_and_build_across_a_rebuild_and_a_restart()
    {
        var name = "pintest-" + Guid.NewGuid().ToString("N")[..8];
        var store = ImageStore.Default;
        InstallCopyOfDefault(store, name);
        try
        {
            var r = await E2bSdk.RunAsync(Server, $$"""
                import { Sandbox } from 'e2b'
                const sbx = await Sandbox.create('{{name}}', { timeoutMs: 300_000 })
                await sbx.files.write('keep.txt', 'kept across pause')
                await sbx.commands.run("printf '#!/bin/sh\\necho pkg-ok\\n' > /usr/local/bin/hello-pkg && chmod 755 /usr/local/bin/hello-pkg", { user: 'root' })
                await sbx.pause()
                console.log(JSON.stringify({ id: sbx.sandboxId }))
                """);
            var id = r.GetProperty("id").GetString()!;
            var build = Server.Registry.Get(id).Record.BuildDirectory!;
            Assert.True(Directory.Exists(build));

            // "image build" of the same name: a new build takes the name and collection runs.
            InstallCopyOfDefault(store, name);
            Assert.NotEqual(build, store.Open(name).Directory);
            Assert.True(Directory.Exists(build), "the build a paused sandbox resumes from was collected by a rebuild");

            // Restarted: the pin is on disk, not in this process; another rebuild still leaves it.
            await Server.RestartAsync();
            InstallCopyOfDefault(store, name);
            Assert.True(Directory.Exists(build), "the paused sandbox's build was collected after a server restart");

            var after = await E2bSdk.RunAsync(Server, $$"""
                import { Sandbox } from 'e2b'
                const before = await Sandbox.getInfo('{{id}}')
                const sbx = await Sandbox.connect('{{id}}', { timeoutMs: 60_000 })
                const out = await sbx.commands.run('cat keep.txt; echo; hello-pkg')
                console.log(JSON.stringify({ before: before.state, out: out.stdout }))
                """);
            Assert.Equal("paused", after.GetProperty("before").GetString());
            Assert.Equal("kept across pause\npkg-ok\n", after.GetProperty("out").GetString());
            Assert.Equal(build, Server.Registry.Get(id).Record.BuildDirectory);

            // Killed: the pin goes, and with it the old build (nothing else holds it).
            await Server.Registry.KillAsync(id);
            Assert.False(Directory.Exists(build), "the old build outlived the sandbox that pinned it");
        }
        finally
        {
            store.Remove(name);
        }
    }

    [Fact]
    public async Task A_guest_flooding_stdout_into_a_stalled_reader_is_held_back_and_server_memory_stays_bounded()
    {
        using var created = await Server.Client.PostAsync("/v2/sandboxes", new StringContent("""{"templateID":"default","timeout":120}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(201, (int)created.StatusCode);
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("sandboxID").GetString()!;
        using var client = new ConnectClient(new Uri(Server.Url), id, receiveBuffer: 16 * 1024);
        GC.Collect();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var start = new ByteArrayContent(ConnectClient.Envelope(System.Text.Encoding.UTF8.GetBytes(
            """{"process":{"cmd":"/bin/sh","args":["-c","exec yes 0123456789012345678901234567890123456789012345678901234567890123456789"]}}""")));
        start.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/connect+json");
        var response = await client.SendAsync(client.Request(HttpMethod.Post, "/process.Process/Start", start), HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        // Read only the start event, then stall: nothing more is read from the HTTP stream.
        var header = new byte[5];
        await stream.ReadExactlyAsync(header);
        var first = new byte[System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1))];
        await stream.ReadExactlyAsync(first);
        var pid = JsonDocument.Parse(first).RootElement.GetProperty("event").GetProperty("start").GetProperty("pid").GetUInt32();

        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false) - heapBefore);
                await Task.Delay(100);
            }
        });

        // The guest's own count of bytes yes has written (task I/O accounting), read by a second command.
        async Task<long> Written()
        {
            var frames = await client.StreamAsync("/process.Process/Start", "{\"process\":{\"cmd\":\"/bin/sh\",\"args\":[\"-c\",\"grep ^wchar /proc/" + pid + "/io\"]}}");
            var text = string.Concat(frames.Select(f => f.Message).Where(m => m.TryGetProperty("event", out var e) && e.TryGetProperty("data", out _))
                .Select(m => System.Text.Encoding.UTF8.GetString(m.GetProperty("event").GetProperty("data").GetProperty("stdout").GetBytesFromBase64())));
            return long.Parse(text.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        }

        // The pipes, the agent's window and the kernel's socket buffers fill (on loopback the server's send buffer
        // autotunes to ~4 MB: measured 3.6 MB queued), then yes must block: its count stops. Unbounded buffering
        // in the server would let it go on at guest speed (~0.3-0.5 MB/s here) for as long as we wait.
        var readings = new List<long> { await Written() };
        while (readings.Count < 15 && (readings.Count < 2 || readings[^1] != readings[^2]))
        {
            await Task.Delay(2000);
            readings.Add(await Written());
        }

        await sampling.CancelAsync();
        await sampler;
        response.Dispose();
        Assert.Equal(200, (await client.UnaryAsync("/process.Process/SendSignal", "{\"process\":{\"pid\":" + pid + "},\"signal\":\"SIGNAL_SIGKILL\"}")).Status);
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "sandbox86-serve-flood.txt"), $"yes wrote {string.Join(" ", readings)} bytes (every 2 s); peak heap growth {peak}");
        // Blocked: the guest wrote what the pipe, the agent's window and the socket buffers hold, and then no more.
        Assert.True(readings[^1] > 64 * 1024, $"yes wrote only {readings[^1]} bytes: the flood did not start");
        Assert.True(readings[^1] == readings[^2], $"yes kept writing into a stalled reader: {string.Join(" -> ", readings)} bytes");
        Assert.True(readings[^1] < 16L * 1024 * 1024, $"{readings[^1]} bytes went somewhere before yes blocked");
        Assert.True(peak < 48L * 1024 * 1024, $"server heap grew by {peak / 1024} KiB while the reader stalled");
        await Server.Registry.KillAsync(id);
    }

    /// <summary>Installs a hard-linked copy of the default image's build under <paramref name="name"/> with a fresh build id: a rebuild, in a second.</summary>
    private static void InstallCopyOfDefault(ImageStore store, string name)
    {
        var source = store.Open("default").Directory;
        var work = store.CreateBuildDirectory(name);
        Directory.Delete(work);
        using (var cp = Process.Start("cp", ["-al", source, work])!)
        {
            cp.WaitForExit();
            Assert.Equal(0, cp.ExitCode);
        }

        foreach (var f in new[] { ".lease" })
        {
            File.Delete(Path.Combine(work, f));
        }

        // Snapshots are per build; image.json is rewritten, not edited in place (it is a hard link).
        var manifest = Path.Combine(work, "image.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifest))!;
        json["name"] = name;
        json["buildId"] = Guid.NewGuid().ToString("N");
        File.Delete(manifest);
        File.WriteAllText(manifest, json.ToJsonString());
        store.Install(work, name);
    }
}
