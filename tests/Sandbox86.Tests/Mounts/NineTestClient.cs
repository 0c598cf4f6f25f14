using System.Buffers.Binary;
using System.Text;
using Sandbox86.Mounts.Server;
using Sandbox86.Mounts.Wire;

namespace Sandbox86.Tests.Mounts;

/// <summary>A hand-rolled 9P2000.L client that feeds a <see cref="NineServer"/> messages it builds byte by byte (as a hostile guest would).</summary>
internal sealed class NineTestClient(NineServer server)
{
    public const uint OCreatFlags = 0x40;
    public const uint ORdwr = 2;
    public const uint OWronly = 1;

    private ushort _tag;
    private NineWriter? _reply;

    [ThreadStatic]
    private static NineWriter? s_request;

    public NineServer Server => server;

    /// <summary>Sends raw bytes as one request; returns the reply.</summary>
    public byte[] Raw(ReadOnlySpan<byte> request)
    {
        if (_reply is null || _reply.Buffer.Length != server.MessageSize)
        {
            _reply = new NineWriter(new byte[server.MessageSize]);
        }

        var reply = _reply;
        var n = server.Handle(request, reply);
        return reply.Buffer.AsSpan(0, n).ToArray();
    }

    public static byte[] Build(NineType type, ushort tag, Action<NineWriter> body)
    {
        var w = s_request ??= new NineWriter(new byte[1 << 20]);
        w.Begin((byte)type, tag);
        body(w);
        var n = w.Finish();
        return w.Buffer.AsSpan(0, n).ToArray();
    }

    public byte[] Call(NineType type, Action<NineWriter> body)
    {
        var tag = _tag++;
        var reply = Raw(Build(type, tag, body));
        Assert.Equal(tag, BinaryPrimitives.ReadUInt16LittleEndian(reply.AsSpan(5)));
        Assert.Equal(reply.Length, (int)BinaryPrimitives.ReadUInt32LittleEndian(reply));
        if (reply[4] != (byte)NineType.Rlerror)
        {
            Assert.Equal((byte)type + 1, reply[4]);
        }

        return reply;
    }

    /// <summary>The errno of an Rlerror reply, 0 for any other reply.</summary>
    public static int Error(byte[] reply) => reply[4] == (byte)NineType.Rlerror ? (int)BinaryPrimitives.ReadUInt32LittleEndian(reply.AsSpan(7)) : 0;

    public static void S(NineWriter w, string s) => w.Str(Encoding.UTF8.GetBytes(s));

    public uint Version(uint msize = 65536)
    {
        var r = Call(NineType.Tversion, w => { w.U32(msize); S(w, "9P2000.L"); });
        Assert.Equal(0, Error(r));
        return BinaryPrimitives.ReadUInt32LittleEndian(r.AsSpan(7));
    }

    public int Attach(uint fid, uint uid = 0) => Error(Call(NineType.Tattach, w => { w.U32(fid); w.U32(NineFrame.NoFid); S(w, "root"); S(w, ""); w.U32(uid); }));

    /// <summary>Walks; returns the errno, or 0 with <paramref name="walked"/> qids (a partial walk creates no fid).</summary>
    public int Walk(uint fid, uint newFid, out int walked, params string[] names)
    {
        var r = Call(NineType.Twalk, w =>
        {
            w.U32(fid);
            w.U32(newFid);
            w.U16((ushort)names.Length);
            foreach (var n in names)
            {
                S(w, n);
            }
        });
        walked = Error(r) == 0 ? BinaryPrimitives.ReadUInt16LittleEndian(r.AsSpan(7)) : 0;
        return Error(r);
    }

    /// <summary>Walks and requires every name to be reached.</summary>
    public int WalkAll(uint fid, uint newFid, params string[] names)
    {
        var e = Walk(fid, newFid, out var walked, names);
        return e != 0 ? e : walked == names.Length ? 0 : Errno.ENOENT;
    }

    public int Lopen(uint fid, uint flags) => Error(Call(NineType.Tlopen, w => { w.U32(fid); w.U32(flags); }));

    public int Lcreate(uint fid, string name, uint flags, uint mode) => Error(Call(NineType.Tlcreate, w => { w.U32(fid); S(w, name); w.U32(flags); w.U32(mode); w.U32(0); }));

    public int Mkdir(uint dfid, string name, uint mode = 0x1ED) => Error(Call(NineType.Tmkdir, w => { w.U32(dfid); S(w, name); w.U32(mode); w.U32(0); }));

    public int Symlink(uint dfid, string name, string target) => Error(Call(NineType.Tsymlink, w => { w.U32(dfid); S(w, name); S(w, target); w.U32(0); }));

    public int Link(uint dfid, uint fid, string name) => Error(Call(NineType.Tlink, w => { w.U32(dfid); w.U32(fid); S(w, name); }));

    public int Renameat(uint oldDir, string oldName, uint newDir, string newName) =>
        Error(Call(NineType.Trenameat, w => { w.U32(oldDir); S(w, oldName); w.U32(newDir); S(w, newName); }));

    public int Unlinkat(uint dir, string name, uint flags = 0) => Error(Call(NineType.Tunlinkat, w => { w.U32(dir); S(w, name); w.U32(flags); }));

    public int Mknod(uint dir, string name, uint mode) => Error(Call(NineType.Tmknod, w => { w.U32(dir); S(w, name); w.U32(mode); w.U32(1); w.U32(3); w.U32(0); }));

    public int Clunk(uint fid) => Error(Call(NineType.Tclunk, w => w.U32(fid)));

    public int Write(uint fid, ulong offset, byte[] data)
    {
        var r = Call(NineType.Twrite, w => { w.U32(fid); w.U64(offset); w.U32((uint)data.Length); data.CopyTo(w.Span(data.Length)); });
        return Error(r) != 0 ? -Error(r) : (int)BinaryPrimitives.ReadUInt32LittleEndian(r.AsSpan(7));
    }

    public int Read(uint fid, ulong offset, uint count, out byte[] data)
    {
        var r = Call(NineType.Tread, w => { w.U32(fid); w.U64(offset); w.U32(count); });
        data = [];
        if (Error(r) != 0)
        {
            return Error(r);
        }

        var n = (int)BinaryPrimitives.ReadUInt32LittleEndian(r.AsSpan(7));
        data = r.AsSpan(11, n).ToArray();
        return 0;
    }

    public int Setattr(uint fid, uint valid, uint mode = 0, uint uid = 0, uint gid = 0, ulong size = 0) =>
        Error(Call(NineType.Tsetattr, w => { w.U32(fid); w.U32(valid); w.U32(mode); w.U32(uid); w.U32(gid); w.U64(size); w.U64(0); w.U64(0); w.U64(0); w.U64(0); }));

    public int Getattr(uint fid, out uint mode, out uint uid, out uint gid, out ulong size)
    {
        var r = Call(NineType.Tgetattr, w => { w.U32(fid); w.U64(0x7FF); });
        mode = uid = gid = 0;
        size = 0;
        if (Error(r) != 0)
        {
            return Error(r);
        }

        var b = r.AsSpan(7 + 8 + 13);
        mode = BinaryPrimitives.ReadUInt32LittleEndian(b);
        uid = BinaryPrimitives.ReadUInt32LittleEndian(b[4..]);
        gid = BinaryPrimitives.ReadUInt32LittleEndian(b[8..]);
        size = BinaryPrimitives.ReadUInt64LittleEndian(b[(12 + 16)..]);
        return 0;
    }

    public int Readlink(uint fid, out string target)
    {
        var r = Call(NineType.Treadlink, w => w.U32(fid));
        target = Error(r) == 0 ? Encoding.UTF8.GetString(r.AsSpan(9, BinaryPrimitives.ReadUInt16LittleEndian(r.AsSpan(7)))) : "";
        return Error(r);
    }

    /// <summary>The names a Treaddir from offset 0 returns (one call).</summary>
    public List<string> Readdir(uint fid)
    {
        var r = Call(NineType.Treaddir, w => { w.U32(fid); w.U64(0); w.U32(8192); });
        Assert.Equal(0, Error(r));
        var names = new List<string>();
        var count = (int)BinaryPrimitives.ReadUInt32LittleEndian(r.AsSpan(7));
        var p = 11;
        while (p < 11 + count)
        {
            p += 13 + 8 + 1;
            var len = BinaryPrimitives.ReadUInt16LittleEndian(r.AsSpan(p));
            names.Add(Encoding.UTF8.GetString(r.AsSpan(p + 2, len)));
            p += 2 + len;
        }

        return names;
    }
}
