using Sandbox86.Images.Fs;

namespace Sandbox86.Images.Build;

/// <summary>Adds what every sandbox86 image needs on top of its rootfs: the agent and mount points.</summary>
internal static class RootfsFixups
{
    internal static ReadOnlySpan<byte> GuestHosts => "127.0.0.1\tlocalhost\n127.0.1.1\tsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n"u8;

    public static void Apply(FsTree tree, ChunkStore chunks, string agentPath)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        foreach (var dir in new[] { "/dev", "/proc", "/sys", "/run", "/root", "/etc" })
        {
            if (tree.Lookup(dir) is null)
            {
                tree.AddDirectory(dir, 0x1ED, 0, 0, now);
            }
        }

        if (tree.Lookup("/tmp") is null)
        {
            tree.AddDirectory("/tmp", 0x3FF | 0x200, 0, 0, now);
        }

        tree.Remove("/.sandbox86");
        tree.AddDirectory("/.sandbox86", 0x1ED, 0, 0, now);
        using (var agent = File.OpenRead(agentPath))
        {
            var (name, size) = chunks.Add(agent);
            tree.AddFile(GuestInit.AgentPath, name, size, 0x1ED, 0, 0, now);
        }

        // The guest init names the host "sandbox"; without an entry sudo warns "unable to resolve host"
        // and waits for DNS on every call.
        if (tree.Lookup("/etc/hosts") is null)
        {
            var (name, size) = chunks.Add(GuestHosts);
            tree.AddFile("/etc/hosts", name, size, 0x1A4, 0, 0, now);
        }

        // The guest has no DNS until the network issue lands; a resolv.conf pointing at the
        // gateway's resolver (10.0.2.3) is what the network stack serves.
        if (tree.Lookup("/etc/resolv.conf") is null)
        {
            var (name, size) = chunks.Add("nameserver 10.0.2.3\n"u8);
            tree.AddFile("/etc/resolv.conf", name, size, 0x1A4, 0, 0, now);
        }
    }
}
