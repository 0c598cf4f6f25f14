namespace Sandbox86.Network.Nat;

/// <summary>An auto-reset wake-up for a pump loop; waiters re-check their condition, so extra wake-ups are harmless.</summary>
internal sealed class AsyncSignal : IDisposable
{
    private readonly SemaphoreSlim _sem = new(0, 1);

    public void Set()
    {
        try
        {
            if (_sem.CurrentCount == 0)
            {
                _sem.Release();
            }
        }
        catch (SemaphoreFullException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public Task WaitAsync(CancellationToken cancellationToken) => _sem.WaitAsync(cancellationToken);

    public void Dispose() => _sem.Dispose();
}
