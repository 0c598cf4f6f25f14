using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.Machines;
using Sandbox86.Machines.Pool;

namespace Sandbox86.Tests.Machines.Pool;

/// <summary>
/// <see cref="WarmPool"/>'s policy against scripted workers (no Node, no guest): fill, claim, identity,
/// one shared raw state, refill delay, empty-pool fallback, budget accounting, and a rebuild's drain.
/// </summary>
public sealed class WarmPoolTests : IAsyncLifetime
{
    private const int Memory = 256;
    private readonly string _root = Directory.CreateTempSubdirectory("sandbox86-pool-").FullName;
    private readonly ScriptedWorkers _workers = new(() => new WorkerScript());
    private readonly List<Machine> _claimed = [];
    private ImageStore _store = null!;
    // A list, not a field of the pool's type: the pools are disposed in DisposeAsync (xunit's lifetime).
    private readonly List<WarmPool> _pools = [];

    public Task InitializeAsync()
    {
        _store = new ImageStore(_root);
        FakeImage.Install(_store, "img", "0123456789abcdef0123456789abcdef");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var machine in _claimed)
        {
            await machine.DisposeAsync();
        }

        foreach (var pool in _pools)
        {
            await pool.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }

    private WarmPool Pool(int size, TimeSpan? refillDelay = null, IWarmPoolBudget? budget = null)
    {
        var pool = new WarmPool(_store, new WarmPoolOptions
        {
            Size = size,
            RefillDelay = refillDelay ?? TimeSpan.Zero,
            BuildCheckInterval = TimeSpan.FromMilliseconds(100),
            Budget = budget,
            Machine = new MachineOptions { WorkerFactory = _workers.StartAsync, Watchdog = null },
        });
        _pools.Add(pool);
        return pool;
    }

    private async Task<PoolClaim> ClaimAsync(WarmPool pool)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var claim = await pool.ClaimAsync(_store.Open("img"), Memory, cts.Token);
        _claimed.Add(claim.Machine);
        return claim;
    }

    private static async Task EventuallyAsync(Func<bool> condition, string what, double seconds = 10)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }

    private ScriptedWorker WorkerOf(Machine machine) => _workers.Snapshot().Single(w => w.ProcessId == machine.WorkerProcessId);

    [Fact]
    public async Task The_pool_fills_suspended_machines_with_their_own_mac_from_one_raw_state_and_a_claim_wakes_one()
    {
        var pool = Pool(size: 2);
        pool.Keep("img", Memory);
        await EventuallyAsync(() => pool.ReadyCount("img", Memory) == 2, "two machines are ready");

        var pooled = _workers.Snapshot().Where(w => w.Config is { Restore: true }).ToList();
        Assert.Equal(2, pooled.Count);
        Assert.All(pooled, w => Assert.True(w.Suspended, "a ready pooled machine is suspended"));
        Assert.Equal(pooled[0].RestoredState, pooled[1].RestoredState);
        Assert.Equal(1, pool.RawStatesMade);
        Assert.All(pooled, w => Assert.Single(w.NetConfigs));
        Assert.NotEqual(pooled[0].NetConfigs[0], pooled[1].NetConfigs[0]);

        var claim = await ClaimAsync(pool);
        Assert.True(claim.FromPool);
        var worker = WorkerOf(claim.Machine);
        Assert.Contains(worker, pooled);
        Assert.False(worker.Suspended);
        Assert.Equal(1, worker.Resumes);
        var reseedsBefore = worker.Reseeds.Count;
        Assert.Equal(0, (await claim.Machine.Agent.ExecAsync(new ExecRequest { Shell = "true" })).ExitCode);
        Assert.True(worker.Reseeds.Count >= 2, "entropy is reseeded at the restore and again at the claim");
        Assert.True(worker.ClockSets >= 2, "the clock is set at the restore and again at the claim");
        Assert.True(reseedsBefore >= 1);

        // The refill restores from the same raw state: still one decompression.
        await EventuallyAsync(() => pool.ReadyCount("img", Memory) == 2, "the pool refilled");
        Assert.Equal(1, pool.RawStatesMade);
    }

    [Fact]
    public async Task An_empty_pool_never_fails_a_claim_it_restores_a_machine_instead()
    {
        var pool = Pool(size: 0);
        var claim = await ClaimAsync(pool);
        Assert.False(claim.FromPool);
        Assert.True(claim.Machine.Restored);
        Assert.False(claim.Machine.IsSuspended);
        Assert.Equal(0, (await claim.Machine.Agent.ExecAsync(new ExecRequest { Shell = "true" })).ExitCode);
        Assert.Equal(0, pool.ReadyCount("img", Memory));
    }

    [Fact]
    public async Task A_claim_faster_than_the_refill_falls_back_and_the_refill_waits_for_its_delay()
    {
        var pool = Pool(size: 1, refillDelay: TimeSpan.FromSeconds(1.5));
        pool.Keep("img", Memory);
        await EventuallyAsync(() => pool.ReadyCount("img", Memory) == 1, "one machine is ready");

        var first = await ClaimAsync(pool);
        var second = await ClaimAsync(pool);
        Assert.True(first.FromPool);
        Assert.False(second.FromPool);

        await Task.Delay(700);
        Assert.Equal(0, pool.ReadyCount("img", Memory));
        await EventuallyAsync(() => pool.ReadyCount("img", Memory) == 1, "the pool refilled after its delay");
    }

    [Fact]
    public async Task Pooled_memory_is_charged_to_the_budget_and_the_pool_never_warms_past_it()
    {
        var budget = new CountingBudget(limitMb: Memory + 100);
        var pool = Pool(size: 3, budget: budget);
        pool.Keep("img", Memory);
        await EventuallyAsync(() => pool.ReadyCount("img", Memory) == 1, "one machine is ready");
        await Task.Delay(500);
        Assert.Equal(1, pool.ReadyCount("img", Memory));
        Assert.Equal(Memory, budget.UsedMb);
        Assert.Equal(Memory, pool.ReservedMemoryMb);

        // Taken for a sandbox: its memory leaves the pool's account (the claimant charges it itself).
        var image = _store.Open("img");
        var taken = pool.TryTake(image, Memory);
        Assert.NotNull(taken);
        _claimed.Add(taken);
        Assert.Equal(0, pool.ReservedMemoryMb);
        await EventuallyAsync(() => pool.ReadyCount("img", Memory) == 1, "the pool refilled into the freed budget");
        Assert.Equal(Memory, budget.UsedMb);

        // Shed hands the pool's memory back at once.
        Assert.Equal(Memory, pool.Shed(1));
        Assert.Equal(0, budget.UsedMb);
        Assert.Equal(0, pool.ReadyCount("img", Memory));
    }

    [Fact]
    public async Task A_shed_cancels_a_restore_in_progress_and_hands_its_memory_back_at_once()
    {
        // The first worker cold boots for the boot snapshot; the pooled restore after it never gets an agent answer.
        var started = 0;
        var hanging = new ScriptedWorkers(() => new WorkerScript { AgentAnswers = Interlocked.Increment(ref started) <= 1 });
        var budget = new CountingBudget(limitMb: 4 * Memory);
        var pool = new WarmPool(_store, new WarmPoolOptions
        {
            Size = 1,
            RefillDelay = TimeSpan.FromMinutes(5),
            BuildCheckInterval = TimeSpan.FromMilliseconds(100),
            Budget = budget,
            Machine = new MachineOptions { WorkerFactory = hanging.StartAsync, Watchdog = null, BootTimeout = TimeSpan.FromMinutes(5) },
        });
        _pools.Add(pool);
        pool.Keep("img", Memory);
        await EventuallyAsync(() => Volatile.Read(ref started) >= 2 && pool.ReservedMemoryMb == Memory, "a pooled restore is in progress");
        Assert.Equal(0, pool.ReadyCount("img", Memory));

        // A create needs the memory: the restore in progress gives it up now, not when it would finish.
        Assert.Equal(Memory, pool.Shed(Memory));
        Assert.Equal(0, budget.UsedMb);
        Assert.Equal(0, pool.ReservedMemoryMb);
        // Not charged twice when the cancelled restore cleans up, and no refill before its delay.
        await Task.Delay(500);
        Assert.Equal(0, budget.UsedMb);
        Assert.Equal(2, Volatile.Read(ref started));
    }

    [Fact]
    public async Task A_restore_that_fails_in_the_pool_returns_its_budget_and_leaves_nothing_ready()
    {
        // The first worker cold boots for the boot snapshot; every pooled restore after it fails.
        var started = 0;
        var failing = new ScriptedWorkers(() => new WorkerScript { FailStart = Interlocked.Increment(ref started) > 1 });
        var budget = new CountingBudget(limitMb: 10 * Memory);
        var pool = new WarmPool(_store, new WarmPoolOptions
        {
            Size = 2,
            RefillDelay = TimeSpan.Zero,
            BuildCheckInterval = TimeSpan.FromMilliseconds(100),
            Budget = budget,
            Machine = new MachineOptions { WorkerFactory = failing.StartAsync, Watchdog = null },
        });
        _pools.Add(pool);
        pool.Keep("img", Memory);
        await EventuallyAsync(() => Volatile.Read(ref started) >= 2, "a pooled restore was tried");
        await EventuallyAsync(() => budget.UsedMb == 0 && pool.ReservedMemoryMb == 0, "the failed restore's reservation is returned", seconds: 5);
        Assert.Equal(0, pool.ReadyCount("img", Memory));
    }

    [Fact]
    public async Task A_rebuilt_image_drains_the_old_builds_machines_and_the_pool_refills_with_the_new_build()
    {
        var pool = Pool(size: 2);
        pool.Keep("img", Memory);
        await EventuallyAsync(() => pool.ReadyCount("img", Memory) == 2, "two machines are ready");
        var old = _workers.Snapshot().Where(w => w.Config is { Restore: true }).ToList();

        var rebuilt = FakeImage.Install(_store, "img", "fedcba9876543210fedcba9876543210");
        // A claim of the new build is never handed an old build's machine.
        Assert.Null(pool.TryTake(rebuilt, Memory) is { } stale ? Keep(stale) : null);
        await EventuallyAsync(() => old.All(w => w.HasExited), "the old build's pooled workers are shut down");
        await EventuallyAsync(() => pool.ReadyCount("img", Memory) == 2, "the pool refilled with the new build");

        var claim = await ClaimAsync(pool);
        Assert.True(claim.FromPool);
        Assert.Equal(rebuilt.Directory, claim.Machine.Image.Directory);
        Assert.Equal(2, pool.RawStatesMade);
    }

    private Machine Keep(Machine machine)
    {
        _claimed.Add(machine);
        return machine;
    }

    private sealed class CountingBudget(int limitMb) : IWarmPoolBudget
    {
        private int _used;

        public int UsedMb => Volatile.Read(ref _used);

        public bool TryReserve(int memoryMb)
        {
            lock (this)
            {
                if (_used + memoryMb > limitMb)
                {
                    return false;
                }

                _used += memoryMb;
                return true;
            }
        }

        public void Release(int memoryMb)
        {
            lock (this)
            {
                _used -= memoryMb;
            }
        }
    }
}
