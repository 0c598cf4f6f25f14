namespace Sandbox86.Images.Build;

/// <summary>
/// The initramfs <c>/init</c> script (run by the static busybox in the initramfs). It loads the modules,
/// mounts the 9p root and prepares it (devtmpfs, proc, sys, devpts, tmpfs) so that the agent — the new
/// PID 1 — can start work at once on any rootfs, even one without a shell or mount binary.
/// With <c>sandbox86.init=system</c> on the kernel command line it hands over to the image's own /sbin/init.
/// </summary>
internal static class GuestInit
{
    public const string AgentPath = "/.sandbox86/agent";

    public static string Script(IReadOnlyList<string> modules)
    {
        var insmods = string.Join('\n', modules.Select(m => $"insmod /lib/modules/{m}.ko || echo \"sandbox86: insmod {m} failed\""));
        return $$"""
            #!/bin/busybox sh
            # sandbox86 initramfs: written by the image builder.
            /bin/busybox --install -s /bin
            export PATH=/bin
            mount -t devtmpfs devtmpfs /dev
            mount -t proc proc /proc
            {{insmods}}
            if ! mount -t 9p -o trans=virtio,version=9p2000.L,cache=loose,msize=512000 host9p /newroot; then
                echo "sandbox86: cannot mount the 9p root"; exec sh
            fi
            ip link set lo up 2>/dev/null
            hostname sandbox 2>/dev/null
            mode=agent
            for arg in $(cat /proc/cmdline); do
                case "$arg" in sandbox86.init=system) mode=system ;; esac
            done
            umount /proc
            if [ "$mode" = system ]; then
                mount --move /dev /newroot/dev 2>/dev/null || umount /dev
                exec switch_root /newroot /sbin/init
            fi
            for d in dev proc sys tmp run; do mkdir -p /newroot/$d 2>/dev/null; done
            mount --move /dev /newroot/dev
            mkdir -p /newroot/dev/pts /newroot/dev/shm
            mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /newroot/dev/pts
            mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm
            mount -t proc proc /newroot/proc
            mount -t sysfs sysfs /newroot/sys
            mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
            mount -t tmpfs -o mode=755 tmpfs /newroot/run
            exec switch_root /newroot {{AgentPath}} --init
            """.Replace("\r", "", StringComparison.Ordinal) + "\n";
    }
}
