using System.Buffers.Binary;
using Sandbox86.Mounts.Host;
using Sandbox86.Mounts.Wire;

namespace Sandbox86.Mounts.Server;

/// <summary>The operations that read or change files (the tree and session parts are in NineServer.cs).</summary>
internal sealed partial class NineServer
{
    private const uint SetattrMode = 0x1, SetattrUid = 0x2, SetattrGid = 0x4, SetattrSize = 0x8;
    private const uint SetattrAtime = 0x10, SetattrMtime = 0x20, SetattrAtimeSet = 0x80, SetattrMtimeSet = 0x100;
    private const long UtimeNow = (1L << 30) - 1, UtimeOmit = (1L << 30) - 2;
    private const uint GuestAccMode = 3, GuestCreat = 0x40, GuestExcl = 0x80, GuestTrunc = 0x200, GuestAppend = 0x400;
    private const uint PermissionBits = 0x3FF; // 01777: rwx for all plus sticky; setuid/setgid never reach the host
    private const int ReadReplyOverhead = NineFrame.HeaderSize + 4;

    private int Setattr(ref NineReader r)
    {
        var fidNo = r.U32();
        var valid = r.U32();
        var mode = r.U32();
        var uid = r.U32();
        var gid = r.U32();
        var size = r.U64();
        var atimeSec = r.U64();
        var atimeNsec = r.U64();
        var mtimeSec = r.U64();
        var mtimeNsec = r.U64();
        if (!TryFid(fidNo, out var fid))
        {
            return Errno.EBADF;
        }

        if (fid.IsTop || fid.Export!.ReadOnly)
        {
            return Errno.EROFS;
        }

        var e = HostFs.Stat(fid.PathFd, out var st);
        if (e < 0)
        {
            return -e;
        }

        if (st.IsSymlink)
        {
            // chown/utimes on a symlink: nothing to record that a guest could observe through 9P.
            return 0;
        }

        if ((valid & SetattrMode) != 0 && (e = HostFs.Chmod(fid.PathFd, mode & PermissionBits)) < 0)
        {
            return -e;
        }

        if ((valid & (SetattrUid | SetattrGid)) != 0)
        {
            if (!HostFs.TryGetOwner(fid.PathFd, out var curUid, out var curGid))
            {
                (curUid, curGid) = (st.Uid, st.Gid);
            }

            e = HostFs.SetOwner(fid.PathFd, (valid & SetattrUid) != 0 ? uid : curUid, (valid & SetattrGid) != 0 ? gid : curGid);
            if (e < 0)
            {
                return -e;
            }
        }

        if ((valid & SetattrSize) != 0)
        {
            if (!st.IsRegular)
            {
                return Errno.EINVAL;
            }

            if (size > long.MaxValue || (e = HostFs.Truncate(fid.PathFd, (long)size)) < 0)
            {
                return e < 0 ? -e : Errno.EINVAL;
            }
        }

        if ((valid & (SetattrAtime | SetattrMtime)) != 0)
        {
            long aS = 0, aN = UtimeOmit, mS = 0, mN = UtimeOmit;
            if ((valid & SetattrAtime) != 0)
            {
                (aS, aN) = (valid & SetattrAtimeSet) != 0 ? ((long)atimeSec, (long)(atimeNsec % 1_000_000_000)) : (0, UtimeNow);
            }

            if ((valid & SetattrMtime) != 0)
            {
                (mS, mN) = (valid & SetattrMtimeSet) != 0 ? ((long)mtimeSec, (long)(mtimeNsec % 1_000_000_000)) : (0, UtimeNow);
            }

            if ((e = HostFs.SetTimes(fid.PathFd, aS, aN, mS, mN)) < 0)
            {
                return -e;
            }
        }

        return 0;
    }

    private int Lopen(ref NineReader r, NineWriter w)
    {
        var fidNo = r.U32();
        var flags = r.U32();
        if (!TryFid(fidNo, out var fid))
        {
            return Errno.EBADF;
        }

        if (fid.Opened)
        {
            return Errno.EBADF;
        }

        var acc = flags & GuestAccMode;
        var writes = acc != 0 || (flags & GuestTrunc) != 0;
        if (fid.IsTop)
        {
            if (writes)
            {
                return Errno.EROFS;
            }

            fid.Opened = true;
            w.Qid(new Qid(Qid.Dir, 0, TopQidPath));
            w.U32(0);
            return 0;
        }

        if (writes && fid.Export!.ReadOnly)
        {
            return Errno.EROFS;
        }

        var e = HostFs.Stat(fid.PathFd, out var st);
        if (e < 0)
        {
            return -e;
        }

        if (!st.IsRegular && !st.IsDir)
        {
            // A symlink is read with Treadlink, never opened (that would follow it on the host).
            return st.IsSymlink ? Errno.ELOOP : Errno.EPERM;
        }

        if (st.IsDir && writes)
        {
            return Errno.EISDIR;
        }

        var hostFlags = (int)acc | ((flags & GuestTrunc) != 0 ? HostNative.OTrunc : 0) | ((flags & GuestAppend) != 0 ? HostNative.OAppend : 0)
            | (st.IsDir ? HostNative.ODirectory : 0) | HostNative.ONonblock;
        var fd = HostFs.Reopen(fid.PathFd, hostFlags);
        if (fd < 0)
        {
            return -fd;
        }

        return ReplyOpened(fid, fd, acc != 0, (flags & GuestAppend) != 0, st, w);
    }

    private int Lcreate(ref NineReader r, NineWriter w)
    {
        var fidNo = r.U32();
        var name = r.Str();
        var flags = r.U32();
        var mode = r.U32();
        var gid = r.U32();
        if (!TryDirForChange(fidNo, name, out var fid, out var err))
        {
            return err;
        }

        if (fid.Opened)
        {
            return Errno.EBADF;
        }

        var acc = flags & GuestAccMode;
        var hostFlags = (int)acc | ((flags & GuestTrunc) != 0 ? HostNative.OTrunc : 0) | ((flags & GuestAppend) != 0 ? HostNative.OAppend : 0)
            | ((flags & GuestExcl) != 0 ? HostNative.OExcl : 0);
        var fd = HostFs.Create(fid.PathFd, name, hostFlags, mode & 0x1FF);
        if (fd < 0)
        {
            return -fd;
        }

        var pathFd = HostFs.Reopen(fd, HostNative.OPath);
        if (pathFd < 0 || HostFs.Stat(fd, out var st) < 0)
        {
            HostFs.Close(fd);
            HostFs.Close(pathFd);
            return Errno.EIO;
        }

        if (!st.IsRegular)
        {
            // Only a host-side race can put something else there; refuse it rather than use it.
            HostFs.Close(fd);
            HostFs.Close(pathFd);
            return Errno.EPERM;
        }

        HostFs.SetOwner(pathFd, fid.Uid, gid);
        HostFs.Close(fid.PathFd);
        fid.PathFd = pathFd;
        return ReplyOpened(fid, fd, acc != 0, (flags & GuestAppend) != 0, st, w);
    }

    // Rlopen and Rlcreate: the fid now holds an open host fd; the reply is its qid and the iounit (msize
    // less the Rread header, so one read fits one message).
    private int ReplyOpened(NineFid fid, int fd, bool writable, bool append, HostStat st, NineWriter w)
    {
        fid.OpenFd = fd;
        fid.Opened = true;
        fid.Writable = writable;
        fid.Append = append;
        w.Qid(QidOf(st));
        w.U32((uint)(MessageSize - 24));
        return 0;
    }

    private int Read(ref NineReader r, NineWriter w)
    {
        var fidNo = r.U32();
        var offset = r.U64();
        var count = r.U32();
        if (!TryFid(fidNo, out var fid) || !fid.Opened)
        {
            return Errno.EBADF;
        }

        if (fid.IsTop)
        {
            return Errno.EISDIR;
        }

        if (offset > long.MaxValue)
        {
            return Errno.EINVAL;
        }

        var n = (int)Math.Min(count, (uint)(MessageSize - ReadReplyOverhead));
        var countPos = w.Length;
        w.U32(0);
        var data = w.Span(n);
        var got = HostFs.PRead(fid.OpenFd, data, (long)offset);
        if (got < 0)
        {
            return -got;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(w.Buffer.AsSpan(countPos), (uint)got);
        w.Truncate(countPos + 4 + got);
        return 0;
    }

    private int Write(ref NineReader r, NineWriter w)
    {
        var fidNo = r.U32();
        var offset = r.U64();
        var count = r.U32();
        var data = r.Bytes(checked((int)Math.Min(count, int.MaxValue)));
        if (!TryFid(fidNo, out var fid) || !fid.Opened || !fid.Writable)
        {
            return Errno.EBADF;
        }

        if (fid.Export is { ReadOnly: true })
        {
            return Errno.EROFS;
        }

        if (offset > long.MaxValue)
        {
            return Errno.EINVAL;
        }

        if (_limits.MaxWriteBytes is { } max && _written + data.Length > max)
        {
            return Errno.ENOSPC;
        }

        var n = HostFs.PWrite(fid.OpenFd, data, (long)offset, fid.Append);
        if (n < 0)
        {
            return -n;
        }

        _written += n;
        w.U32((uint)n);
        return 0;
    }

    private int Readdir(ref NineReader r, NineWriter w)
    {
        var fidNo = r.U32();
        var offset = r.U64();
        var count = r.U32();
        if (!TryFid(fidNo, out var fid) || !fid.Opened)
        {
            return Errno.EBADF;
        }

        var limit = (int)Math.Min(count, (uint)(MessageSize - ReadReplyOverhead));
        var countPos = w.Length;
        w.U32(0);
        var start = w.Length;
        if (fid.IsTop)
        {
            for (var i = (int)Math.Min(offset, (ulong)_exports.Length + 2); i < _exports.Length + 2; i++)
            {
                var name = i == 0 ? "."u8 : i == 1 ? ".."u8 : _exports[i - 2].Name;
                if (w.Length - start + 24 + name.Length > limit)
                {
                    break;
                }

                w.Qid(i < 2 ? new Qid(Qid.Dir, 0, TopQidPath) : TopEntryQid(_exports[i - 2]));
                w.U64((ulong)i + 1);
                w.U8(4); // DT_DIR
                w.Str(name);
            }
        }
        else
        {
            if (fid.OpenFd < 0 || offset > long.MaxValue)
            {
                return Errno.EBADF;
            }

            var buf = new byte[Math.Min(limit * 2, 64 * 1024)];
            var got = HostFs.GetDents(fid.OpenFd, (long)offset, buf);
            if (got < 0)
            {
                return -got;
            }

            for (var p = 0; p + 19 <= got;)
            {
                var ino = BinaryPrimitives.ReadUInt64LittleEndian(buf.AsSpan(p));
                var off = BinaryPrimitives.ReadInt64LittleEndian(buf.AsSpan(p + 8));
                var reclen = BinaryPrimitives.ReadUInt16LittleEndian(buf.AsSpan(p + 16));
                var dtype = buf[p + 18];
                if (reclen < 20 || p + reclen > got)
                {
                    break;
                }

                var nameSpan = buf.AsSpan(p + 19, reclen - 19);
                var nul = nameSpan.IndexOf((byte)0);
                var name = nul < 0 ? nameSpan : nameSpan[..nul];
                if (w.Length - start + 24 + name.Length > limit)
                {
                    break;
                }

                var qtype = dtype == 4 ? Qid.Dir : dtype == 10 ? Qid.Symlink : Qid.File;
                w.Qid(new Qid(qtype, 0, ino & ~TopQidPath));
                w.U64((ulong)off);
                w.U8(dtype);
                w.Str(name);
                p += reclen;
            }
        }

        BinaryPrimitives.WriteUInt32LittleEndian(w.Buffer.AsSpan(countPos), (uint)(w.Length - start));
        return 0;
    }

    private static Qid TopEntryQid(NineExport e) =>
        HostFs.Stat(e.RootFd, out var st) == 0 ? QidOf(st) : new Qid(Qid.Dir, 0, 0);

    private int Mkdir(ref NineReader r, NineWriter w)
    {
        var fidNo = r.U32();
        var name = r.Str();
        var mode = r.U32();
        var gid = r.U32();
        if (!TryDirForChange(fidNo, name, out var dir, out var err))
        {
            return err;
        }

        var e = HostFs.Mkdir(dir.PathFd, name, mode & PermissionBits);
        return e < 0 ? -e : AnswerNew(dir, name, gid, w);
    }

    private int Symlink(ref NineReader r, NineWriter w)
    {
        var fidNo = r.U32();
        var name = r.Str();
        var target = r.Str();
        var gid = r.U32();
        if (!TryDirForChange(fidNo, name, out var dir, out var err))
        {
            return err;
        }

        // The target is stored verbatim and only ever read back: the guest resolves it in its own tree.
        if (target.Length == 0 || target.Length > MaxSymlinkBytes || target.IndexOf((byte)0) >= 0)
        {
            return Errno.EINVAL;
        }

        var e = HostFs.Symlink(target, dir.PathFd, name);
        return e < 0 ? -e : AnswerNew(dir, name, gid, w);
    }

    /// <summary>Answers a create with the new entry's qid, recording the guest's owner on it.</summary>
    private static int AnswerNew(NineFid dir, ReadOnlySpan<byte> name, uint gid, NineWriter w)
    {
        var fd = HostFs.OpenPath(dir.PathFd, name);
        if (fd < 0)
        {
            return -fd;
        }

        try
        {
            var e = HostFs.Stat(fd, out var st);
            if (e < 0)
            {
                return -e;
            }

            if (!st.IsSymlink)
            {
                HostFs.SetOwner(fd, dir.Uid, gid);
            }

            w.Qid(QidOf(st));
            return 0;
        }
        finally
        {
            HostFs.Close(fd);
        }
    }

    private int Readlink(ref NineReader r, NineWriter w)
    {
        if (!TryFid(r.U32(), out var fid))
        {
            return Errno.EBADF;
        }

        if (fid.IsTop)
        {
            return Errno.EINVAL;
        }

        var buf = new byte[MaxSymlinkBytes + 1];
        var n = HostFs.Readlink(fid.PathFd, buf);
        if (n < 0)
        {
            return -n;
        }

        w.Str(buf.AsSpan(0, n));
        return 0;
    }

    private int Link(ref NineReader r)
    {
        var dfidNo = r.U32();
        var fidNo = r.U32();
        var name = r.Str();
        if (!TryDirForChange(dfidNo, name, out var dir, out var err))
        {
            return err;
        }

        if (!TryFid(fidNo, out var target) || target.IsTop)
        {
            return Errno.EBADF;
        }

        // A link between exports would let a read-only export's file be written through a writable one.
        if (target.Export != dir.Export)
        {
            return Errno.EXDEV;
        }

        // Only regular files: a link made through /proc of a symlink's fd could land on its target.
        if (HostFs.Stat(target.PathFd, out var st) < 0 || !st.IsRegular)
        {
            return Errno.EPERM;
        }

        var e = HostFs.Link(target.PathFd, dir.PathFd, name);
        return e < 0 ? -e : 0;
    }

    private int Renameat(ref NineReader r)
    {
        var oldNo = r.U32();
        var oldName = r.Str();
        var newNo = r.U32();
        var newName = r.Str();
        if (!TryDirForChange(oldNo, oldName, out var oldDir, out var err) || !TryDirForChange(newNo, newName, out var newDir, out err))
        {
            return err;
        }

        if (oldDir.Export != newDir.Export)
        {
            return Errno.EXDEV;
        }

        var e = HostFs.Rename(oldDir.PathFd, oldName, newDir.PathFd, newName);
        return e < 0 ? -e : 0;
    }

    private int Unlinkat(ref NineReader r)
    {
        var dirNo = r.U32();
        var name = r.Str();
        var flags = r.U32();
        if (!TryDirForChange(dirNo, name, out var dir, out var err))
        {
            return err;
        }

        var e = HostFs.Unlink(dir.PathFd, name, (flags & HostNative.AtRemoveDir) != 0);
        return e < 0 ? -e : 0;
    }

    private int Statfs(ref NineReader r, NineWriter w)
    {
        if (!TryFid(r.U32(), out var fid))
        {
            return Errno.EBADF;
        }

        Span<ulong> s = stackalloc ulong[9];
        s.Clear();
        s[1] = 4096;
        s[8] = MaxNameBytes;
        if (!fid.IsTop)
        {
            var e = HostFs.StatFs(fid.PathFd, s);
            if (e < 0)
            {
                return -e;
            }
        }

        w.U32(0x01021997); // V9FS_MAGIC
        w.U32((uint)s[1]);
        w.U64(s[2]);
        w.U64(s[3]);
        w.U64(s[4]);
        w.U64(s[5]);
        w.U64(s[6]);
        w.U64(s[7]);
        w.U32((uint)s[8]);
        return 0;
    }

    private int Fsync(ref NineReader r)
    {
        var fidNo = r.U32();
        var dataOnly = r.U32() != 0;
        if (!TryFid(fidNo, out var fid) || !fid.Opened)
        {
            return Errno.EBADF;
        }

        if (fid.OpenFd < 0)
        {
            return 0;
        }

        var e = HostFs.Fsync(fid.OpenFd, dataOnly);
        return e < 0 ? -e : 0;
    }

    private int Lock(ref NineReader r, NineWriter w)
    {
        // Locks are granted at once and never held on the host: the guest's own kernel is the only
        // party that locks these files, and a lock request must never block the server.
        if (!TryFid(r.U32(), out _))
        {
            return Errno.EBADF;
        }

        r.U8();
        r.U32();
        r.U64();
        r.U64();
        r.U32();
        r.Str();
        w.U8(0); // P9_LOCK_SUCCESS
        return 0;
    }

    private int Getlock(ref NineReader r, NineWriter w)
    {
        if (!TryFid(r.U32(), out _))
        {
            return Errno.EBADF;
        }

        r.U8();
        var start = r.U64();
        var length = r.U64();
        var proc = r.U32();
        var client = r.Str();
        w.U8(2); // F_UNLCK: nobody holds a conflicting lock
        w.U64(start);
        w.U64(length);
        w.U32(proc);
        w.Str(client);
        return 0;
    }

    /// <summary>A directory fid in a writable export, and a safe name to change in it.</summary>
    private bool TryDirForChange(uint fidNo, ReadOnlySpan<byte> name, out NineFid fid, out int err)
    {
        err = 0;
        if (!TryFid(fidNo, out fid))
        {
            err = Errno.EBADF;
            return false;
        }

        if (!IsSafeName(name))
        {
            err = Errno.EINVAL;
            return false;
        }

        if (fid.IsTop || fid.Export!.ReadOnly)
        {
            err = Errno.EROFS;
            return false;
        }

        if (HostFs.Stat(fid.PathFd, out var st) < 0 || !st.IsDir)
        {
            err = Errno.ENOTDIR;
            return false;
        }

        return true;
    }
}
