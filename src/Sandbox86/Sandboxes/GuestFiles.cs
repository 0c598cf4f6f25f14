using Sandbox86.Guest;
using Sandbox86.Util;

namespace Sandbox86.Sandboxes;

/// <summary>
/// Copies files and directory trees between the host and the guest through the agent, like <c>docker cp</c>:
/// a directory is copied recursively with its files' permission bits; copies out land atomically (a file
/// through a temp file and a rename, a tree in a temp directory renamed into place).
/// </summary>
public static class GuestFiles
{
    /// <summary>Checks a copy-in before a VM is started, so a typo costs nothing.</summary>
    public static void ValidateCopyIn(FileCopy copy)
    {
        if (!File.Exists(copy.HostPath) && !Directory.Exists(copy.HostPath))
        {
            throw new SandboxRunException($"source not found: {copy.HostPath}");
        }

        RequireAbsoluteGuestPath(copy);
    }

    /// <summary>Copies a host file or directory tree into the guest at <c>copy.GuestPath</c>, keeping permission bits.</summary>
    public static async Task CopyInAsync(AgentClient agent, FileCopy copy, CancellationToken cancellationToken)
    {
        ValidateCopyIn(copy);
        if (Directory.Exists(copy.HostPath))
        {
            var root = Path.GetFullPath(copy.HostPath);
            var guestRoot = copy.GuestPath.TrimEnd('/');
            await agent.MkdirAsync(guestRoot.Length == 0 ? "/" : guestRoot, 0x1ED, parents: true, cancellationToken);
            foreach (var dir in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                await agent.MkdirAsync(guestRoot + "/" + Relative(root, dir), 0x1ED, parents: true, cancellationToken);
            }

            foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            {
                await CopyFileInAsync(agent, file, guestRoot + "/" + Relative(root, file), cancellationToken);
            }

            return;
        }

        var target = copy.GuestPath.EndsWith('/') ? copy.GuestPath + Path.GetFileName(copy.HostPath) : copy.GuestPath;
        await CopyFileInAsync(agent, copy.HostPath, target, cancellationToken);
    }

    /// <summary>
    /// Copies a guest file or tree to the host. Into an existing host directory it lands under its own name.
    /// Guest symlinks and special files are skipped (their count is returned): the guest is not trusted to
    /// make the host follow a link. Names the guest reports are checked before they touch a host path.
    /// </summary>
    public static async Task<CopyOutReport> CopyOutAsync(AgentClient agent, FileCopy copy, CancellationToken cancellationToken)
    {
        RequireAbsoluteGuestPath(copy);
        var guestPath = copy.GuestPath.Length > 1 ? copy.GuestPath.TrimEnd('/') : copy.GuestPath;
        var target = Directory.Exists(copy.HostPath) ? Path.Combine(copy.HostPath, GuestName(guestPath)) : copy.HostPath;
        var directory = Path.GetDirectoryName(Path.GetFullPath(target))!;
        if (!Directory.Exists(directory))
        {
            throw new SandboxRunException($"destination directory does not exist: {directory}");
        }

        var info = await agent.StatAsync(guestPath, cancellationToken);
        var report = new CopyOutReport();
        if (!info.IsDirectory)
        {
            await CopyFileOutAsync(agent, guestPath, target, info.Permissions, cancellationToken);
            report.Files++;
            return report;
        }

        var temp = AtomicFile.TempPathFor(target);
        try
        {
            Directory.CreateDirectory(temp);
            await CopyTreeOutAsync(agent, guestPath, temp, report, cancellationToken);
            if (Directory.Exists(target))
            {
                // Replacing a tree cannot be one rename; the old one is moved aside first, then removed.
                var old = AtomicFile.TempPathFor(target);
                Directory.Move(target, old);
                Directory.Move(temp, target);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temp, target);
            }

            return report;
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    private static async Task CopyTreeOutAsync(AgentClient agent, string guestDir, string hostDir, CopyOutReport report, CancellationToken cancellationToken)
    {
        foreach (var entry in await agent.ListAsync(guestDir, cancellationToken))
        {
            if (!IsSafeName(entry.Name))
            {
                report.Skipped++;
                continue;
            }

            var guestChild = guestDir == "/" ? "/" + entry.Name : guestDir + "/" + entry.Name;
            var hostChild = Path.Combine(hostDir, entry.Name);
            if (entry.IsDirectory)
            {
                Directory.CreateDirectory(hostChild);
                await CopyTreeOutAsync(agent, guestChild, hostChild, report, cancellationToken);
            }
            else if (entry.IsRegularFile)
            {
                await CopyFileOutAsync(agent, guestChild, hostChild, entry.Permissions, cancellationToken);
                report.Files++;
            }
            else
            {
                report.Skipped++;
            }
        }
    }

    private static async Task CopyFileInAsync(AgentClient agent, string hostPath, string guestPath, CancellationToken cancellationToken)
    {
        await using var source = File.OpenRead(hostPath);
        var mode = (int)File.GetUnixFileMode(hostPath) & 0xFFF;
        await agent.WriteFileAsync(guestPath, source, mode, createParents: true, cancellationToken);
    }

    private static async Task CopyFileOutAsync(AgentClient agent, string guestPath, string hostPath, int permissions, CancellationToken cancellationToken)
    {
        var temp = AtomicFile.TempPathFor(hostPath);
        try
        {
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                await agent.ReadFileAsync(guestPath, output, cancellationToken);
            }

            // Permission bits only: setuid/setgid/sticky from a guest never reach the host.
            File.SetUnixFileMode(temp, (UnixFileMode)(permissions & 0x1FF));
            AtomicFile.Commit(temp, hostPath);
        }
        finally
        {
            AtomicFile.TryDelete(temp);
        }
    }

    private static void RequireAbsoluteGuestPath(FileCopy copy)
    {
        if (!copy.GuestPath.StartsWith('/'))
        {
            throw new SandboxRunException($"guest path must be absolute: {copy.GuestPath}");
        }
    }

    internal static bool IsSafeName(string name) =>
        name.Length > 0 && name != "." && name != ".." && !name.Contains('/', StringComparison.Ordinal) && !name.Contains('\0', StringComparison.Ordinal);

    private static string GuestName(string guestPath)
    {
        var name = guestPath[(guestPath.LastIndexOf('/') + 1)..];
        return IsSafeName(name) ? name : throw new SandboxRunException($"cannot copy the guest's '{guestPath}' into a directory: it has no file name");
    }

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');
}
