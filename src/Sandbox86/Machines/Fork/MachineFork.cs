namespace Sandbox86.Machines.Fork;

/// <summary>
/// Forks a running machine: its state is saved once (the source is suspended for the save only, then
/// resumed), and each child restores that one raw state in its own worker, with its own NIC MAC, a
/// reset clock and a reseeded entropy pool. A child sees the source's files and processes as they were
/// at the save; it shares no writable state with the source or its siblings (each worker holds its own
/// RAM and its own copy of the guest's filesystem changes).
/// </summary>
public static class MachineFork
{
    /// <summary>Most children one fork may ask for.</summary>
    public const int MaxCount = 64;

    /// <summary>
    /// Starts <paramref name="count"/> children of <paramref name="source"/>; one result per child, in
    /// order. Fails as a whole only when the save fails; a child that cannot start is reported in its
    /// result and the others still run.
    /// </summary>
    public static async Task<IReadOnlyList<ForkResult>> ForkAsync(Machine source, int count, MachineOptions options, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxCount);
        var directory = Directory.Exists("/dev/shm") ? "/dev/shm" : Util.SandboxPaths.Temp;
        Directory.CreateDirectory(directory);
        var raw = Path.Combine(directory, $"sandbox86-fork-{Environment.ProcessId}-{Guid.NewGuid():N}.raw");
        var saved = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        List<Task<ForkResult>> children = [];
        try
        {
            // The saved guest carries no mounts (a 9P session cannot move to a new server): detached while
            // the guest still runs, re-attached to the source after, and attached to each child.
            var mounts = await source.DetachMountsAsync(cancellationToken);
            var childOptions = options with
            {
                MemoryMb = source.MemoryMb, SharedRawState = null, StatePath = null, Cold = false,
                Mounts = options.Mounts.Count > 0 ? options.Mounts : mounts,
            };
            // The children's workers start now (Node, libv86's wasm compile, v86's construction: most of a
            // restore) and wait for the state, instead of starting once the save is done.
            Util.PhaseTrace.Mark($"fork: starting {count} children's workers, saving the source");
            children = [.. Enumerable.Range(0, count).Select(_ => StartChildAsync(source, childOptions, saved.Task, cancellationToken))];
            try
            {
                await SaveSuspendedAsync(source, raw, cancellationToken);
                Util.PhaseTrace.Mark("fork: source saved and resumed");
                saved.SetResult(raw);
            }
            catch (Exception e)
            {
                // The children fail with it (and shut their workers down) before the fork fails as a whole.
                saved.SetException(new MachineException("the fork's save of its source failed: " + e.Message));
                await Task.WhenAll(children);
                throw;
            }
            finally
            {
                await source.AttachMountsAsync(mounts, CancellationToken.None);
            }

            var results = await Task.WhenAll(children);
            Util.PhaseTrace.Mark("fork: children running");
            return results;
        }
        finally
        {
            // Every child has read the file once its start returned.
            saved.TrySetCanceled(CancellationToken.None);
            await Task.WhenAll(children.Select(c => (Task)c));
            Util.AtomicFile.TryDelete(raw);
        }
    }

    private static async Task SaveSuspendedAsync(Machine source, string raw, CancellationToken cancellationToken)
    {
        // Suspended, no guest instruction runs between the state's parts; resumed (clock reset) at once after.
        var wasSuspended = source.IsSuspended;
        await source.SuspendAsync(cancellationToken);
        try
        {
            await source.SaveRawStateAsync(raw, cancellationToken);
        }
        finally
        {
            if (!wasSuspended)
            {
                await source.ResumeAsync(CancellationToken.None);
            }
        }
    }

    private static async Task<ForkResult> StartChildAsync(Machine source, MachineOptions options, Task<string> state, CancellationToken cancellationToken)
    {
        Machine? child = null;
        try
        {
            child = await Machine.LaunchAsync(source.Image, source.MemoryMb, null, options, cancellationToken, pendingRawState: state);
            Util.PhaseTrace.Mark("fork: a child restored");
            // A restore keeps the saved MAC (preserve_mac_from_state_image): give each child its own.
            await child.Agent.ConfigureNetworkAsync(new Guest.NetworkConfig { Mac = Pool.PoolIdentity.NewMac() }, cancellationToken);
            return new ForkResult(child, null);
        }
        catch (Exception e) when (e is MachineException or Worker.WorkerException or Guest.AgentException or Images.Store.ImageStoreException or IOException
            or OperationCanceledException)
        {
            if (child is not null)
            {
                await child.DisposeAsync();
            }

            return new ForkResult(null, e);
        }
    }
}
