using System.Net.NetworkInformation;
using System.Security.Cryptography;
using Sandbox86.Guest;

namespace Sandbox86.Machines.Pool;

/// <summary>
/// What makes restores of one snapshot different machines. The parts that do not depend on who claims
/// the machine (NIC MAC, hostname) are applied while it warms, so a claim pays only for what must be
/// fresh at that moment: the wall clock (set by the resume) and the entropy pool.
/// </summary>
internal static class PoolIdentity
{
    /// <summary>A random unicast, locally administered MAC (clones of one snapshot would share its MAC).</summary>
    public static PhysicalAddress NewMac()
    {
        var bytes = RandomNumberGenerator.GetBytes(6);
        bytes[0] = (byte)((bytes[0] & 0xFE) | 0x02);
        return new PhysicalAddress(bytes);
    }

    public static string NewHostname() => "sandbox86-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>
    /// Gives a freshly restored machine its own MAC and hostname, and eth0 the default network's address,
    /// gateway, DNS and MTU (every sandbox network has the same guest side), so the claim's network attach
    /// sends nothing to the guest (~70 ms of agent round trip and ioctls in v86 on a quiet host).
    /// </summary>
    public static async Task ApplyStaticAsync(Machine machine, CancellationToken cancellationToken)
    {
        var defaults = new Network.NetworkOptions();
        var config = MachineNetwork.GuestConfig(defaults, defaults.FirstGuest, NewMac());
        await machine.Agent.ConfigureNetworkAsync(config, cancellationToken);
        machine.GuestNetwork = MachineNetwork.Key(config);
        var hostname = NewHostname();
        var result = await machine.Agent.ExecAsync(ExecRequest.ForArgv("sh", "-c", $"echo {hostname} > /proc/sys/kernel/hostname"), cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new MachineException($"setting the hostname of a pooled machine failed (exit {result.ExitCode}): {result.StderrText.Trim()}");
        }
    }

    /// <summary>
    /// Reseeds the guest's entropy pool; not awaited, since the agent handles requests in order and
    /// anything the caller sends next runs after it (a failure is logged by the caller's continuation).
    /// </summary>
    public static Task ReseedAsync(Machine machine) =>
        machine.Agent.ReseedEntropyAsync(RandomNumberGenerator.GetBytes(64), CancellationToken.None);
}
