using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Sandbox86.Guest;
using Sandbox86.Machines;
using Sandbox86.Machines.Worker;
using Sandbox86.Mounts.Host;
using Sandbox86.Mounts.Server;

namespace Sandbox86.Mounts;

/// <summary>
/// The live mounts of one machine: one 9P session on a virtio-console port (<c>/dev/hvc2</c>) whose tree
/// has one top entry per mount, mounted once in the guest with <c>trans=fd</c> and bind-mounted at
/// each guest path by a shell command run through the agent (so any prebuilt agent works).
/// </summary>
internal sealed class GuestMounts : IAsyncDisposable
{
    /// <summary>The virtio-console port that carries 9P (port 1 is the agent's).</summary>
    public const int Port = 2;

    /// <summary>
    /// The msize a guest mount negotiates. v86's virtio-console receive queue holds 16 page-sized guest
    /// buffers and drops host bytes beyond them (the worker sends a reply at once, in 4 KiB pieces),
    /// so a reply must stay well inside 64 KiB: 16 KiB lets four replies be in flight.
    /// </summary>
    public static NineLimits Limits { get; } = new() { MaxMessageSize = 16 * 1024 };

    /// <summary>Where the whole tree is mounted in the guest; the mounts are bind mounts of its entries.</summary>
    public const string GuestRoot = "/run/sandbox86/9p";

    private readonly NineServer _server;
    private readonly AgentChannelStream _stream;
    private readonly CancellationTokenSource _stop = new();
    private Task _session = Task.CompletedTask;

    private GuestMounts(NineServer server, AgentChannelStream stream, IReadOnlyList<MountSpec> specs)
    {
        _server = server;
        _stream = stream;
        Specs = specs;
    }

    /// <summary>What is mounted, in order (top entry i is <c>Specs[i]</c>).</summary>
    public IReadOnlyList<MountSpec> Specs { get; }

    /// <summary>True when the guest lacked the fd transport and it was copied in from the host's kernel cache (an image built before it was in the initramfs).</summary>
    public bool CopiedTransportModule { get; private set; }

    /// <summary>The console ports a machine with mounts forwards.</summary>
    public static IReadOnlyList<int> ConsolePorts { get; } = [WorkerConsolePorts.Agent, Port];

    /// <summary>Opens every host directory (failing before the guest is touched), serves them, and mounts them in the guest.</summary>
    public static async Task<GuestMounts> AttachAsync(IWorkerConnection worker, AgentClient agent, string kernelVersion,
        IReadOnlyList<MountSpec> mounts, NineLimits limits, ILogger? logger, CancellationToken cancellationToken)
    {
        var exports = new List<NineExport>();
        try
        {
            for (var i = 0; i < mounts.Count; i++)
            {
                mounts[i].Validate();
                var fd = mounts[i].OpenHostDirectory();
                if (fd < 0)
                {
                    throw new MachineException($"cannot open mount source {mounts[i].HostPath}: {HostFs.Describe(-fd)}");
                }

                exports.Add(new NineExport(Encoding.ASCII.GetBytes(i.ToString(CultureInfo.InvariantCulture)), fd, mounts[i].ReadOnly));
            }
        }
        catch
        {
            exports.ForEach(e => e.Dispose());
            throw;
        }

        var result = new GuestMounts(new NineServer(exports, limits), new AgentChannelStream(worker, Port), [.. mounts]);
        try
        {
            result._session = Task.Run(() => NineSession.RunAsync(result._stream, result._server, limits.MaxMessageSize, logger, result._stop.Token), CancellationToken.None);
            result.CopiedTransportModule = await EnsureTransportModuleAsync(agent, kernelVersion, cancellationToken);
            var mount = await agent.ExecAsync(new ExecRequest { Argv = ["/bin/sh", "-c", MountScript(mounts, limits.MaxMessageSize)], Timeout = TimeSpan.FromSeconds(30) }, cancellationToken);
            if (mount.ExitCode != 0)
            {
                throw new MachineException($"mounting in the guest failed (exit {mount.ExitCode}): {mount.StderrText.Trim()}");
            }

            return result;
        }
        catch
        {
            await result.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The shell the agent runs: open hvc2 raw (a line discipline would echo and rewrite the bytes),
    /// hand it to the kernel's 9P client, then bind each top entry where the user asked.
    /// The open happens in a subshell: the agent's command is a session leader, and a session leader
    /// opening a tty makes it its controlling terminal, which the kernel hangs up (ending the 9P
    /// connection) when that shell exits. <c>cache=none</c> keeps both sides coherent: every read and write goes to the host.
    /// </summary>
    internal static string MountScript(IReadOnlyList<MountSpec> mounts, int msize)
    {
        var sb = new StringBuilder();
        sb.Append("set -e; d=").Append(GuestRoot).Append("; mkdir -p $d; (exec 3<>/dev/hvc").Append(Port)
            .Append("; stty raw -echo -iexten <&3; mount -t 9p -o trans=fd,rfdno=3,wfdno=3,version=9p2000.L,cache=none,access=client,msize=")
            .Append(msize.ToString(CultureInfo.InvariantCulture)).Append(" sandbox86 $d)");
        for (var i = 0; i < mounts.Count; i++)
        {
            var g = mounts[i].GuestPath;
            sb.Append("; mkdir -p '").Append(g).Append("'; mount --bind $d/").Append(i).Append(" '").Append(g).Append('\'');
            if (mounts[i].ReadOnly)
            {
                // The server refuses writes anyway; a read-only bind makes the guest say EROFS itself.
                sb.Append("; mount -o remount,bind,ro '").Append(g).Append('\'');
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// Debian's kernel builds 9P's fd transport as a module (<c>9pnet_fd</c>) that the image's initramfs
    /// does not load: copy it from the host's kernel cache and insert it when the guest lacks it.
    /// </summary>
    private static async Task<bool> EnsureTransportModuleAsync(AgentClient agent, string kernelVersion, CancellationToken cancellationToken)
    {
        try
        {
            await agent.StatAsync("/sys/module/9pnet_fd", cancellationToken);
            return false;
        }
        catch (AgentException)
        {
            // Not loaded yet.
        }

        var module = Path.Combine(Util.SandboxPaths.Cache, "debs", $"linux-image-{kernelVersion}_i386", "lib", "modules", kernelVersion, "kernel", "net", "9p", "9pnet_fd.ko");
        if (!File.Exists(module))
        {
            throw new MachineException($"the guest kernel has no 9P fd transport loaded and its module is not at {module} (rebuild the image, or mount nothing)");
        }

        await using (var content = File.OpenRead(module))
        {
            await agent.WriteFileAsync("/run/sandbox86/9pnet_fd.ko", content, 420, createParents: true, cancellationToken);
        }

        var r = await agent.ExecAsync(new ExecRequest { Argv = ["/bin/sh", "-c", "busybox insmod /run/sandbox86/9pnet_fd.ko || insmod /run/sandbox86/9pnet_fd.ko"] }, cancellationToken);
        if (r.ExitCode != 0)
        {
            throw new MachineException($"loading the guest's 9P fd transport failed (exit {r.ExitCode}): {r.StderrText.Trim()}");
        }

        return true;
    }

    /// <summary>
    /// Unmounts everything in the guest (binds first, then the 9P tree, which ends the kernel's session and
    /// closes its hvc2), so the guest holds no 9P state a save would carry into a new server. Not lazy: when
    /// a guest process holds a file or directory under a mount, the unmount fails and the mounts stay as they were.
    /// </summary>
    public async Task UnmountAsync(AgentClient agent, CancellationToken cancellationToken)
    {
        var r = await agent.ExecAsync(new ExecRequest { Argv = ["/bin/sh", "-c", UnmountScript(Specs)], Timeout = TimeSpan.FromSeconds(30) }, cancellationToken);
        if (r.ExitCode != 0)
        {
            throw new MachineException($"cannot detach the mounts before saving (a guest process may hold files under them open): {r.StderrText.Trim()}");
        }
    }

    internal static string UnmountScript(IReadOnlyList<MountSpec> mounts)
    {
        var sb = new StringBuilder("set -e");
        for (var i = mounts.Count - 1; i >= 0; i--)
        {
            sb.Append("; umount '").Append(mounts[i].GuestPath).Append('\'');
        }

        return sb.Append("; umount ").Append(GuestRoot).ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _session;
        await _stream.DisposeAsync();
        _server.Dispose();
        _stop.Dispose();
    }
}
