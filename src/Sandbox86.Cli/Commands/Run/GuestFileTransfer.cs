using Sandbox86.Cli.Output;
using Sandbox86.Guest;

namespace Sandbox86.Cli.Commands.Run;

/// <summary>Copies files and directory trees between the host and the guest through the agent.</summary>
internal static class GuestFileTransfer
{
    /// <summary>Checks <c>--copy-in</c> sources before a VM is started, so a typo costs nothing.</summary>
    public static void ValidateCopyIn(IEnumerable<CopySpec> specs)
    {
        foreach (var spec in specs)
        {
            if (!File.Exists(spec.From) && !Directory.Exists(spec.From))
            {
                throw new UsageException($"--copy-in source not found: {spec.From}");
            }

            if (!spec.To.StartsWith('/'))
            {
                throw new UsageException($"--copy-in guest path must be absolute: {spec.To}");
            }
        }
    }

    public static async Task CopyInAsync(AgentClient agent, CopySpec spec, CancellationToken cancellationToken)
    {
        if (Directory.Exists(spec.From))
        {
            var root = Path.GetFullPath(spec.From);
            var guestRoot = spec.To.TrimEnd('/');
            await agent.MkdirAsync(guestRoot, 0x1ED, parents: true, cancellationToken);
            foreach (var dir in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                await agent.MkdirAsync(guestRoot + "/" + Path.GetRelativePath(root, dir).Replace('\\', '/'), 0x1ED, parents: true, cancellationToken);
            }

            foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            {
                await CopyFileInAsync(agent, file, guestRoot + "/" + Path.GetRelativePath(root, file).Replace('\\', '/'), cancellationToken);
            }

            return;
        }

        var target = spec.To.EndsWith('/') ? spec.To + Path.GetFileName(spec.From) : spec.To;
        await CopyFileInAsync(agent, spec.From, target, cancellationToken);
    }

    private static async Task CopyFileInAsync(AgentClient agent, string hostPath, string guestPath, CancellationToken cancellationToken)
    {
        await using var source = File.OpenRead(hostPath);
        var mode = (int)File.GetUnixFileMode(hostPath) & 0xFFF;
        await agent.WriteFileAsync(guestPath, source, mode, createParents: true, cancellationToken);
    }

    /// <summary>Reads a guest file into a temp file next to the target, then renames: no half-written output.</summary>
    public static async Task CopyOutAsync(AgentClient agent, CopySpec spec, CancellationToken cancellationToken)
    {
        var target = Directory.Exists(spec.To) ? Path.Combine(spec.To, Path.GetFileName(spec.From.TrimEnd('/'))) : spec.To;
        var directory = Path.GetDirectoryName(Path.GetFullPath(target))!;
        if (!Directory.Exists(directory))
        {
            throw new UsageException($"--copy-out destination directory does not exist: {directory}");
        }

        var temp = Sandbox86.Util.AtomicFile.TempPathFor(target);
        try
        {
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                await agent.ReadFileAsync(spec.From, output, cancellationToken);
            }

            Sandbox86.Util.AtomicFile.Commit(temp, target);
        }
        finally
        {
            Sandbox86.Util.AtomicFile.TryDelete(temp);
        }
    }
}
