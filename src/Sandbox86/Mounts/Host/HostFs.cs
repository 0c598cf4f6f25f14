using System.Buffers.Binary;
using System.Text;

namespace Sandbox86.Mounts.Host;

/// <summary>
/// The host side of a mount: every operation starts from a file descriptor the server already holds
/// and names at most one path component, opened with <c>O_NOFOLLOW</c>. A guest path is never resolved
/// as a string, so no symlink (guest-made or swapped in by a host-side race) can lead outside the
/// mount. Results are <c>&gt;= 0</c> on success or <c>-errno</c>.
/// </summary>
internal static unsafe class HostFs
{
    /// <summary>Where guest ownership is kept when it differs from the host file's (8 bytes: uid, gid).</summary>
    private static readonly byte[] OwnerXattr = Z("user.sandbox86.owner"u8);

    /// <summary>The name as a NUL-terminated byte string.</summary>
    public static byte[] Z(ReadOnlySpan<byte> s)
    {
        var z = new byte[s.Length + 1];
        s.CopyTo(z);
        return z;
    }

    /// <summary><c>/proc/self/fd/N</c>: reaches exactly the inode an <c>O_PATH</c> fd holds (QEMU's trick for calls with no fd form).</summary>
    public static byte[] ProcPath(int fd) => Z(Encoding.ASCII.GetBytes("/proc/self/fd/" + fd.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Opens a directory the user named (the mount's root) as an <c>O_PATH</c> fd; the only string path the backend opens.</summary>
    public static int OpenRoot(string hostPath)
    {
        fixed (byte* p = Z(Encoding.UTF8.GetBytes(hostPath)))
        {
            var fd = HostNative.OpenAt(HostNative.AtFdCwd, p, HostNative.OPath | HostNative.ODirectory | HostNative.OCloexec, 0);
            return fd < 0 ? HostNative.Err() : fd;
        }
    }

    /// <summary>
    /// Opens <paramref name="root"/> (the operator's string path) and walks <paramref name="components"/> below
    /// it one at a time with <c>O_NOFOLLOW</c>: a symlink anywhere is ELOOP, a non-directory ENOTDIR, and a
    /// component that is empty, "." or ".." EINVAL, so the result never lies outside the root.
    /// </summary>
    public static int OpenBeneath(string root, IReadOnlyList<string> components)
    {
        var fd = OpenRoot(root);
        foreach (var component in components)
        {
            if (fd < 0)
            {
                break;
            }

            var name = Encoding.UTF8.GetBytes(component);
            if (component is "" or "." or ".." || name.AsSpan().IndexOfAny((byte)'/', (byte)0) >= 0)
            {
                Close(fd);
                return -Server.Errno.EINVAL;
            }

            var child = OpenPath(fd, name);
            Close(fd);
            fd = child;
            if (fd >= 0 && Stat(fd, out var st) is var r && (r < 0 || !st.IsDir))
            {
                Close(fd);
                return r < 0 ? r : st.IsSymlink ? -Server.Errno.ELOOP : -Server.Errno.ENOTDIR;
            }
        }

        return fd;
    }

    /// <summary>An errno for a message: the few a mount path meets by name, else the number.</summary>
    public static string Describe(int errno) => errno switch
    {
        Server.Errno.ENOENT => "no such directory",
        Server.Errno.EACCES => "permission denied",
        Server.Errno.ENOTDIR => "not a directory",
        Server.Errno.ELOOP => "a path component is a symlink",
        Server.Errno.EXDEV => "outside its mount root",
        Server.Errno.EINVAL => "an invalid path component",
        _ => "errno " + errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>One walk step: the child <paramref name="name"/> of directory fd <paramref name="dirfd"/>, never following a symlink.</summary>
    public static int OpenPath(int dirfd, ReadOnlySpan<byte> name)
    {
        fixed (byte* p = Z(name))
        {
            var fd = HostNative.OpenAt(dirfd, p, HostNative.OPath | HostNative.ONofollow | HostNative.OCloexec, 0);
            return fd < 0 ? HostNative.Err() : fd;
        }
    }

    /// <summary>Re-opens the inode of an <c>O_PATH</c> fd for I/O (the caller checked it is a file or directory).</summary>
    public static int Reopen(int pathFd, int flags)
    {
        fixed (byte* p = ProcPath(pathFd))
        {
            var fd = HostNative.OpenAt(HostNative.AtFdCwd, p, flags | HostNative.OCloexec, 0);
            return fd < 0 ? HostNative.Err() : fd;
        }
    }

    /// <summary>Creates and opens <paramref name="name"/> in <paramref name="dirfd"/> (exclusive create is the caller's flag).</summary>
    public static int Create(int dirfd, ReadOnlySpan<byte> name, int flags, uint mode)
    {
        fixed (byte* p = Z(name))
        {
            var fd = HostNative.OpenAt(dirfd, p, flags | HostNative.OCreat | HostNative.ONofollow | HostNative.OCloexec, mode);
            return fd < 0 ? HostNative.Err() : fd;
        }
    }

    /// <summary>A second fd for the same open file or <c>O_PATH</c> handle (close-on-exec, so no child process inherits it).</summary>
    public static int Dup(int fd)
    {
        var r = HostNative.Fcntl(fd, HostNative.FDupFdCloexec, 0);
        return r < 0 ? HostNative.Err() : r;
    }

    public static void Close(int fd)
    {
        if (fd >= 0)
        {
            HostNative.Close(fd);
        }
    }

    public static int Stat(int fd, out HostStat stat)
    {
        var buf = stackalloc byte[HostStat.BufferSize];
        var empty = stackalloc byte[1];
        empty[0] = 0;
        if (HostNative.Statx(fd, empty, HostNative.AtEmptyPath | HostNative.AtSymlinkNofollow, 0xFFF, buf) < 0)
        {
            stat = default;
            return HostNative.Err();
        }

        stat = HostStat.Parse(new ReadOnlySpan<byte>(buf, HostStat.BufferSize));
        return 0;
    }

    /// <summary><c>fstatfs</c>: type, bsize, blocks, bfree, bavail, files, ffree, fsid, namelen (x86-64/arm64 layout, all 8-byte words).</summary>
    public static int StatFs(int fd, Span<ulong> words)
    {
        var buf = stackalloc ulong[16];
        if (HostNative.FStatFs(fd, (byte*)buf) < 0)
        {
            return HostNative.Err();
        }

        for (var i = 0; i < 9 && i < words.Length; i++)
        {
            words[i] = buf[i];
        }

        return 0;
    }

    public static int Mkdir(int dirfd, ReadOnlySpan<byte> name, uint mode)
    {
        fixed (byte* p = Z(name))
        {
            return HostNative.MkdirAt(dirfd, p, mode) < 0 ? HostNative.Err() : 0;
        }
    }

    public static int Unlink(int dirfd, ReadOnlySpan<byte> name, bool dir)
    {
        fixed (byte* p = Z(name))
        {
            return HostNative.UnlinkAt(dirfd, p, dir ? HostNative.AtRemoveDir : 0) < 0 ? HostNative.Err() : 0;
        }
    }

    public static int Rename(int oldDir, ReadOnlySpan<byte> oldName, int newDir, ReadOnlySpan<byte> newName)
    {
        fixed (byte* o = Z(oldName))
        fixed (byte* n = Z(newName))
        {
            return HostNative.RenameAt(oldDir, o, newDir, n) < 0 ? HostNative.Err() : 0;
        }
    }

    public static int Symlink(ReadOnlySpan<byte> target, int dirfd, ReadOnlySpan<byte> name)
    {
        fixed (byte* t = Z(target))
        fixed (byte* n = Z(name))
        {
            return HostNative.SymlinkAt(t, dirfd, n) < 0 ? HostNative.Err() : 0;
        }
    }

    /// <summary>The text of the symlink an <c>O_PATH | O_NOFOLLOW</c> fd holds (read, never followed).</summary>
    public static int Readlink(int pathFd, Span<byte> target)
    {
        var empty = stackalloc byte[1];
        empty[0] = 0;
        fixed (byte* b = target)
        {
            var n = HostNative.ReadlinkAt(pathFd, empty, b, target.Length);
            return n < 0 ? HostNative.Err() : (int)n;
        }
    }

    /// <summary>A hard link to the inode <paramref name="pathFd"/> holds, through its <c>/proc</c> magic link (needs no capability, unlike <c>AT_EMPTY_PATH</c>).</summary>
    public static int Link(int pathFd, int dirfd, ReadOnlySpan<byte> name)
    {
        fixed (byte* o = ProcPath(pathFd))
        fixed (byte* n = Z(name))
        {
            return HostNative.LinkAt(HostNative.AtFdCwd, o, dirfd, n, HostNative.AtSymlinkFollow) < 0 ? HostNative.Err() : 0;
        }
    }

    public static int Chmod(int pathFd, uint mode)
    {
        fixed (byte* p = ProcPath(pathFd))
        {
            return HostNative.FchmodAt(HostNative.AtFdCwd, p, mode, 0) < 0 ? HostNative.Err() : 0;
        }
    }

    public static int Truncate(int pathFd, long size)
    {
        fixed (byte* p = ProcPath(pathFd))
        {
            return HostNative.Truncate(p, size) < 0 ? HostNative.Err() : 0;
        }
    }

    /// <summary><c>utimensat</c>; a nanosecond field of <c>UTIME_NOW</c> or <c>UTIME_OMIT</c> keeps its meaning.</summary>
    public static int SetTimes(int pathFd, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec)
    {
        var times = stackalloc long[4] { atimeSec, atimeNsec, mtimeSec, mtimeNsec };
        fixed (byte* p = ProcPath(pathFd))
        {
            return HostNative.UtimensAt(HostNative.AtFdCwd, p, times, 0) < 0 ? HostNative.Err() : 0;
        }
    }

    public static int PRead(int fd, Span<byte> buf, long offset)
    {
        fixed (byte* b = buf)
        {
            var n = HostNative.PRead(fd, b, buf.Length, offset);
            return n < 0 ? HostNative.Err() : (int)n;
        }
    }

    public static int PWrite(int fd, ReadOnlySpan<byte> buf, long offset, bool append)
    {
        fixed (byte* b = buf)
        {
            // pwrite ignores the offset on an O_APPEND fd (Linux appends), which is what the guest asked for.
            var n = HostNative.PWrite(fd, b, buf.Length, append ? 0 : offset);
            return n < 0 ? HostNative.Err() : (int)n;
        }
    }

    /// <summary>Directory entries from cookie <paramref name="offset"/> (0 = the start) into <paramref name="buf"/> as raw <c>linux_dirent64</c>.</summary>
    public static int GetDents(int dirFd, long offset, Span<byte> buf)
    {
        if (HostNative.LSeek(dirFd, offset, 0) < 0)
        {
            return HostNative.Err();
        }

        fixed (byte* b = buf)
        {
            var n = HostNative.GetDents64(dirFd, b, buf.Length);
            return n < 0 ? HostNative.Err() : (int)n;
        }
    }

    public static int Fsync(int fd, bool dataOnly) =>
        (dataOnly ? HostNative.FDataSync(fd) : HostNative.FSync(fd)) < 0 ? HostNative.Err() : 0;

    /// <summary>The guest's owner of a host file, if the server recorded one.</summary>
    public static bool TryGetOwner(int pathFd, out uint uid, out uint gid)
    {
        var v = stackalloc byte[8];
        fixed (byte* p = ProcPath(pathFd))
        fixed (byte* n = OwnerXattr)
        {
            if (HostNative.GetXattr(p, n, v, 8) == 8)
            {
                var s = new ReadOnlySpan<byte>(v, 8);
                uid = BinaryPrimitives.ReadUInt32LittleEndian(s);
                gid = BinaryPrimitives.ReadUInt32LittleEndian(s[4..]);
                return true;
            }
        }

        uid = gid = 0;
        return false;
    }

    /// <summary>Records the guest's owner as metadata: the host file stays owned by the server's user.</summary>
    public static int SetOwner(int pathFd, uint uid, uint gid)
    {
        var v = stackalloc byte[8];
        var s = new Span<byte>(v, 8);
        BinaryPrimitives.WriteUInt32LittleEndian(s, uid);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], gid);
        fixed (byte* p = ProcPath(pathFd))
        fixed (byte* n = OwnerXattr)
        {
            return HostNative.SetXattr(p, n, v, 8, 0) < 0 ? HostNative.Err() : 0;
        }
    }
}
