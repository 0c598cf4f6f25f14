using System.Collections.Concurrent;
using Sandbox86.Guest;

namespace Sandbox86.Machines;

// What a guest fresh from its build is known to have, learned once per build instead of asked per machine.
public sealed partial class Machine
{
    /// <summary>E2B's default account: envd runs commands as this user when the image has it, else as root.</summary>
    public const string DefaultUserName = "user";

    // Per build directory (immutable content): whether its guest has the default user. A fact of the
    // build's root filesystem, so it holds for every boot-snapshot restore, pooled machine and cold boot of it.
    private static readonly ConcurrentDictionary<string, bool> DefaultUserByBuild = new(StringComparer.Ordinal);

    private Task<bool>? _hasDefaultUser;

    /// <summary>
    /// The guest's eth0 configuration (<see cref="MachineNetwork.Key"/>, MAC aside) when the host set it on
    /// this machine; a pooled machine is configured for the default network while it warms, so attaching
    /// it to one costs no agent round trip.
    /// </summary>
    internal string? GuestNetwork { get; set; }

    /// <summary>
    /// True when the guest started from its build as the build made it (a boot-snapshot restore, a pooled
    /// machine, a cold boot), so facts of the build hold for it; false after a resume of a saved sandbox
    /// or a fork, whose guest may have changed anything.
    /// </summary>
    public bool FreshFromBuild { get; internal set; }

    /// <summary>
    /// Whether the guest has E2B's account <see cref="DefaultUserName"/>. A machine fresh from its build
    /// answers from what an earlier machine of the build learned (no exec: <c>id -u user</c> costs ~270 ms
    /// in a fresh v86 guest); otherwise the guest is asked once (<c>id -u user</c>) and, for a fresh
    /// machine, the answer is kept for the build. Ask before the first command, as a server does, since
    /// a command may add or remove accounts.
    /// </summary>
    public Task<bool> HasDefaultUserAsync(CancellationToken cancellationToken)
    {
        if (FreshFromBuild && DefaultUserByBuild.TryGetValue(Image.Directory, out var known))
        {
            return Task.FromResult(known);
        }

        lock (DefaultUserByBuild)
        {
            // One probe per machine; a failed or cancelled one is asked again by the next caller.
            if (_hasDefaultUser is null || _hasDefaultUser.IsFaulted || _hasDefaultUser.IsCanceled)
            {
                _hasDefaultUser = ProbeDefaultUserAsync(cancellationToken);
            }

            return _hasDefaultUser;
        }
    }

    /// <summary>The build's answer, when a machine of it has learned it (tests and the pool read it).</summary>
    internal static bool? KnownDefaultUser(string buildDirectory) =>
        DefaultUserByBuild.TryGetValue(buildDirectory, out var known) ? known : null;

    private async Task<bool> ProbeDefaultUserAsync(CancellationToken cancellationToken)
    {
        Util.PhaseTrace.Mark("default user: asking the guest (id -u user)");
        var result = await Agent.ExecAsync(
            new ExecRequest { Argv = ["id", "-u", DefaultUserName], OutputCap = 256, Timeout = TimeSpan.FromSeconds(10) },
            cancellationToken);
        var has = result.ExitCode == 0;
        if (FreshFromBuild)
        {
            DefaultUserByBuild[Image.Directory] = has;
        }

        Util.PhaseTrace.Mark($"default user: {(has ? "present" : "absent")}");
        return has;
    }
}
