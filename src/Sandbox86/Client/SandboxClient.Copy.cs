using System.Formats.Tar;
using System.IO.Pipelines;
using System.Text;

namespace Sandbox86.Client;

/// <summary>
/// <c>docker cp</c> between the host and a sandbox. Files go through envd's <c>/files</c>; directories as a
/// tar stream through the guest's own <c>tar</c> (one exec, stdin or stdout), which keeps modes and
/// symbolic links and costs one round trip instead of one per file.
/// </summary>
public sealed partial class SandboxClient
{
    /// <summary>Bytes per SendInput call: large enough that per-call cost is small, well under envd's 4 MiB message limit.</summary>
    private const int StdinChunk = 512 * 1024;

    /// <summary>
    /// Copies a host file or directory into the sandbox with <c>docker cp</c>'s rules: onto an existing
    /// directory it lands inside it under its own name; otherwise it becomes <paramref name="guestPath"/>.
    /// </summary>
    public async Task CopyToSandboxAsync(string sandboxId, string hostPath, string guestPath, string? user = null, CancellationToken cancellationToken = default)
    {
        var source = Path.GetFullPath(hostPath);
        var existing = await TryStatAsync(sandboxId, guestPath, user, cancellationToken).ConfigureAwait(false);
        if (File.Exists(source))
        {
            var target = existing is { IsDirectory: true } dir ? dir.Path.TrimEnd('/') + "/" + Path.GetFileName(source) : existing?.Path ?? guestPath;
            var stream = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                await UploadAsync(sandboxId, target, stream, user, cancellationToken).ConfigureAwait(false);
            }

            // /files writes 0644; keep an executable bit the way docker cp does.
            if ((File.GetUnixFileMode(source) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                await RunCheckedAsync(sandboxId, ["chmod", "+x", "--", target], user, null, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (!Directory.Exists(source))
        {
            throw new FileNotFoundException($"no such file or directory: {hostPath}", hostPath);
        }

        if (existing is { IsDirectory: false })
        {
            throw new SandboxApiException(400, "invalid_argument", $"cannot copy a directory onto the file {existing.Path}");
        }

        var into = existing?.Path ?? guestPath;
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 * StdinChunk, resumeWriterThreshold: StdinChunk));
        var writer = WriteTarAsync(source, pipe.Writer, includeBaseDirectory: existing is not null, cancellationToken);
        try
        {
            await RunCheckedAsync(
                sandboxId,
                ["sh", "-c", "mkdir -p -- \"$1\" && exec tar -x --no-same-owner -f - -C \"$1\"", "sh", into],
                user,
                pipe.Reader.AsStream(),
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await pipe.Reader.CompleteAsync().ConfigureAwait(false);
            await writer.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Copies a file or directory out of the sandbox with <c>docker cp</c>'s rules. A directory's tar stream
    /// is the guest's word: entries that leave the destination, devices and links pointing outside are refused.
    /// </summary>
    public async Task CopyFromSandboxAsync(string sandboxId, string guestPath, string hostPath, string? user = null, CancellationToken cancellationToken = default)
    {
        var info = await StatAsync(sandboxId, guestPath, user, cancellationToken).ConfigureAwait(false);
        var destination = Path.GetFullPath(hostPath);
        if (!info.IsDirectory)
        {
            var target = Directory.Exists(destination) ? Path.Combine(destination, info.Name) : destination;
            var temp = target + ".sandbox86-" + Guid.NewGuid().ToString("N")[..8];
            try
            {
                var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, useAsync: true);
                await using (stream.ConfigureAwait(false))
                {
                    await DownloadAsync(sandboxId, info.Path, stream, user, cancellationToken).ConfigureAwait(false);
                }

                if (info.Mode is { } mode)
                {
                    File.SetUnixFileMode(temp, (UnixFileMode)(mode & 0x1FF));
                }

                File.Move(temp, target, overwrite: true);
            }
            finally
            {
                File.Delete(temp);
            }

            return;
        }

        if (File.Exists(destination))
        {
            throw new IOException($"cannot copy a directory onto the file {hostPath}");
        }

        var includeBase = Directory.Exists(destination);
        Directory.CreateDirectory(destination);
        var path = info.Path.TrimEnd('/');
        var parent = path.LastIndexOf('/') is var slash and > 0 ? path[..slash] : "/";
        IReadOnlyList<string> command = includeBase
            ? ["tar", "-c", "-f", "-", "-C", parent, "--", info.Name]
            : ["tar", "-c", "-f", "-", "-C", path, "."];
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 * StdinChunk, resumeWriterThreshold: StdinChunk));
        var extract = ExtractAsync(pipe.Reader, destination, cancellationToken);
        try
        {
            await RunCheckedAsync(sandboxId, command, user, null, cancellationToken, pipe.Writer).ConfigureAwait(false);
            await pipe.Writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await pipe.Writer.CompleteAsync(e).ConfigureAwait(false);
            try
            {
                await extract.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The command's failure is the one to report.
            }

            throw;
        }

        await extract.ConfigureAwait(false);
    }

    private async Task<SandboxFileInfo?> TryStatAsync(string sandboxId, string path, string? user, CancellationToken cancellationToken)
    {
        try
        {
            return await StatAsync(sandboxId, path, user, cancellationToken).ConfigureAwait(false);
        }
        catch (SandboxApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    /// <summary>Runs a helper command; its stdout goes to <paramref name="stdout"/> when given; a non-zero exit throws with its stderr.</summary>
    private async Task RunCheckedAsync(string sandboxId, IReadOnlyList<string> command, string? user, Stream? stdin, CancellationToken cancellationToken, PipeWriter? stdout = null)
    {
        var process = await StartProcessAsync(sandboxId, new SandboxProcessOptions { Command = command, User = user, Stdin = stdin is not null }, cancellationToken).ConfigureAwait(false);
        await using (process.ConfigureAwait(false))
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var feed = stdin is null ? Task.CompletedTask : FeedAsync(process, stdin, stop.Token);
            var stderr = new StringBuilder();
            try
            {
                await foreach (var output in process.ReadOutputAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (output.Kind == SandboxOutputKind.Stdout && stdout is not null)
                    {
                        await stdout.WriteAsync(output.Data, cancellationToken).ConfigureAwait(false);
                    }
                    else if (output.Kind == SandboxOutputKind.Stderr && stderr.Length < 4096)
                    {
                        stderr.Append(Encoding.UTF8.GetString(output.Data.Span));
                    }
                }
            }
            finally
            {
                await stop.CancelAsync().ConfigureAwait(false);
                try
                {
                    await feed.ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or SandboxApiException)
                {
                    // The command ended (or failed) before it read all its input; its exit says which.
                }
            }

            var result = process.Result!;
            if (result.ExitCode != 0)
            {
                var why = stderr.ToString().Trim();
                throw new SandboxApiException(500, "internal", $"{string.Join(' ', command.Take(1))} in the sandbox failed ({result.Status}){(why.Length > 0 ? ": " + why : "")}");
            }
        }
    }

    private static async Task FeedAsync(SandboxProcess process, Stream stdin, CancellationToken cancellationToken)
    {
        var buffer = new byte[StdinChunk];
        while (true)
        {
            var n = await stdin.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (n > 0)
            {
                await process.WriteStdinAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            }

            if (n < buffer.Length)
            {
                break;
            }
        }

        await process.CloseStdinAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteTarAsync(string source, PipeWriter writer, bool includeBaseDirectory, CancellationToken cancellationToken)
    {
        try
        {
            await TarFile.CreateFromDirectoryAsync(source, writer.AsStream(leaveOpen: true), includeBaseDirectory, cancellationToken).ConfigureAwait(false);
            await writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Also when the reader went away (the command failed): its error is the one reported.
            await writer.CompleteAsync(e).ConfigureAwait(false);
        }
    }

    private static async Task ExtractAsync(PipeReader reader, string destination, CancellationToken cancellationToken)
    {
        try
        {
            await GuestTarExtractor.ExtractAsync(reader.AsStream(leaveOpen: true), destination, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }
}
