using System.Diagnostics;
using System.IO.Compression;
using Sandbox86.Images.Fs;

namespace Sandbox86.Images.Import;

/// <summary>
/// Recognises how an archive is compressed by its magic bytes (never by its file name) and opens a
/// decompressing view: gzip and zstd in-process; xz and bzip2 through the system's xz/bzip2 programs,
/// which .NET cannot decode itself.
/// </summary>
internal static class ArchiveCompression
{
    public enum Kind
    {
        None,
        Gzip,
        Zstd,
        Xz,
        Bzip2,
    }

    /// <summary>Peeks at the first bytes of a seekable stream and restores its position.</summary>
    public static Kind Detect(Stream seekable)
    {
        var start = seekable.Position;
        Span<byte> head = stackalloc byte[6];
        var n = seekable.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        seekable.Position = start;
        head = head[..n];
        if (head.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B]))
        {
            return Kind.Gzip;
        }

        if (Zstd.IsZstdFrame(head))
        {
            return Kind.Zstd;
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]))
        {
            return Kind.Xz;
        }

        return head.StartsWith("BZh"u8) ? Kind.Bzip2 : Kind.None;
    }

    /// <summary>Returns a stream of the decompressed content; disposing it disposes <paramref name="seekable"/>.</summary>
    public static Stream OpenDecompressed(Stream seekable, string description)
    {
        return Detect(seekable) switch
        {
            Kind.Gzip => new GZipStream(seekable, CompressionMode.Decompress),
            Kind.Zstd => new ZstdDecompressStream(seekable),
            Kind.Xz => new ExternalDecompressStream(seekable, "xz", description),
            Kind.Bzip2 => new ExternalDecompressStream(seekable, "bzip2", description),
            _ => seekable,
        };
    }

    /// <summary>
    /// Runs "<c>tool -dc</c>" with the compressed bytes on stdin and reads stdout; a non-zero exit
    /// at the end of the output means corrupt input.
    /// </summary>
    private sealed class ExternalDecompressStream : Stream
    {
        private readonly Stream _source;
        private readonly Process _process;
        private readonly Task _pump;
        private readonly Task<string> _stderr;
        private readonly string _description;
        private readonly string _tool;
        private bool _checked;

        public ExternalDecompressStream(Stream source, string tool, string description)
        {
            _source = source;
            _tool = tool;
            _description = description;
            var info = new ProcessStartInfo(tool, "-dc")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            try
            {
                _process = Process.Start(info) ?? throw new ImageException($"cannot start '{tool}'");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new ImageException($"{description} is {tool}-compressed and the '{tool}' program is not installed", e);
            }

            _stderr = _process.StandardError.ReadToEndAsync();
            _pump = Task.Run(async () =>
            {
                try
                {
                    await _source.CopyToAsync(_process.StandardInput.BaseStream).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // The tool exited early (corrupt input); its exit code reports that.
                }
                finally
                {
                    _process.StandardInput.Close();
                }
            });
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = _process.StandardOutput.BaseStream.Read(buffer, offset, count);
            if (n == 0 && !_checked)
            {
                _checked = true;
                _process.WaitForExit();
                _pump.GetAwaiter().GetResult();
                if (_process.ExitCode != 0)
                {
                    throw new InvalidDataException(
                        $"{_tool} failed on {_description}: {_stderr.GetAwaiter().GetResult().Trim()}");
                }
            }

            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                if (!_process.HasExited)
                {
                    _process.Kill();
                }

                _process.WaitForExit();
                try
                {
                    _pump.GetAwaiter().GetResult();
                }
                catch (ObjectDisposedException)
                {
                    // Source disposed while the pump was still copying: the process is gone anyway.
                }

                _process.Dispose();
                _source.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
