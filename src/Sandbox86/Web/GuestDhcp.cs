using Sandbox86.Guest;
using Sandbox86.Machines;

namespace Sandbox86.Web;

/// <summary>
/// The guest's DHCP client for a page with a relay: busybox udhcpc, started before the state is saved and left
/// asking (a DISCOVER about every second) until the page's relay answers. In the worker that prepares the site
/// nothing answers (the NIC is attached to nothing), so the lease is the page's relay's. The script lives on
/// the guest's /run (tmpfs, part of the saved RAM), not in the image.
/// </summary>
internal static class GuestDhcp
{
    public const string ScriptPath = "/run/sandbox86/udhcpc.script";

    // udhcpc calls this with deconfig / bound / renew; addresses come in $ip, $mask (prefix), $router, $dns.
    private const string Script = """
        #!/bin/sh
        ip() { busybox ip "$@"; }
        case "$1" in
        deconfig)
            ip -4 addr flush dev "$interface"
            ip link set "$interface" up
            ;;
        bound|renew)
            ip -4 addr flush dev "$interface"
            ip addr add "$ip/${mask:-24}" dev "$interface"
            if [ -n "$router" ]; then ip route replace default via "${router%% *}" dev "$interface"; fi
            if [ -n "$dns" ]; then
                for d in $dns; do echo "nameserver $d"; done > /etc/resolv.conf.sandbox86 && cat /etc/resolv.conf.sandbox86 > /etc/resolv.conf
                rm -f /etc/resolv.conf.sandbox86
            fi
            ;;
        esac
        exit 0
        """;

    public static async Task StartAsync(Machine machine, CancellationToken cancellationToken)
    {
        var start =
            "mkdir -p /run/sandbox86 && cat > " + ScriptPath + " <<'SANDBOX86_EOF'\n" + Script.Replace("\r", "", StringComparison.Ordinal) + "\nSANDBOX86_EOF\n" +
            "chmod 755 " + ScriptPath + " && " +
            "iface=$(ls /sys/class/net | grep -v '^lo$' | head -n 1) && [ -n \"$iface\" ] && " +
            // Own session: the agent kills an exec's process group when the exec ends.
            // A link that is down makes udhcpc loop on "Network is down" without ever sending.
            "busybox ip link set \"$iface\" up && " +
            "busybox setsid busybox udhcpc -f -i \"$iface\" -T 1 -t 3 -A 1 -s " + ScriptPath + " </dev/null >/run/sandbox86/udhcpc.log 2>&1 & " +
            // Still there a moment later: it started (pidof would look for "busybox", the process's name).
            "pid=$!; sleep 0.5; kill -0 $pid";
        var result = await machine.Agent.ExecAsync(new ExecRequest
        {
            Shell = start,
            Timeout = TimeSpan.FromSeconds(30),
        }, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new WebSiteException($"could not start the guest's DHCP client (busybox udhcpc): exit {result.ExitCode}: {result.StderrText.Trim()}");
        }
    }
}
