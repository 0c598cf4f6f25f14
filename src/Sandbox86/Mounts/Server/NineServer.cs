using System.Text;
using Sandbox86.Mounts.Host;
using Sandbox86.Mounts.Wire;

namespace Sandbox86.Mounts.Server;

/// <summary>
/// A 9P2000.L server for one guest connection: a tree whose top entries are the exports (host
/// directories), each reached only through fds (see <see cref="HostFs"/>). <see cref="Handle"/> takes one
/// whole request and writes its reply; it never throws for anything a guest sends (a malformed body is
/// answered with EPROTO, a name with '/', NUL, "." or ".." with EINVAL) and never holds more than
/// <see cref="NineLimits.MaxFids"/> fids. It owns its exports: disposing it closes their root fds.
/// </summary>
internal sealed partial class NineServer : IDisposable
{
    private const uint GetattrBasic = 0x7FF;
    private const ulong TopQidPath = 1UL << 63;
    private const int MaxWalkNames = 16;
    private const int MaxNameBytes = 255;
    private const int MaxSymlinkBytes = 4095;

    private readonly NineExport[] _exports;
    private readonly NineLimits _limits;
    private readonly Dictionary<uint, NineFid> _fids = [];
    private long _written;
    private bool _disposed;

    public NineServer(IReadOnlyList<NineExport> exports, NineLimits limits)
    {
        _exports = [.. exports];
        _limits = limits;
        MessageSize = limits.MaxMessageSize;
    }

    /// <summary>The negotiated msize (the limit until the guest's Tversion).</summary>
    public int MessageSize { get; private set; }

    public bool Negotiated { get; private set; }

    public int FidCount => _fids.Count;

    /// <summary>Requests answered with an error because they were malformed.</summary>
    public long Malformed { get; private set; }

    /// <summary>Answers one request (<paramref name="request"/> is the whole message, header included); returns the reply's length in <paramref name="reply"/>'s buffer.</summary>
    public int Handle(ReadOnlySpan<byte> request, NineWriter reply)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (request.Length < NineFrame.HeaderSize)
        {
            throw new NineFormatException("9P message shorter than its header");
        }

        var type = request[4];
        var tag = (ushort)(request[5] | (request[6] << 8));
        var body = new NineReader(request[NineFrame.HeaderSize..]);
        int err;
        try
        {
            reply.Begin((byte)(type + 1), tag);
            err = Dispatch((NineType)type, ref body, reply);
        }
        catch (NineFormatException)
        {
            Malformed++;
            err = Errno.EPROTO;
        }

        if (err != 0)
        {
            reply.Begin((byte)NineType.Rlerror, tag);
            reply.U32((uint)err);
        }

        return reply.Finish();
    }

    private int Dispatch(NineType type, ref NineReader r, NineWriter w)
    {
        if (type == NineType.Tversion)
        {
            return Version(ref r, w);
        }

        if (!Negotiated)
        {
            return Errno.EPROTO;
        }

        return type switch
        {
            NineType.Tattach => Attach(ref r, w),
            NineType.Twalk => Walk(ref r, w),
            NineType.Tgetattr => Getattr(ref r, w),
            NineType.Tsetattr => Setattr(ref r),
            NineType.Tlopen => Lopen(ref r, w),
            NineType.Tlcreate => Lcreate(ref r, w),
            NineType.Tread => Read(ref r, w),
            NineType.Twrite => Write(ref r, w),
            NineType.Treaddir => Readdir(ref r, w),
            NineType.Tclunk => Clunk(ref r),
            NineType.Tremove => Remove(ref r),
            NineType.Tmkdir => Mkdir(ref r, w),
            NineType.Tsymlink => Symlink(ref r, w),
            NineType.Treadlink => Readlink(ref r, w),
            NineType.Tlink => Link(ref r),
            NineType.Trenameat => Renameat(ref r),
            NineType.Tunlinkat => Unlinkat(ref r),
            NineType.Tstatfs => Statfs(ref r, w),
            NineType.Tfsync => Fsync(ref r),
            NineType.Tflush => Flush(ref r),
            NineType.Tlock => Lock(ref r, w),
            NineType.Tgetlock => Getlock(ref r, w),
            // Devices, FIFOs and sockets never reach the host; old-style rename and xattrs are not
            // offered (Linux falls back to renameat and treats xattrs as unsupported).
            NineType.Tmknod => Errno.EPERM,
            NineType.Trename or NineType.Txattrwalk or NineType.Txattrcreate or NineType.Tauth => Errno.EOPNOTSUPP,
            _ => Errno.ENOSYS,
        };
    }

    private int Version(ref NineReader r, NineWriter w)
    {
        var msize = r.U32();
        var version = r.Str();
        ClunkAll();
        if (msize < NineLimits.MinMessageSize)
        {
            return Errno.EINVAL;
        }

        MessageSize = (int)Math.Min(msize, (uint)_limits.MaxMessageSize);
        var ok = version.SequenceEqual("9P2000.L"u8);
        Negotiated = ok;
        w.U32((uint)MessageSize);
        w.Str(ok ? "9P2000.L"u8 : "unknown"u8);
        return 0;
    }

    private int Attach(ref NineReader r, NineWriter w)
    {
        var fid = r.U32();
        r.U32(); // afid: no authentication
        r.Str(); // uname
        r.Str(); // aname: one tree per session, its top lists the exports
        var uid = r.U32();
        if (_fids.ContainsKey(fid))
        {
            return Errno.EBADF;
        }

        if (_fids.Count >= _limits.MaxFids)
        {
            return Errno.EMFILE;
        }

        _fids[fid] = new NineFid { Uid = uid == uint.MaxValue ? 0 : uid };
        w.Qid(new Qid(Qid.Dir, 0, TopQidPath));
        return 0;
    }

    private int Walk(ref NineReader r, NineWriter w)
    {
        var fidNo = r.U32();
        var newFidNo = r.U32();
        var n = r.U16();
        if (n > MaxWalkNames)
        {
            return Errno.EINVAL;
        }

        if (!_fids.TryGetValue(fidNo, out var fid))
        {
            return Errno.EBADF;
        }

        if (newFidNo != fidNo && _fids.ContainsKey(newFidNo))
        {
            return Errno.EBADF;
        }

        if (newFidNo != fidNo && _fids.Count >= _limits.MaxFids)
        {
            return Errno.EMFILE;
        }

        var names = new byte[n][];
        for (var i = 0; i < n; i++)
        {
            names[i] = r.Str().ToArray();
        }

        var export = fid.Export;
        var cur = fid.IsTop ? -1 : HostFs.Dup(fid.PathFd);
        if (!fid.IsTop && cur < 0)
        {
            return -cur;
        }

        var countPos = w.Length;
        w.U16(0);
        var walked = 0;
        var err = 0;
        for (; walked < n; walked++)
        {
            var name = names[walked];
            if (!IsSafeName(name))
            {
                err = Errno.EINVAL;
                break;
            }

            int next;
            if (cur < 0)
            {
                export = Array.Find(_exports, e => e.Name.AsSpan().SequenceEqual(name));
                if (export is null)
                {
                    err = Errno.ENOENT;
                    break;
                }

                next = HostFs.Dup(export.RootFd);
            }
            else
            {
                next = HostFs.OpenPath(cur, name);
            }

            if (next < 0)
            {
                err = -next;
                break;
            }

            var se = HostFs.Stat(next, out var st);
            if (se < 0)
            {
                HostFs.Close(next);
                err = -se;
                break;
            }

            HostFs.Close(cur);
            cur = next;
            w.Qid(QidOf(st));
        }

        if (walked < n)
        {
            HostFs.Close(cur);
            if (walked == 0)
            {
                return err;
            }

            // A partial walk answers with the qids it got and creates no fid.
            PatchU16(w, countPos, walked);
            return 0;
        }

        PatchU16(w, countPos, walked);
        var created = new NineFid { Export = export, PathFd = cur, Uid = fid.Uid };
        if (newFidNo == fidNo)
        {
            fid.Close();
        }

        _fids[newFidNo] = created;
        return 0;
    }

    private int Getattr(ref NineReader r, NineWriter w)
    {
        if (!TryFid(r.U32(), out var fid))
        {
            return Errno.EBADF;
        }

        r.U64(); // request mask: the basic set is always answered
        if (fid.IsTop)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            WriteAttr(w, new Qid(Qid.Dir, 0, TopQidPath), new HostStat(
                Mode: HostNative.SIfdir | 0x16D /* 0555 */, Uid: 0, Gid: 0, Nlink: (ulong)(2 + _exports.Length), Ino: TopQidPath,
                Size: 0, Blocks: 0, BlkSize: 4096, AtimeSec: now, AtimeNsec: 0, MtimeSec: now, MtimeNsec: 0,
                CtimeSec: now, CtimeNsec: 0, BtimeSec: now, BtimeNsec: 0, RdevMajor: 0, RdevMinor: 0, DevMajor: 0, DevMinor: 0));
            return 0;
        }

        var e = HostFs.Stat(fid.PathFd, out var st);
        if (e < 0)
        {
            return -e;
        }

        if (!st.IsSymlink && HostFs.TryGetOwner(fid.PathFd, out var uid, out var gid))
        {
            st = st with { Uid = uid, Gid = gid };
        }

        WriteAttr(w, QidOf(st), st);
        return 0;
    }

    private static void WriteAttr(NineWriter w, Qid qid, HostStat st)
    {
        w.U64(GetattrBasic);
        w.Qid(qid);
        w.U32(st.Mode);
        w.U32(st.Uid);
        w.U32(st.Gid);
        w.U64(st.Nlink);
        w.U64(0); // rdev: no device nodes are ever created
        w.U64(st.Size);
        w.U64(st.BlkSize);
        w.U64(st.Blocks);
        w.U64((ulong)st.AtimeSec);
        w.U64(st.AtimeNsec);
        w.U64((ulong)st.MtimeSec);
        w.U64(st.MtimeNsec);
        w.U64((ulong)st.CtimeSec);
        w.U64(st.CtimeNsec);
        w.U64((ulong)st.BtimeSec);
        w.U64(st.BtimeNsec);
        w.U64(0); // gen
        w.U64(0); // data_version
    }

    private int Clunk(ref NineReader r)
    {
        var fidNo = r.U32();
        if (!_fids.Remove(fidNo, out var fid))
        {
            return Errno.EBADF;
        }

        fid.Close();
        return 0;
    }

    private int Remove(ref NineReader r)
    {
        // Linux uses unlinkat; Tremove still clunks the fid, as the protocol says it must.
        Clunk(ref r);
        return Errno.EOPNOTSUPP;
    }

    private static int Flush(ref NineReader r)
    {
        r.U16(); // oldtag: requests are answered in order, so nothing older is still pending
        return 0;
    }

    private bool TryFid(uint no, out NineFid fid) => _fids.TryGetValue(no, out fid!);

    /// <summary>The protocol-level name rule: one non-empty component, no '/', no NUL, not "." or "..".</summary>
    internal static bool IsSafeName(ReadOnlySpan<byte> name) =>
        name.Length is > 0 and <= MaxNameBytes
        && name.IndexOfAny((byte)'/', (byte)0) < 0
        && !name.SequenceEqual("."u8)
        && !name.SequenceEqual(".."u8);

    private static Qid QidOf(in HostStat st)
    {
        var type = st.IsDir ? Qid.Dir : st.IsSymlink ? Qid.Symlink : Qid.File;
        // Exports may sit on different host filesystems: fold the device into the path so two inodes
        // never share a qid (the guest's inode cache keys on it).
        var path = (st.Ino & ~(0xFFFFUL << 47)) ^ ((ulong)((st.DevMajor << 8) ^ st.DevMinor) << 47);
        return new Qid(type, (uint)st.MtimeNsec ^ (uint)st.MtimeSec, path & ~TopQidPath);
    }

    private static void PatchU16(NineWriter w, int pos, int value)
    {
        w.Buffer[pos] = (byte)value;
        w.Buffer[pos + 1] = (byte)(value >> 8);
    }

    private void ClunkAll()
    {
        foreach (var f in _fids.Values)
        {
            f.Close();
        }

        _fids.Clear();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        ClunkAll();
        foreach (var e in _exports)
        {
            e.Dispose();
        }
    }

    internal static string Show(ReadOnlySpan<byte> name) => Encoding.UTF8.GetString(name);
}
