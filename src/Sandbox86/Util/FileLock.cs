namespace Sandbox86.Util;

/// <summary>
/// A cross-process exclusive lock on a file. .NET takes an advisory <c>flock</c> for
/// <see cref="FileShare.None"/> on Unix, so a second process's open fails until the first releases it.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream) => _stream = stream;

    public static async Task<FileLock> AcquireAsync(string path, TimeSpan timeout, Action? onWaiting, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var deadline = DateTime.UtcNow + timeout;
        var announced = false;
        while (true)
        {
            try
            {
                return new FileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                if (!announced)
                {
                    onWaiting?.Invoke();
                    announced = true;
                }

                await Task.Delay(100, cancellationToken);
            }
            catch (IOException e)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0}s waiting for the lock {path}", e);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
