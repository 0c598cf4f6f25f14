using System.Diagnostics;

namespace Sandbox86.Images.Import;

/// <summary>
/// Runs "<c>tool -dc</c>" with the compressed bytes on stdin and reads stdout; a non-zero exit
/// at the end of the output means corrupt input.
/// </summary>
internal sealed class ExternalDecompressStream : Util.ReadOnlyStream
{
    private readonly Stream _source;
    private readonly Process _process;
    private readonly Task _pump;
    private readonly Task<string> _stderr;
    private readonly string _description;
    private readonly string _tool;
    private bool _checked;
    private bool _disposed;

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

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
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
