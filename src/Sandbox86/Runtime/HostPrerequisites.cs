using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Sandbox86.Machines;

namespace Sandbox86.Runtime;

/// <summary>
/// Checks the host programs and files sandbox86 uses (it needs no root at run time, but a few Debian
/// packages), names the one <c>apt-get</c> line that installs what is missing, and runs it when asked
/// as root. The same list as the <c>./sandbox86</c> launcher in a checkout, without gcc (development only).
/// </summary>
public static class HostPrerequisites
{
    /// <summary>The oldest Node.js whose <c>--experimental-websocket</c> flag the worker relies on.</summary>
    public static readonly Version MinimumNode = new(20, 10);

    /// <summary>Checks what <paramref name="features"/> need; <paramref name="assets"/> names the Node.js to use.</summary>
    public static async Task<HostCheck> CheckAsync(HostFeatures features, RuntimeAssets? assets = null, CancellationToken cancellationToken = default)
    {
        assets ??= RuntimeAssets.Default;
        var problems = new List<string>();
        var packages = new List<string>();
        var unfixable = new List<string>();
        var needsI386 = false;

        void Missing(string problem, string package)
        {
            problems.Add(problem);
            if (!packages.Contains(package))
            {
                packages.Add(package);
            }
        }

        void Unfixable(string problem)
        {
            problems.Add(problem);
            unfixable.Add(problem);
        }

        if (features.HasFlag(HostFeatures.Machines))
        {
            await CheckNodeAsync(assets.NodeExecutable, Missing, Unfixable, cancellationToken).ConfigureAwait(false);
            if (!File.Exists(HostFirmware.Bios) || !File.Exists(HostFirmware.VgaBios))
            {
                Missing($"SeaBIOS ({HostFirmware.Bios})", "seabios");
            }

            if (!NativeLibrary.TryLoad("libzstd.so.1", out var zstd))
            {
                Missing("libzstd.so.1", "libzstd1");
            }
            else
            {
                NativeLibrary.Free(zstd);
            }
        }

        if (features.HasFlag(HostFeatures.ImageBuilds))
        {
            if (FindOnPath("apt-get") is null || FindOnPath("dpkg-deb") is null)
            {
                Unfixable("apt-get and dpkg-deb (image builds take the kernel from Debian's archive: a Debian host is needed)");
            }
            else if (!await HasI386Async(cancellationToken).ConfigureAwait(false))
            {
                problems.Add("the i386 package architecture (dpkg --add-architecture i386)");
                needsI386 = true;
            }

            if (FindOnPath("xz") is null)
            {
                Missing("xz", "xz-utils");
            }

            if (FindOnPath("zstd") is null)
            {
                Missing("zstd", "zstd");
            }
        }

        if (features.HasFlag(HostFeatures.DebianBuilds) && FindOnPath("debootstrap") is null)
        {
            Missing("debootstrap", "debootstrap");
        }

        return new HostCheck { Problems = problems, Packages = packages, NeedsI386 = needsI386, Unfixable = unfixable };
    }

    /// <summary>
    /// Checks, and when something is missing and this process is root, installs it with apt (as the
    /// launcher does) and checks again. Throws <see cref="HostPrerequisiteException"/> naming the
    /// <c>apt-get</c> line when something is still missing.
    /// </summary>
    public static async Task EnsureAsync(HostFeatures features, RuntimeAssets? assets, ILogger? logger, CancellationToken cancellationToken)
    {
        var check = await CheckAsync(features, assets, cancellationToken).ConfigureAwait(false);
        if (check.IsSatisfied)
        {
            return;
        }

        if (Environment.IsPrivilegedProcess && check.InstallCommand is not null && check.Unfixable.Count == 0)
        {
            RuntimeLog.Installing(logger, string.Join(' ', check.Packages));
            await InstallAsync(check, logger, cancellationToken).ConfigureAwait(false);
            check = await CheckAsync(features, assets, cancellationToken).ConfigureAwait(false);
            if (check.IsSatisfied)
            {
                return;
            }
        }

        throw new HostPrerequisiteException(check.Describe()) { Check = check };
    }

    /// <summary>Runs <see cref="HostCheck.InstallCommand"/>'s steps (needs root); apt's output goes to <paramref name="logger"/>.</summary>
    public static async Task InstallAsync(HostCheck check, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(check);
        if (check.NeedsI386)
        {
            await RunAsync("dpkg", ["--add-architecture", "i386"], logger, mustSucceed: true, cancellationToken).ConfigureAwait(false);
        }

        // An index that is mid-sync makes 'apt-get update' exit non-zero; the other indexes are still usable.
        if (!await RunAsync("apt-get", ["update", "-q"], logger, mustSucceed: false, cancellationToken).ConfigureAwait(false))
        {
            RuntimeLog.AptUpdateFailed(logger);
        }

        if (check.Packages.Count > 0)
        {
            await RunAsync("apt-get", ["install", "-y", "-q", .. check.Packages], logger, mustSucceed: true, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task CheckNodeAsync(string node, Action<string, string> missing, Action<string> unfixable, CancellationToken cancellationToken)
    {
        var path = node.Contains('/', StringComparison.Ordinal) ? (File.Exists(node) ? node : null) : FindOnPath(node);
        if (path is null)
        {
            missing($"Node.js ({node} not found; {MinimumNode.Major}.{MinimumNode.Minor} or later)", "nodejs");
            return;
        }

        var output = await CaptureAsync(path, ["--version"], cancellationToken).ConfigureAwait(false);
        // "v20.20.2"
        if (output is null || !Version.TryParse(output.Trim().TrimStart('v'), out var version))
        {
            unfixable($"Node.js at {path} did not report its version");
        }
        else if (version < MinimumNode)
        {
            unfixable($"Node.js {version} at {path} is too old ({MinimumNode.Major}.{MinimumNode.Minor} or later needed; set SANDBOX86_NODE to a newer one)");
        }
    }

    private static async Task<bool> HasI386Async(CancellationToken cancellationToken)
    {
        var native = await CaptureAsync("dpkg", ["--print-architecture"], cancellationToken).ConfigureAwait(false);
        if (native?.Trim() == "i386")
        {
            return true;
        }

        var foreign = await CaptureAsync("dpkg", ["--print-foreign-architectures"], cancellationToken).ConfigureAwait(false);
        return foreign is not null && foreign.Split('\n', StringSplitOptions.TrimEntries).Contains("i386");
    }

    internal static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return candidate;
            }
        }

        return null;
    }

    // stdout of a short query, or null when it cannot run or fails.
    private static async Task<string?> CaptureAsync(string file, string[] arguments, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        try
        {
            using var process = Process.Start(psi);
            if (process is null)
            {
                return null;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            _ = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                return null;
            }

            return process.ExitCode == 0 ? await stdout.ConfigureAwait(false) : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static async Task<bool> RunAsync(string file, string[] arguments, ILogger? logger, bool mustSucceed, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new HostPrerequisiteException($"cannot start {file}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new HostPrerequisiteException($"cannot start {file}: {e.Message}", e);
        }

        using (process)
        {
            process.OutputDataReceived += (_, e) => { if (e.Data is { } line) { RuntimeLog.AptOutput(logger, line); } };
            process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { RuntimeLog.AptOutput(logger, line); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0 && mustSucceed)
            {
                throw new HostPrerequisiteException($"{file} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}");
            }

            return process.ExitCode == 0;
        }
    }
}
