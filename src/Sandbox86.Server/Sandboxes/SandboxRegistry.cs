using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sandbox86.Images.Store;
using Sandbox86.Machines;
using Sandbox86.Machines.Worker;

namespace Sandbox86.Server.Sandboxes;

/// <summary>
/// Owns every sandbox of the server: create, lifetime (TTL), pause to disk, resume, kill. Implements the
/// data plane's <see cref="ISandboxDirectory"/>. On shutdown it pauses every running sandbox so the next
/// <c>serve</c> can resume it.
/// </summary>
internal sealed partial class SandboxRegistry : ISandboxDirectory, IHostedService, IDisposable
{
    /// <summary>How long shutdown may spend pausing sandboxes before it gives up on the rest.</summary>
    private static readonly TimeSpan ShutdownBudget = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, SandboxEntry> _sandboxes = new(StringComparer.Ordinal);
    private readonly ServerOptions _options;
    private readonly SandboxStore _store;
    private readonly ILogger<SandboxRegistry> _log;
    private readonly object _admission;
    private readonly Pool.ServerPool _pool;
    private readonly CancellationTokenSource _shutdown = new();
    private Task _reaper = Task.CompletedTask;
    private IDisposable? _spares;

    private readonly ILoggerFactory _loggers;
    private readonly string _pinPrefix;

    public SandboxRegistry(ServerOptions options, ILogger<SandboxRegistry> log, ILoggerFactory loggers, Pool.ServerPool? pool = null)
    {
        _options = options;
        // The warm pool charges the same budget: one lock for both (Pool/ServerPool.cs).
        _pool = pool ?? new Pool.ServerPool(options, Microsoft.Extensions.Logging.Abstractions.NullLogger<Pool.ServerPool>.Instance);
        _admission = _pool.AdmissionLock;
        _pool.Bind(SandboxMemoryMb);
        _store = new SandboxStore(options.DataDirectory);
        _log = log;
        _loggers = loggers;
        // Pins are per data directory: two servers on one image store keep (and clean up) only their own.
        var data = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(options.DataDirectory))))[..8];
        _pinPrefix = $"serve-{data}-";
    }

    /// <summary>The image-store pin that keeps a sandbox's build on disk while the sandbox exists (running or paused).</summary>
    internal string PinHolder(string sandboxId) => _pinPrefix + sandboxId;

    public SandboxLookup Find(string sandboxId) =>
        !_sandboxes.TryGetValue(sandboxId, out var entry) || entry.Removed ? SandboxLookup.NotFound
        : entry.Record.State == SandboxState.Running && entry.MachineOrNull is not null ? new SandboxLookup(SandboxLookupStatus.Running, entry)
        : SandboxLookup.NotRunning;

    public SandboxEntry Get(string sandboxId) =>
        _sandboxes.TryGetValue(sandboxId, out var entry) && !entry.Removed ? entry
        : throw new SandboxException(404, $"sandbox \"{sandboxId}\" doesn't exist or you don't have access to it");

    public IReadOnlyList<SandboxEntry> List() =>
        [.. _sandboxes.Values.Where(e => !e.Removed).OrderBy(e => e.Record.StartedAt).ThenBy(e => e.SandboxId, StringComparer.Ordinal)];

    /// <summary>The image a template names: <c>base</c> is the image named base when built, else the default image.</summary>
    public static StoredImage OpenTemplate(string templateId)
    {
        var store = ImageStore.Default;
        var name = templateId == "base" && !store.Exists("base") ? "default" : templateId;
        try
        {
            ImageStore.ValidateName(name);
        }
        catch (ImageStoreException)
        {
            throw new SandboxException(400, $"invalid template id \"{templateId}\"");
        }

        if (!store.Exists(name))
        {
            throw new SandboxException(404, $"template \"{templateId}\" not found");
        }

        return store.Open(name);
    }

    public async Task<SandboxEntry> CreateAsync(CreateSandboxSpec spec, CancellationToken cancellationToken)
    {
        var mounts = SandboxMounts.Resolve(_options.MountRoots, spec.Mounts);
        var image = OpenTemplate(spec.TemplateId);
        int memory;
        try
        {
            memory = Machine.ResolveMemory(image, new MachineOptions { MemoryMb = spec.MemoryMb });
        }
        catch (MachineException e)
        {
            throw new SandboxException(400, e.Message);
        }

        var now = DateTimeOffset.UtcNow;
        var record = new SandboxRecord
        {
            SandboxId = NewId(),
            TemplateId = spec.TemplateId,
            ImageName = image.Name,
            MemoryMb = memory,
            StartedAt = now,
            EndAt = now + spec.Timeout,
            Metadata = spec.Metadata,
            EnvVars = spec.EnvVars,
            EnvdAccessToken = spec.Secure ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)) : null,
            AutoPause = spec.AutoPause,
            AllowInternetAccess = spec.AllowInternetAccess,
            AllowOut = spec.AllowOut,
            DenyOut = spec.DenyOut,
            Mounts = mounts,
            State = SandboxState.Starting,
        };
        var entry = new SandboxEntry(record);
        // A pooled machine's memory leaves the pool's account here, so the admission below can count it.
        var pooled = _pool.TryTake(image, memory);
        Sandbox86.Util.PhaseTrace.Mark(pooled is null ? "create: no pooled machine, restoring" : "create: took a pooled machine");
        try
        {
            Admit(entry);
        }
        catch
        {
            Pool.ServerPool.Discard(pooled);
            throw;
        }

        try
        {
            // Pinned before the machine starts, so a rebuild of the name meanwhile cannot collect the build.
            TryPin(image, record.SandboxId);
            record.BuildDirectory = image.Directory;
            var machine = await StartMachineAsync(entry, image, new MachineOptions { MemoryMb = memory }, cancellationToken, pooled);
            record.State = SandboxState.Running;
            _store.Save(record);
            Sandbox86.Util.PhaseTrace.Mark("create: recorded, answering");
            _log.Created(record.SandboxId, image.Name, (int)machine.StartDuration.TotalMilliseconds);
            return entry;
        }
        catch
        {
            entry.Removed = true;
            _sandboxes.TryRemove(record.SandboxId, out _);
            TryUnpin(record.SandboxId);
            throw;
        }
    }

    /// <summary>
    /// Starts (or restores) the sandbox's machine with a logger scoped to the sandbox, plugs its NIC into a
    /// network of its own unless internet access was refused, and attaches both to the entry.
    /// </summary>
    private async Task<Machine> StartMachineAsync(SandboxEntry entry, StoredImage image, MachineOptions options, CancellationToken cancellationToken, Machine? pooled = null)
    {
        var record = entry.Record;
        var logger = new SandboxLogger(_loggers.CreateLogger("Sandbox86.Machines"), record.SandboxId);
        // A machine with mounts starts with them (only then is the 9P port forwarded): not from the pool.
        SandboxMounts.CheckStillAllowed(_options.MountRoots, record.Mounts);
        if (record.Mounts.Count > 0)
        {
            options = options with { Mounts = record.Mounts };
            Pool.ServerPool.Discard(pooled);
            pooled = null;
        }

        // A create takes a warm machine when the pool has one (it keeps the pool's logger); a resume restores its own state.
        var machine = options.StatePath is null
            ? await _pool.StartAsync(image, pooled, options with { Logger = logger }, cancellationToken)
            : await Machine.StartAsync(image, options with { Logger = logger }, cancellationToken);
        MachineNetwork? network = null;
        try
        {
            if (NetworkFor(record, logger) is { } networkOptions)
            {
                network = await MachineNetwork.AttachAsync(machine, networkOptions, cancellationToken);
                Sandbox86.Util.PhaseTrace.Mark("create: network attached");
            }
        }
        catch
        {
            await machine.DisposeAsync();
            throw;
        }

        entry.Attach(machine, network);
        machine.EnableIdleSuspend(_options.IdleSuspendAfter ?? TimeSpan.Zero);
        return machine;
    }

    /// <summary>
    /// E2B's network settings as our NIC: <c>allow_internet_access: false</c> (and no allow rules) is no
    /// network at all; otherwise the userspace stack with its egress policy (local ranges denied as always,
    /// <c>allowOut</c>/<c>denyOut</c> as allow/deny rules).
    /// </summary>
    internal static Network.NetworkOptions? NetworkFor(SandboxRecord record, ILogger logger) =>
        !record.AllowInternetAccess ? null
        : new Network.NetworkOptions
        {
            Policy = new Network.EgressPolicyOptions { Allow = record.AllowOut, Deny = record.DenyOut },
            Logger = logger,
        };

    private void TryPin(StoredImage image, string sandboxId)
    {
        try
        {
            ImageStore.Default.Pin(image, PinHolder(sandboxId));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A store we may not write is one nobody here can collect from either: the build stays regardless.
            _log.PinFailed(sandboxId, "could not pin its image build: " + e.Message);
        }
    }

    private void TryUnpin(string sandboxId)
    {
        try
        {
            ImageStore.Default.Unpin(PinHolder(sandboxId));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageStoreException)
        {
            _log.PinFailed(sandboxId, "could not drop its image pin: " + e.Message);
        }
    }

    /// <summary>Counts a new or resuming sandbox against the limits, or refuses it with 429.</summary>
    private void Admit(SandboxEntry entry)
    {
        lock (_admission)
        {
            var live = _sandboxes.Values.Where(e => !e.Removed).ToList();
            if (!live.Contains(entry) && live.Count >= _options.MaxSandboxes)
            {
                throw new SandboxException(429, $"the limit of {_options.MaxSandboxes} sandboxes is reached");
            }

            var used = live.Where(e => e != entry && e.Record.State != SandboxState.Paused).Sum(e => e.Record.MemoryMb);
            var over = used + _pool.ReservedMemoryMb + entry.Record.MemoryMb - _options.MemoryBudgetMb;
            if (over > 0 && used + entry.Record.MemoryMb <= _options.MemoryBudgetMb)
            {
                // Only the warm pool's machines stand in the way: a sandbox is worth more than a spare.
                _pool.Shed(over);
            }

            if (used + _pool.ReservedMemoryMb + entry.Record.MemoryMb > _options.MemoryBudgetMb)
            {
                throw new SandboxException(429, $"the memory budget of {_options.MemoryBudgetMb} MB is used ({used} MB in use, {entry.Record.MemoryMb} MB asked)");
            }

            entry.Record.State = SandboxState.Starting;
            _sandboxes[entry.SandboxId] = entry;
        }
    }

    /// <summary>Guest memory of the sandboxes that are not paused (the pool's budget reads it under the admission lock).</summary>
    private int SandboxMemoryMb() =>
        _sandboxes.Values.Where(e => !e.Removed && e.Record.State != SandboxState.Paused).Sum(e => e.Record.MemoryMb);

    public async Task KillAsync(string sandboxId)
    {
        var entry = Get(sandboxId);
        await entry.Gate.WaitAsync();
        try
        {
            if (entry.Removed)
            {
                throw new SandboxException(404, $"sandbox \"{sandboxId}\" not found");
            }

            entry.Removed = true;
            _sandboxes.TryRemove(sandboxId, out _);
            if (await entry.DetachAsync() is { } machine)
            {
                await machine.DisposeAsync();
            }

            _store.Delete(sandboxId);
            TryUnpin(sandboxId);
            entry.Dispose();
            _log.Changed("killed", sandboxId);
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    public async Task PauseAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var entry = Get(sandboxId);
        await entry.Gate.WaitAsync(cancellationToken);
        try
        {
            if (entry.Removed)
            {
                throw new SandboxException(404, $"sandbox \"{sandboxId}\" not found");
            }

            if (entry.Record.State != SandboxState.Running)
            {
                throw new SandboxException(409, $"sandbox \"{sandboxId}\" is already paused");
            }

            await PauseLockedAsync(entry, cancellationToken);
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    private async Task PauseLockedAsync(SandboxEntry entry, CancellationToken cancellationToken)
    {
        var machine = await entry.DetachAsync();
        if (machine is null)
        {
            return;
        }

        await using (machine)
        {
            await machine.SaveStateAsync(_store.StatePath(entry.SandboxId), cancellationToken);
        }

        var record = entry.Record;
        record.RemainingSeconds = Math.Max(1, (record.EndAt - DateTimeOffset.UtcNow).TotalSeconds);
        record.State = SandboxState.Paused;
        _store.Save(record);
        _log.Changed("paused", entry.SandboxId);
    }

    /// <summary>Resumes a paused sandbox (true) or extends a running one (false); the TTL becomes <paramref name="timeout"/>.</summary>
    public async Task<bool> ConnectAsync(string sandboxId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var entry = Get(sandboxId);
        await entry.Gate.WaitAsync(cancellationToken);
        try
        {
            if (entry.Removed)
            {
                throw new SandboxException(404, $"sandbox \"{sandboxId}\" not found");
            }

            var record = entry.Record;
            if (record.State == SandboxState.Running)
            {
                ExtendTo(record, timeout);
                return false;
            }

            Admit(entry);
            try
            {
                var image = BuildOf(record);
                await StartMachineAsync(entry, image, new MachineOptions { StatePath = _store.StatePath(sandboxId), MemoryMb = record.MemoryMb }, cancellationToken);
            }
            catch
            {
                record.State = SandboxState.Paused;
                throw;
            }

            record.State = SandboxState.Running;
            record.RemainingSeconds = null;
            record.EndAt = DateTimeOffset.UtcNow + timeout;
            _store.Save(record);
            // Resumed: the VM lives on in its worker; the snapshot it came from is spent.
            Directory.Delete(_store.StatePath(sandboxId), recursive: true);
            _log.Changed("resumed", sandboxId);
            return true;
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    /// <summary>E2B's set-timeout: the sandbox now ends <paramref name="timeout"/> from now.</summary>
    public void SetTimeout(string sandboxId, TimeSpan timeout)
    {
        var record = Get(sandboxId).Record;
        if (record.State == SandboxState.Paused)
        {
            record.RemainingSeconds = timeout.TotalSeconds;
        }
        else
        {
            record.EndAt = DateTimeOffset.UtcNow + timeout;
        }

        _store.Save(record);
    }

    private void ExtendTo(SandboxRecord record, TimeSpan timeout)
    {
        var end = DateTimeOffset.UtcNow + timeout;
        if (end > record.EndAt)
        {
            record.EndAt = end;
            _store.Save(record);
        }
    }

    /// <summary>
    /// The exact build a paused sandbox was saved from: its state restores only against that build's files
    /// (the 9p index and chunks the guest's page cache and open files refer to), never a rebuild of the name.
    /// </summary>
    private static StoredImage BuildOf(SandboxRecord record)
    {
        if (record.BuildDirectory is null)
        {
            // A record from before builds were recorded: the name's current build is all we know.
            return ImageStore.Default.Open(record.ImageName);
        }

        try
        {
            return StoredImage.Load(record.BuildDirectory);
        }
        catch (Exception e) when (e is IOException or ImageStoreException or UnauthorizedAccessException)
        {
            throw new SandboxException(409, $"the build of image \"{record.ImageName}\" this sandbox was paused from is gone ({e.Message})");
        }
    }

    private static string NewId()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(20, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
            }
        });
    }

    public void Dispose()
    {
        _spares?.Dispose();
        _shutdown.Dispose();
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var store = ImageStore.Default;
        foreach (var record in _store.LoadPaused())
        {
            _sandboxes[record.SandboxId] = new SandboxEntry(record);
            _log.Changed("found paused", record.SandboxId);
        }

        // Pins of this data directory's sandboxes that no longer exist (a record lost to a crash) go.
        foreach (var holder in store.PinHolders(_pinPrefix))
        {
            if (!_sandboxes.ContainsKey(holder[_pinPrefix.Length..]))
            {
                TryUnpin(holder[_pinPrefix.Length..]);
            }
        }

        // A spare worker (Node and v86 loaded, then v86 built for the last restore) and one decompressed
        // boot state take those steps off a create's and a resume's critical path (WorkerPrespawn).
        // SANDBOX86_SPARE_WORKERS=0 turns it off (the benches' A/B).
        _spares ??= Environment.GetEnvironmentVariable("SANDBOX86_SPARE_WORKERS") == "0" ? null : WorkerPrespawn.Hold();
        _reaper = ReapAsync(_shutdown.Token);
        return Task.CompletedTask;
    }

    /// <summary>Once a second: sandboxes past their end are killed (or paused when created with auto-pause).</summary>
    private async Task ReapAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                foreach (var entry in List().Where(e => e.Record.State == SandboxState.Running && e.Record.EndAt <= DateTimeOffset.UtcNow))
                {
                    try
                    {
                        if (entry.Record.AutoPause)
                        {
                            await PauseAsync(entry.SandboxId, cancellationToken);
                        }
                        else
                        {
                            await KillAsync(entry.SandboxId);
                        }
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        _log.ExpiryFailed(entry.SandboxId, e.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _shutdown.CancelAsync();
        await _reaper;
        _spares?.Dispose();
        _spares = null;
        var running = List().Where(e => e.Record.State == SandboxState.Running).ToList();
        if (running.Count == 0)
        {
            return;
        }

        Console.Error.WriteLine($"sandbox86 serve: pausing {running.Count} running sandbox(es) to disk");
        using var budget = new CancellationTokenSource(ShutdownBudget);
        var done = 0;
        await Task.WhenAll(running.Select(async entry =>
        {
            try
            {
                await PauseAsync(entry.SandboxId, budget.Token);
                Console.Error.WriteLine($"sandbox86 serve: paused {entry.SandboxId} ({Interlocked.Increment(ref done)}/{running.Count})");
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"sandbox86 serve: could not pause {entry.SandboxId}: {e.Message}");
                if (entry.MachineOrNull is { } machine)
                {
                    await machine.DisposeAsync();
                }
            }
        }));
    }
}
