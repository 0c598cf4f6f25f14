using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Sandbox86.Tests.Guest;

/// <summary>A pseudo-terminal pair: the agent opens the slave like it opens /dev/hvc1 in the VM.</summary>
internal static partial class PtyPair
{
    public static (FileStream Master, string SlavePath) Open()
    {
        const int O_RDWR = 2, O_NOCTTY = 0x100;
        var fd = posix_openpt(O_RDWR | O_NOCTTY);
        if (fd < 0 || grantpt(fd) != 0 || unlockpt(fd) != 0)
        {
            throw new IOException($"cannot open a pty: errno {Marshal.GetLastPInvokeError()}");
        }

        var name = new byte[128];
        if (ptsname_r(fd, name, name.Length) != 0)
        {
            throw new IOException("ptsname_r failed");
        }

        var path = Encoding.ASCII.GetString(name, 0, Array.IndexOf(name, (byte)0));
        return (new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.ReadWrite, bufferSize: 0), path);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int posix_openpt(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int grantpt(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int unlockpt(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ptsname_r(int fd, [Out] byte[] buf, nint buflen);
}
