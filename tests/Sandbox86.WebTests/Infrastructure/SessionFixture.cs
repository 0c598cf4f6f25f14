namespace Sandbox86.WebTests.Infrastructure;

/// <summary>
/// Starts a class's <see cref="SiteSession"/> on the first test's demand, not in the fixture's constructor: a
/// test first checks the browser prerequisite, so a missing one is reported as that test's skip, and a failed
/// start fails every test of the class with the same error.
/// </summary>
public abstract class SessionFixture : IAsyncLifetime
{
    private readonly object _gate = new();
    private Task<SiteSession>? _session;

    internal abstract Task<SiteSession> StartAsync();

    internal Task<SiteSession> GetAsync()
    {
        lock (_gate)
        {
            return _session ??= StartAsync();
        }
    }

    /// <inheritdoc/>
    public Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc/>
    public virtual async Task DisposeAsync()
    {
        if (_session is not null && _session.IsCompletedSuccessfully)
        {
            await (await _session).DisposeAsync();
        }
    }
}
