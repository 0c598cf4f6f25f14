using Sandbox86.Mounts;

namespace Sandbox86.Machines;

public sealed partial class Machine
{
    /// <summary>The live host mounts (empty when none). A save detaches and re-attaches them; a fork's children get them too.</summary>
    public IReadOnlyList<MountSpec> LiveMounts => _mounts?.Specs ?? [];

    /// <summary>True when the last attach had to copy 9P's fd transport module in (the image's initramfs lacks it).</summary>
    internal bool MountsCopiedTransportModule => _mounts?.CopiedTransportModule ?? false;

    /// <summary>
    /// Mounts host directories into the running guest (what <see cref="MachineOptions.Mounts"/> does at start);
    /// used after a pool wake or a restore, whose saved guest holds no mounts. A machine has one set of mounts.
    /// </summary>
    public async Task AttachMountsAsync(IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mounts);
        if (_mounts is not null)
        {
            throw new MachineException("the machine already has mounts");
        }

        if (mounts.Count > 0)
        {
            _mounts = await GuestMounts.AttachAsync(_worker, Agent, Image.Manifest.KernelVersion, mounts, GuestMounts.Limits, _logger, cancellationToken);
        }
    }

    /// <summary>
    /// Before a save: unmounts in the guest and stops the 9P server, returning what was mounted (empty when
    /// nothing). The guest's 9P client state (its fids) cannot move into a new server, so a saved guest
    /// carries no mount; whoever restores it attaches them again. Needs a running guest (call before suspending).
    /// </summary>
    internal async Task<IReadOnlyList<MountSpec>> DetachMountsAsync(CancellationToken cancellationToken)
    {
        if (_mounts is not { } mounts)
        {
            return [];
        }

        await mounts.UnmountAsync(Agent, cancellationToken);
        _mounts = null;
        await mounts.DisposeAsync();
        return mounts.Specs;
    }
}
