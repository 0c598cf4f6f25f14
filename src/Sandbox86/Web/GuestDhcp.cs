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

    public const string PidPath = "/run/sandbox86/udhcpc.pid";
    public const string LogPath = "/run/sandbox86/udhcpc.log";

    public static async Task StartAsync(Machine machine, CancellationToken cancellationToken)
    {
        // One command per line, each checked: a trailing '&' after an '&&' chain backgrounds the whole chain as one
        // subshell in the exec's process group, which the agent SIGKILLs when the exec's shell exits (agent/exec.c).
        // That is how an earlier version of this saved a guest with its link down and no udhcpc: the page's NIC then
        // never sent a frame, so v86 never even opened the relay's WebSocket.
        var start =
            "mkdir -p /run/sandbox86 || exit 1\n" +
            "cat > " + ScriptPath + " <<'SANDBOX86_EOF' || exit 1\n" + Script.Replace("\r", "", StringComparison.Ordinal) + "\nSANDBOX86_EOF\n" +
            "chmod 755 " + ScriptPath + " || exit 1\n" +
            "iface=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)\n" +
            "[ -n \"$iface\" ] || { echo 'no network interface' >&2; exit 1; }\n" +
            // A link that is down makes udhcpc loop on "Network is down" without ever sending.
            "busybox ip link set \"$iface\" up || exit 1\n" +
            "rm -f " + PidPath + " " + LogPath + "\n" +
            // Its own session, so the agent's kill of this exec's group when the exec ends does not reach it.
            "busybox setsid busybox udhcpc -f -i \"$iface\" -T 1 -t 3 -A 1 -p " + PidPath + " -s " + ScriptPath + " </dev/null >" + LogPath + " 2>&1 &\n" +
            // Running means it has sent its first DISCOVER (nothing answers in the worker that prepares the site).
            "for i in $(seq 100); do grep -q 'discover' " + LogPath + " 2>/dev/null && exit 0; sleep 0.1; done\n" +
            "echo \"udhcpc sent no DISCOVER: $(cat " + LogPath + " 2>/dev/null)\" >&2; exit 1\n";
        await RunAsync(machine, start, "start the guest's DHCP client (busybox udhcpc)", cancellationToken);

        // Still there once the exec that started it is over (and its process group killed): the state saved next
        // must hold a running client.
        await RunAsync(machine, "pid=$(cat " + PidPath + ") && [ -n \"$pid\" ] && kill -0 \"$pid\" && grep -q udhcpc /proc/\"$pid\"/cmdline",
            "find the guest's DHCP client still running after its exec ended", cancellationToken);
    }

    private static async Task RunAsync(Machine machine, string shell, string what, CancellationToken cancellationToken)
    {
        var result = await machine.Agent.ExecAsync(new ExecRequest
        {
            Shell = shell,
            Timeout = TimeSpan.FromSeconds(30),
        }, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new WebSiteException($"could not {what}: exit {result.ExitCode}: {result.StderrText.Trim()}");
        }
    }
}
