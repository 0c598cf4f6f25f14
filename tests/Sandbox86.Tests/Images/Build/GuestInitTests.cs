using Sandbox86.Images.Build;

namespace Sandbox86.Tests.Images.Build;

public sealed class GuestInitTests
{
    [Fact]
    public void The_init_script_loads_modules_in_order_mounts_the_9p_root_and_hands_over_to_the_agent()
    {
        var script = GuestInit.Script(["virtio", "virtio_ring", "9p"]);
        Assert.StartsWith("#!/bin/busybox sh\n", script, StringComparison.Ordinal);
        Assert.True(script.IndexOf("insmod /lib/modules/virtio.ko", StringComparison.Ordinal) < script.IndexOf("insmod /lib/modules/9p.ko", StringComparison.Ordinal));
        Assert.Contains("mount -t 9p -o trans=virtio,version=9p2000.L", script, StringComparison.Ordinal);
        Assert.Contains("mount --move /dev /newroot/dev", script, StringComparison.Ordinal);
        Assert.EndsWith($"exec switch_root /newroot {GuestInit.AgentPath} --init\n", script, StringComparison.Ordinal);
        Assert.Contains("sandbox86.init=system) mode=system", script, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", script, StringComparison.Ordinal);
    }

    [Fact]
    public void The_script_is_valid_shell()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, GuestInit.Script(["virtio"]));
            using var sh = System.Diagnostics.Process.Start("sh", ["-n", path]);
            sh.WaitForExit();
            Assert.Equal(0, sh.ExitCode);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
