using System.Text;
using Sandbox86.Mounts.Host;
using Sandbox86.Mounts.Server;
using Sandbox86.Tests.Images;
using Sandbox86.Tests.Guest;

namespace Sandbox86.Tests.Mounts;

/// <summary>
/// The 9P server against a hostile client speaking hand-built messages: every escape route out of an
/// export (.., '/', symlinks the host must not follow, a host-side swap of a directory for a symlink,
/// links and renames across exports), every bound (fids, msize, write volume) and read-only exports.
/// Export "0" is writable, "1" read-only; "outside" holds what no request may reach.
/// </summary>
public sealed class NineServerTests : IDisposable
{
    private const uint Root = 1, Rw = 2, Ro = 3;
    private readonly TempDir _dir = new();
    private readonly NineServer _server;
    private readonly NineTestClient _c;

    public NineServerTests()
    {
        Directory.CreateDirectory(_dir.Combine("rw"));
        Directory.CreateDirectory(_dir.Combine("ro"));
        Directory.CreateDirectory(_dir.Combine("outside"));
        File.WriteAllText(_dir.Combine("outside", "secret"), "host secret");
        File.WriteAllText(_dir.Combine("ro", "readme"), "read only");
        _server = Serve(new NineLimits { MaxFids = 64, MaxWriteBytes = 1 << 20 });
        _c = new NineTestClient(_server);
        _c.Version();
        Assert.Equal(0, _c.Attach(Root));
        Assert.Equal(0, _c.WalkAll(Root, Rw, "0"));
        Assert.Equal(0, _c.WalkAll(Root, Ro, "1"));
    }

    private NineServer Serve(NineLimits limits) => new(
        [new NineExport("0"u8.ToArray(), HostFs.OpenRoot(_dir.Combine("rw")), readOnly: false),
         new NineExport("1"u8.ToArray(), HostFs.OpenRoot(_dir.Combine("ro")), readOnly: true)],
        limits);

    public void Dispose()
    {
        _server.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Files_are_created_written_read_renamed_linked_and_removed_on_the_host()
    {
        Assert.Equal(0, _c.WalkAll(Rw, 10));
        Assert.Equal(0, _c.Lcreate(10, "a.txt", NineTestClient.ORdwr, 0x1A4));
        Assert.Equal(5, _c.Write(10, 0, "hello"u8.ToArray()));
        Assert.Equal(6, _c.Write(10, 1 << 20, " world"u8.ToArray()[..6]));
        Assert.Equal(0, _c.Read(10, 0, 5, out var head));
        Assert.Equal("hello", Encoding.ASCII.GetString(head));
        // A sparse read: the hole reads as zeros.
        Assert.Equal(0, _c.Read(10, 1000, 16, out var hole));
        Assert.Equal(new byte[16], hole);
        Assert.Equal((1 << 20) + 6, new FileInfo(_dir.Combine("rw", "a.txt")).Length);

        Assert.Equal(0, _c.Mkdir(Rw, "d"));
        Assert.True(Directory.Exists(_dir.Combine("rw", "d")));
        Assert.Equal(0, _c.WalkAll(Rw, 11, "d"));
        Assert.Equal(0, _c.Renameat(Rw, "a.txt", 11, "b.txt"));
        Assert.True(File.Exists(_dir.Combine("rw", "d", "b.txt")));
        Assert.Equal(0, _c.WalkAll(11, 12, "b.txt"));
        Assert.Equal(0, _c.Link(Rw, 12, "hard"));
        Assert.Equal(2UL, HostStatOf(_dir.Combine("rw"), "hard").Nlink);
        Assert.Equal(0, _c.Symlink(Rw, "sym", "d/b.txt"));
        Assert.Equal("d/b.txt", new FileInfo(_dir.Combine("rw", "sym")).LinkTarget);
        Assert.Equal(0, _c.WalkAll(Rw, 13, "sym"));
        Assert.Equal(0, _c.Readlink(13, out var target));
        Assert.Equal("d/b.txt", target);
        Assert.Equal(0, _c.Lopen(Rw, 0));
        Assert.Equal(["d", "hard", "sym"], _c.Readdir(Rw).Where(n => n is not "." and not "..").Order(StringComparer.Ordinal));

        Assert.Equal(0, _c.Unlinkat(11, "b.txt"));
        Assert.Equal(0, _c.Unlinkat(Rw, "d", 0x200));
        Assert.False(Directory.Exists(_dir.Combine("rw", "d")));
    }

    [Fact]
    public void Dot_dot_slash_nul_dot_and_empty_names_are_refused_everywhere()
    {
        string[] bad = ["..", ".", "", "a/b", "../outside", "x\0y"];
        foreach (var name in bad)
        {
            Assert.Equal(Errno.EINVAL, _c.Walk(Rw, 20, out _, name));
            Assert.Equal(Errno.EINVAL, _c.Mkdir(Rw, name));
            Assert.Equal(Errno.EINVAL, _c.Symlink(Rw, name, "/"));
            Assert.Equal(Errno.EINVAL, _c.Unlinkat(Rw, name));
            Assert.Equal(Errno.EINVAL, _c.Renameat(Rw, name, Rw, "ok"));
        }

        // The top of the tree never goes up either, and its entries are only the exports.
        Assert.Equal(Errno.EINVAL, _c.Walk(Root, 20, out _, ".."));
        Assert.Equal(Errno.ENOENT, _c.Walk(Root, 20, out _, "outside"));
        Assert.Equal(Errno.EROFS, _c.Mkdir(Root, "new"));
        Assert.Equal(0, _c.Lopen(Root, 0));
        Assert.Equal([".", "..", "0", "1"], _c.Readdir(Root));
        // A walk that fails midway answers with what it reached and creates no fid.
        Assert.Equal(0, _c.Walk(Root, 21, out var walked, "0", ".."));
        Assert.Equal(1, walked);
        Assert.Equal(Errno.EBADF, _c.Clunk(21));
        Assert.Equal(new[] { "rw", "ro", "outside" }.Order(StringComparer.Ordinal), Directory.GetDirectories(_dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_symlink_inside_the_export_is_never_followed_by_the_host()
    {
        // A host-made link pointing outside, and a guest-made one to /.
        File.CreateSymbolicLink(_dir.Combine("rw", "escape"), _dir.Combine("outside"));
        Assert.Equal(0, _c.Symlink(Rw, "toroot", "/"));
        Assert.Equal("/", new FileInfo(_dir.Combine("rw", "toroot")).LinkTarget);

        AssertWalkStops(Rw, 30, "escape", "secret");
        AssertWalkStops(Rw, 30, "toroot", "etc");
        Assert.Equal(0, _c.WalkAll(Rw, 31, "escape"));
        Assert.Equal(Errno.ELOOP, _c.Lopen(31, 0));
        Assert.Equal(Errno.ELOOP, _c.Lopen(31, NineTestClient.OWronly));
        Assert.Equal(Errno.ENOTDIR, _c.Lcreate(31, "planted", NineTestClient.ORdwr, 0x1A4));
        Assert.Equal(Errno.ENOTDIR, _c.Mkdir(31, "planted"));
        Assert.Equal(0, _c.Setattr(31, 0x1, mode: 0x1FF));
        Assert.Equal(0, _c.Readlink(31, out var t));
        Assert.Equal(_dir.Combine("outside"), t);
        Assert.Equal(["secret"], Directory.GetFileSystemEntries(_dir.Combine("outside")).Select(Path.GetFileName));
        Assert.Equal("host secret", File.ReadAllText(_dir.Combine("outside", "secret")));
        // The chmod above landed on nothing outside.
        Assert.NotEqual(0x1FF, (int)(HostStatOf(_dir.Path, "outside").Mode & 0x1FF));
    }

    [Fact]
    public void A_directory_swapped_for_a_symlink_during_a_walk_does_not_lead_outside()
    {
        Directory.CreateDirectory(_dir.Combine("rw", "work"));
        Assert.Equal(0, _c.WalkAll(Rw, 40, "work"));
        // The host swaps the directory for a symlink to outside after the guest walked to it.
        Directory.Move(_dir.Combine("rw", "work"), _dir.Combine("rw", "work.old"));
        File.CreateSymbolicLink(_dir.Combine("rw", "work"), _dir.Combine("outside"));

        // The fid still names the inode it walked to: a create through it lands in work.old.
        Assert.Equal(0, _c.WalkAll(40, 41));
        Assert.Equal(0, _c.Lcreate(41, "made", NineTestClient.ORdwr, 0x1A4));
        Assert.True(File.Exists(_dir.Combine("rw", "work.old", "made")));
        Assert.False(File.Exists(_dir.Combine("outside", "made")));
        // A fresh walk through the name meets the symlink and stops.
        AssertWalkStops(Rw, 42, "work", "secret");
        Assert.Equal(Errno.ENOENT, _c.Unlinkat(40, "secret"));
        Assert.True(File.Exists(_dir.Combine("outside", "secret")));
    }

    [Fact]
    public void Links_and_renames_across_exports_are_refused()
    {
        Assert.Equal(0, _c.WalkAll(Ro, 50, "readme"));
        Assert.Equal(Errno.EXDEV, _c.Link(Rw, 50, "stolen"));
        Assert.Equal(Errno.EROFS, _c.Renameat(Ro, "readme", Rw, "moved"));
        Assert.Equal(0, _c.Mkdir(Rw, "d"));
        Assert.Equal(Errno.EROFS, _c.Renameat(Rw, "d", Ro, "d"));
        Assert.False(File.Exists(_dir.Combine("rw", "stolen")));
        Assert.True(File.Exists(_dir.Combine("ro", "readme")));
        // A hard link to a host file outside needs a fid of it, and no walk reaches one.
        File.CreateSymbolicLink(_dir.Combine("rw", "out"), _dir.Combine("outside", "secret"));
        Assert.Equal(0, _c.WalkAll(Rw, 51, "out"));
        Assert.Equal(Errno.EPERM, _c.Link(Rw, 51, "hard"));
        Assert.False(File.Exists(_dir.Combine("rw", "hard")));
        Assert.Equal(1UL, HostStatOf(_dir.Combine("outside"), "secret").Nlink);
    }

    [Fact]
    public void A_read_only_export_refuses_every_change_with_erofs()
    {
        Assert.Equal(0, _c.WalkAll(Ro, 60, "readme"));
        Assert.Equal(Errno.EROFS, _c.Lopen(60, NineTestClient.OWronly));
        Assert.Equal(Errno.EROFS, _c.Lopen(60, 0x200)); // O_TRUNC
        Assert.Equal(Errno.EROFS, _c.Setattr(60, 0x1, mode: 0x1FF));
        Assert.Equal(Errno.EROFS, _c.Setattr(60, 0x8, size: 0));
        Assert.Equal(0, _c.WalkAll(Ro, 61));
        Assert.Equal(Errno.EROFS, _c.Lcreate(61, "new", NineTestClient.ORdwr, 0x1A4));
        Assert.Equal(Errno.EROFS, _c.Mkdir(Ro, "new"));
        Assert.Equal(Errno.EROFS, _c.Symlink(Ro, "new", "x"));
        Assert.Equal(Errno.EROFS, _c.Unlinkat(Ro, "readme"));
        Assert.Equal(Errno.EROFS, _c.Renameat(Ro, "readme", Ro, "other"));
        Assert.Equal(0, _c.Lopen(60, 0));
        Assert.Equal(0, _c.Read(60, 0, 100, out var data));
        Assert.Equal("read only", Encoding.ASCII.GetString(data));
        Assert.Equal(["readme"], Directory.GetFileSystemEntries(_dir.Combine("ro")).Select(Path.GetFileName));
        Assert.Equal("read only", File.ReadAllText(_dir.Combine("ro", "readme")));
    }

    [Fact]
    public void Setuid_bits_devices_never_reach_the_host_and_ownership_is_metadata()
    {
        Assert.Equal(0, _c.WalkAll(Rw, 70));
        Assert.Equal(0, _c.Lcreate(70, "suid", NineTestClient.ORdwr, 0xDED)); // 06755
        Assert.Equal(0x1ED, (int)(HostStatOf(_dir.Combine("rw"), "suid").Mode & 0xFFF));
        Assert.Equal(0, _c.Setattr(70, 0x1, mode: 0xDED));
        Assert.Equal(0x1ED, (int)(HostStatOf(_dir.Combine("rw"), "suid").Mode & 0xFFF));
        Assert.Equal(Errno.EPERM, _c.Mknod(Rw, "dev", 0x2000 | 0x1B6)); // a character device
        Assert.Equal(Errno.EPERM, _c.Mknod(Rw, "fifo", 0x1000 | 0x1B6));
        Assert.False(File.Exists(_dir.Combine("rw", "dev")));

        var hostOwner = HostStatOf(_dir.Combine("rw"), "suid").Uid;
        Assert.Equal(0, _c.Setattr(70, 0x2 | 0x4, uid: 1234, gid: 5678));
        Assert.Equal(0, _c.Getattr(70, out _, out var uid, out var gid, out _));
        Assert.Equal((1234u, 5678u), (uid, gid));
        Assert.Equal(hostOwner, HostStatOf(_dir.Combine("rw"), "suid").Uid);
    }

    [Fact]
    public void Fids_and_write_volume_are_bounded_and_clunk_frees_a_fid()
    {
        uint next = 100;
        int e;
        while ((e = _c.WalkAll(Rw, next)) == 0)
        {
            next++;
            Assert.True(next < 1000, "the fid table never filled");
        }

        Assert.Equal(Errno.EMFILE, e);
        Assert.Equal(64, _server.FidCount);
        Assert.Equal(0, _c.Clunk(100));
        Assert.Equal(0, _c.WalkAll(Rw, 100));

        for (var f = 101u; f < next; f++)
        {
            _c.Clunk(f);
        }

        Assert.Equal(0, _c.WalkAll(Rw, 200));
        Assert.Equal(0, _c.Lcreate(200, "big", NineTestClient.ORdwr, 0x1A4));
        var chunk = new byte[60000];
        var total = 0L;
        while ((e = _c.Write(200, (ulong)total, chunk)) > 0)
        {
            total += e;
        }

        Assert.Equal(-Errno.ENOSPC, e);
        Assert.True(total <= 1 << 20 && total > (1 << 20) - chunk.Length, $"wrote {total}");
    }

    [Fact]
    public void Disposing_a_server_closes_every_host_fd_it_opened()
    {
        var before = Directory.GetFiles("/proc/self/fd").Length;
        for (var i = 0; i < 50; i++)
        {
            using var s = Serve(new NineLimits());
            var c = new NineTestClient(s);
            c.Version();
            Assert.Equal(0, c.Attach(1));
            Assert.Equal(0, c.WalkAll(1, 2, "0"));
            Assert.Equal(0, c.Lopen(2, 0));
        }

        Assert.InRange(Directory.GetFiles("/proc/self/fd").Length, before - 5, before + 5);
    }

    [Fact]
    public void Garbage_truncated_and_oversized_requests_get_errors_not_crashes()
    {
        var random = new Random(11);
        for (var i = 0; i < 2000; i++)
        {
            var msg = new byte[random.Next(7, 200)];
            random.NextBytes(msg);
            BitConverter.TryWriteBytes(msg.AsSpan(0, 4), msg.Length);
            msg[4] = (byte)random.Next(6, 130);
            if (msg[4] == 100)
            {
                continue; // Tversion would start a new session (and clunk the fids this test uses)
            }

            var reply = _c.Raw(msg);
            Assert.True(reply.Length >= 7 && reply.Length <= _server.MessageSize);
        }

        // A read or readdir asking for more than msize is cut to fit it.
        Assert.Equal(0, _c.WalkAll(Rw, 80));
        Assert.Equal(0, _c.Lcreate(80, "f", NineTestClient.ORdwr, 0x1A4));
        Assert.Equal(60000, _c.Write(80, 0, new byte[60000]));
        Assert.Equal(60000, _c.Write(80, 60000, new byte[60000]));
        Assert.Equal(0, _c.Read(80, 0, uint.MaxValue, out var data));
        Assert.Equal(_server.MessageSize - 11, data.Length);
        // A truncated body is a protocol error for that request only.
        var trunc = NineTestClient.Build(Sandbox86.Mounts.Wire.NineType.Twalk, 9, w => { w.U32(Rw); w.U32(81); w.U16(3); });
        Assert.Equal(Errno.EPROTO, NineTestClient.Error(_c.Raw(trunc)));
        Assert.Equal(0, _c.WalkAll(Rw, 81));
    }

    [Fact]
    public async Task A_session_ends_on_a_message_larger_than_msize_and_answers_until_then()
    {
        using var server = Serve(new NineLimits { MaxMessageSize = 8192 });
        var version = NineTestClient.Build(Sandbox86.Mounts.Wire.NineType.Tversion, 0xFFFF, w => { w.U32(8192); NineTestClient.S(w, "9P2000.L"); });
        var huge = new byte[16];
        BitConverter.TryWriteBytes(huge.AsSpan(0, 4), 1 << 30);
        var input = new MemoryStream([.. version, .. huge, .. version]);
        var output = new MemoryStream();
        await using var duplex = new DuplexStream(input, output);
        await NineSession.RunAsync(duplex, server, 8192, null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        var replies = output.ToArray();
        Assert.Equal(21, replies.Length); // exactly one Rversion: header 7, msize 4, "9P2000.L" 10
        Assert.Equal(101, replies[4]);
    }

    /// <summary>A walk through a symlink stops at it: one qid back (the link's), no fid made.</summary>
    private void AssertWalkStops(uint fid, uint newFid, params string[] names)
    {
        Assert.Equal(0, _c.Walk(fid, newFid, out var walked, names));
        Assert.Equal(1, walked);
        Assert.Equal(Errno.EBADF, _c.Clunk(newFid));
    }

    private static HostStat HostStatOf(string dir, string name)
    {
        var d = HostFs.OpenRoot(dir);
        var f = HostFs.OpenPath(d, Encoding.UTF8.GetBytes(name));
        try
        {
            Assert.True(f >= 0, $"{name}: errno {-f}");
            Assert.Equal(0, HostFs.Stat(f, out var st));
            return st;
        }
        finally
        {
            HostFs.Close(f);
            HostFs.Close(d);
        }
    }
}
