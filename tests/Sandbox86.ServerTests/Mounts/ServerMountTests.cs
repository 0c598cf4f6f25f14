using System.Net;
using System.Text;
using System.Text.Json;
using Sandbox86.Images.Store;
using Sandbox86.ServerTests.Infrastructure;
using Sandbox86.ServerTests.Pool;

namespace Sandbox86.ServerTests.Mounts;

/// <summary>
/// Host mounts through the create API: only under the operator's <c>--mount-root</c>s (refusals need no VM),
/// and a mounted sandbox keeps its mounts across pause, resume and fork (one server, three machines).
/// </summary>
public sealed class ServerMountTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sandbox86-mount-root-");
    private readonly DirectoryInfo _outside = Directory.CreateTempSubdirectory("sandbox86-mount-outside-");

    public void Dispose()
    {
        _root.Delete(recursive: true);
        _outside.Delete(recursive: true);
    }

    private static async Task<(HttpStatusCode Status, string Text)> CreateAsync(TestServer server, string mounts)
    {
        using var response = await server.Client.PostAsync("/sandboxes", new StringContent("{\"templateID\":\"base\",\"timeout\":300," + mounts + "}", Encoding.UTF8, "application/json"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Host(string hostPath, string guest = "/workspace") =>
        "\"hostMounts\":[" + JsonSerializer.Serialize(new { hostPath, path = guest }) + "]";

    [Fact]
    public async Task A_server_without_mount_roots_refuses_every_mount_with_403()
    {
        await using var server = await TestServer.StartAsync();
        var (status, text) = await CreateAsync(server, Host(_root.FullName));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("--mount-root", text, StringComparison.Ordinal);
        (status, text) = await CreateAsync(server, "\"volumeMounts\":[{\"name\":\"ws\",\"path\":\"/workspace\"}]");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("disabled", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Paths_outside_the_root_through_a_symlink_or_with_dot_dot_are_refused()
    {
        Directory.CreateDirectory(Path.Combine(_root.FullName, "ok"));
        Directory.CreateSymbolicLink(Path.Combine(_root.FullName, "out"), _outside.FullName);
        Directory.CreateSymbolicLink(Path.Combine(_root.FullName, "in"), Path.Combine(_root.FullName, "ok"));
        await using var server = await TestServer.StartAsync(mountRoots: [_root.FullName]);

        foreach (var (mount, why) in new[]
        {
            (Host(_outside.FullName), "not under an allowed mount root"),
            (Host(_root.FullName + "-sibling"), "not under an allowed mount root"),
            (Host(Path.Combine(_root.FullName, "out")), "symlink"),
            (Host(Path.Combine(_root.FullName, "in")), "symlink"),
            (Host(Path.Combine(_root.FullName, "out", "x")), "symlink"),
            (Host(_root.FullName + "/ok/../../" + Path.GetFileName(_outside.FullName)), "'..'"),
            (Host("relative/dir"), "absolute"),
            ("\"volumeMounts\":[{\"name\":\"../" + Path.GetFileName(_outside.FullName) + "\",\"path\":\"/w\"}]", "relative path without"),
            ("\"volumeMounts\":[{\"name\":\"out\",\"path\":\"/w\"}]", "not a directory under any mount root"),
            ("\"volumeMounts\":[{\"name\":\"missing\",\"path\":\"/w\"}]", "not a directory under any mount root"),
        })
        {
            var (status, text) = await CreateAsync(server, mount);
            Assert.True(status == HttpStatusCode.Forbidden, $"{mount}: {(int)status} {text}");
            Assert.Contains(why, text, StringComparison.Ordinal);
        }

        var (s1, t1) = await CreateAsync(server, "\"hostMounts\":[{\"path\":\"/w\"}]");
        Assert.True(s1 == HttpStatusCode.BadRequest, t1);
        Assert.Empty(server.Registry.List());
    }

    [Fact]
    public async Task A_mounted_sandbox_keeps_its_mounts_across_pause_resume_and_fork()
    {
        Assert.True(ImageStore.Default.Exists("default"), "the default image is not built: test.sh builds it with './sandbox86 image build'");
        var ws = Directory.CreateDirectory(Path.Combine(_root.FullName, "ws"));
        // Commands run as E2B's `user` (uid 1000) and the mount shows host ownership (root's here, with
        // access=client the guest kernel checks it): the operator makes the workspace writable for it.
        File.SetUnixFileMode(ws.FullName, (UnixFileMode)0x1FF);
        var shared = Directory.CreateDirectory(Path.Combine(_root.FullName, "shared"));
        await File.WriteAllTextAsync(Path.Combine(shared.FullName, "readme"), "shared\n");
        await using var server = await TestServer.StartAsync(mountRoots: [_root.FullName]);
        var ids = new List<string>();
        try
        {
            var (status, text) = await CreateAsync(server, Host(ws.FullName) + ",\"volumeMounts\":[{\"name\":\"shared\",\"path\":\"/shared\",\"readOnly\":true}]");
            Assert.True(status == HttpStatusCode.Created, $"create: {(int)status} {text}");
            var sandbox = JsonDocument.Parse(text).RootElement.Clone();
            var id = sandbox.GetProperty("sandboxID").GetString()!;
            ids.Add(id);
            Assert.Equal("shared\n", await SandboxShell.RunAsync(server, sandbox, "echo one > /workspace/a; cat /shared/readme"));
            Assert.Equal("one\n", await File.ReadAllTextAsync(Path.Combine(ws.FullName, "a")));

            using (var pause = await server.Client.PostAsync($"/sandboxes/{id}/pause", null))
            {
                Assert.True(pause.IsSuccessStatusCode, $"pause: {(int)pause.StatusCode} {await pause.Content.ReadAsStringAsync()}");
            }

            await File.WriteAllTextAsync(Path.Combine(ws.FullName, "b"), "written while paused\n");
            using (var resume = await server.Client.PostAsync($"/sandboxes/{id}/resume", new StringContent("{\"timeout\":300}", Encoding.UTF8, "application/json")))
            {
                Assert.True(resume.IsSuccessStatusCode, $"resume: {(int)resume.StatusCode} {await resume.Content.ReadAsStringAsync()}");
            }

            Assert.Equal("one\nwritten while paused\n", await SandboxShell.RunAsync(server, sandbox, "cat /workspace/a /workspace/b; echo two > /workspace/c; (echo x > /shared/y) 2>/dev/null || true"));
            Assert.Equal("two\n", await File.ReadAllTextAsync(Path.Combine(ws.FullName, "c")));
            Assert.False(File.Exists(Path.Combine(shared.FullName, "y")));

            using var fork = await server.Client.PostAsync($"/sandboxes/{id}/fork", new StringContent("""{"count":1,"timeout":120}""", Encoding.UTF8, "application/json"));
            var forkText = await fork.Content.ReadAsStringAsync();
            Assert.True(201 == (int)fork.StatusCode, $"fork: {(int)fork.StatusCode} {forkText}");
            var child = JsonDocument.Parse(forkText).RootElement[0].GetProperty("sandbox").Clone();
            ids.Add(child.GetProperty("sandboxID").GetString()!);
            Assert.Equal("two\n", await SandboxShell.RunAsync(server, child, "cat /workspace/c; echo from-child > /workspace/d"));
            Assert.Equal("from-child\n", await File.ReadAllTextAsync(Path.Combine(ws.FullName, "d")));
            Assert.Equal("from-child\n", await SandboxShell.RunAsync(server, sandbox, "cat /workspace/d"));
        }
        finally
        {
            foreach (var id in ids)
            {
                await SandboxShell.KillAsync(server, id);
            }
        }
    }
}
