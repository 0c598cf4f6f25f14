using Sandbox86.Mounts;

namespace Sandbox86.Machines;

public sealed partial class Machine
{
    private bool _mountPortForwarded;

    /// <summary>The live host mounts (empty when none). A save detaches and re-attaches them; a fork's children get them too.</summary>
    public IReadOnlyList<MountSpec> LiveMounts => _mounts?.Specs ?? [];

    /// <summary>True when the last attach had to copy 9P's fd transport module in (the image's initramfs lacks it).</summary>
    internal bool MountsCopiedTransportModule => _mounts?.CopiedTransportModule ?? false;

    /// <summary>
    /// Mounts host directories into the running guest (what <see cref="MachineOptions.Mounts"/> does at start,
    /// and what a save does again after it detached them). Only a machine started with mounts forwards the 9P
    /// port, so start a machine that may mount with <see cref="MachineOptions.Mounts"/>. One set of mounts per machine.
    /// </summary>
    internal async Task AttachMountsAsync(IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mounts);
        if (mounts.Count == 0)
        {
            return;
        }

        if (_mounts is not null)
        {
            throw new MachineException("the machine already has mounts");
        }

        if (!_mountPortForwarded)
        {
            throw new MachineException("the machine was started without mounts, so its 9P port is not forwarded: start it with MachineOptions.Mounts");
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
