using System.Security.Cryptography;
using Sandbox86.Machines;
using Sandbox86.Machines.Fork;

// The registry's fork, in the fork feature's folder; a partial of the registry because a fork creates
// sandboxes through its admission and records.
namespace Sandbox86.Server.Sandboxes;

internal sealed partial class SandboxRegistry
{
    /// <summary>
    /// Forks a running sandbox into <paramref name="count"/> new ones (E2B's fork): the source is saved
    /// once (suspended only for the save), each child restores that state with a fresh identity and its
    /// own TTL of <paramref name="timeout"/>, and inherits the source's template, metadata, env vars and
    /// security (a fresh access token). One result per child, in order: its entry, or why it failed
    /// (a child over the budget gets a 429, the others still start).
    /// </summary>
    public async Task<IReadOnlyList<(SandboxEntry? Entry, SandboxException? Error)>> ForkAsync(string sandboxId, int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var source = Get(sandboxId);
        await source.Gate.WaitAsync(cancellationToken);
        try
        {
            if (source.Removed || source.Record.State != SandboxState.Running || source.MachineOrNull is not { } machine)
            {
                throw new SandboxException(409, $"sandbox \"{sandboxId}\" is not running");
            }

            var results = new (SandboxEntry? Entry, SandboxException? Error)[count];
            var admitted = new List<(int Index, SandboxEntry Entry)>();
            for (var i = 0; i < count; i++)
            {
                var entry = new SandboxEntry(ChildRecord(source.Record, timeout));
                try
                {
                    Admit(entry);
                    admitted.Add((i, entry));
                }
                catch (SandboxException e)
                {
                    results[i] = (null, e);
                }
            }

            if (admitted.Count == 0)
            {
                return results;
            }

            IReadOnlyList<ForkResult> forks;
            try
            {
                forks = await MachineFork.ForkAsync(machine, admitted.Count, new MachineOptions { Logger = _log }, cancellationToken);
            }
            catch
            {
                foreach (var (_, entry) in admitted)
                {
                    Abandon(entry);
                }

                throw;
            }

            for (var k = 0; k < admitted.Count; k++)
            {
                var (index, entry) = admitted[k];
                if (forks[k].Machine is { } child && await AttachForkAsync(entry, child, cancellationToken) is null)
                {
                    Sandbox86.Util.PhaseTrace.Mark("fork: a child's network attached");
                    entry.Record.State = SandboxState.Running;
                    _store.Save(entry.Record);
                    _log.Changed("forked from " + sandboxId, entry.SandboxId);
                    results[index] = (entry, null);
                }
                else
                {
                    Abandon(entry);
                    results[index] = (null, new SandboxException(500, $"fork failed: {forks[k].Error?.Message ?? "its network could not be attached"}"));
                }
            }

            return results;
        }
        finally
        {
            source.Gate.Release();
        }
    }

    // A child gets the parent's network rules on a network of its own and pins the parent's build, as a
    // create does. Null when attached; the error otherwise (the child machine is then disposed).
    private async Task<Exception?> AttachForkAsync(SandboxEntry entry, Machine child, CancellationToken cancellationToken)
    {
        MachineNetwork? network = null;
        try
        {
            if (NetworkFor(entry.Record, _log) is { } networkOptions)
            {
                network = await MachineNetwork.AttachAsync(child, networkOptions, cancellationToken);
            }
        }
        catch (Exception e) when (e is Sandbox86Exception or IOException or OperationCanceledException)
        {
            await child.DisposeAsync();
            return e;
        }

        TryPin(child.Image, entry.SandboxId);
        entry.Attach(child, network);
        child.EnableIdleSuspend(_options.IdleSuspendAfter ?? TimeSpan.Zero);
        return null;
    }

    private void Abandon(SandboxEntry entry)
    {
        entry.Removed = true;
        _sandboxes.TryRemove(entry.SandboxId, out _);
        entry.Dispose();
    }

    private static SandboxRecord ChildRecord(SandboxRecord parent, TimeSpan timeout)
    {
        var now = DateTimeOffset.UtcNow;
        return new SandboxRecord
        {
            SandboxId = NewId(),
            TemplateId = parent.TemplateId,
            ImageName = parent.ImageName,
            MemoryMb = parent.MemoryMb,
            StartedAt = now,
            EndAt = now + timeout,
            Metadata = new Dictionary<string, string>(parent.Metadata),
            EnvVars = new Dictionary<string, string>(parent.EnvVars),
            EnvdAccessToken = parent.EnvdAccessToken is null ? null : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)),
            AutoPause = parent.AutoPause,
            AllowInternetAccess = parent.AllowInternetAccess,
            AllowOut = parent.AllowOut,
            DenyOut = parent.DenyOut,
            // The child's machine gets the parent's mounts from the fork itself; the record keeps them for a resume.
            Mounts = parent.Mounts,
            BuildDirectory = parent.BuildDirectory,
            State = SandboxState.Starting,
        };
    }
}
