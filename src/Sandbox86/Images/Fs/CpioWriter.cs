using System.IO.Compression;
using System.Text;

namespace Sandbox86.Images.Fs;

/// <summary>
/// Writes an initramfs: a cpio archive in the "newc" format (magic 070701, hex header fields,
/// 4-byte alignment, "TRAILER!!!" last) the kernel unpacks, gzip-compressed by default.
/// Entries are owned by root with a fixed mtime so the output is reproducible.
/// Paths are written without a leading '/', as the kernel and cpio expect.
/// </summary>
internal sealed class CpioWriter : IDisposable
{
    private const int HeaderLength = 110;

    private readonly Stream _output;
    private readonly Stream _final;
    private readonly bool _leaveOpen;
    private readonly long _mtime;
    private uint _nextInode = 1;
    private long _position;
    private bool _finished;

    /// <summary>
    /// Starts an archive on <paramref name="output"/>; <paramref name="gzip"/> wraps it in gzip
    /// (what the kernel and v86's initrd option take); <paramref name="mtime"/> is stamped on every entry.
    /// </summary>
    public CpioWriter(Stream output, bool gzip = true, bool leaveOpen = false, long mtime = 0)
    {
        ArgumentNullException.ThrowIfNull(output);
        _final = output;
        _leaveOpen = leaveOpen;
        _mtime = mtime;
        _output = gzip ? new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true) : output;
    }

    /// <summary>Adds a directory (mode = permission bits, e.g. 0755).</summary>
    public void AddDirectory(string path, uint mode = 0x1ED) =>
        WriteEntry(path, FsMode.Directory | (mode & FsMode.PermissionMask), 2, 0, 0, ReadOnlySpan<byte>.Empty);

    /// <summary>Adds a regular file.</summary>
    public void AddFile(string path, ReadOnlySpan<byte> content, uint mode = 0x1A4) =>
        WriteEntry(path, FsMode.Regular | (mode & FsMode.PermissionMask), 1, 0, 0, content);

    /// <summary>Adds a regular file from a stream (read fully: initramfs members are small).</summary>
    public void AddFile(string path, Stream content, uint mode = 0x1A4)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var buffer = new MemoryStream();
        content.CopyTo(buffer);
        AddFile(path, buffer.GetBuffer().AsSpan(0, (int)buffer.Length), mode);
    }

    /// <summary>Adds a symlink; the link text is the entry's data, as newc stores it.</summary>
    public void AddSymlink(string path, string target) =>
        WriteEntry(path, FsMode.Symlink | 0x1FF, 1, 0, 0, Encoding.UTF8.GetBytes(target));

    /// <summary>Adds a character device node such as /dev/console (5,1), which the kernel needs before devtmpfs is up.</summary>
    public void AddCharDevice(string path, int major, int minor, uint mode = 0x180) =>
        WriteEntry(path, FsMode.CharDevice | (mode & FsMode.PermissionMask), 1, major, minor, ReadOnlySpan<byte>.Empty);

    /// <summary>Writes the trailer and flushes; further adds throw. Called by Dispose if not called.</summary>
    public void Finish()
    {
        if (_finished)
        {
            return;
        }

        WriteHeaderAndName("TRAILER!!!", 0, 1, 0, 0, 0, 0);
        _finished = true;
        if (!ReferenceEquals(_output, _final))
        {
            _output.Dispose();
        }

        _final.Flush();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Finish();
        if (!_leaveOpen)
        {
            _final.Dispose();
        }
    }

    private void WriteEntry(string path, uint mode, uint nlink, int rdevMajor, int rdevMinor, ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        var name = string.Join('/', FsPath.Split(path));
        if (name.Length == 0)
        {
            name = ".";
        }

        WriteHeaderAndName(name, mode, nlink, rdevMajor, rdevMinor, data.Length, _nextInode++);
        Write(data);
        Pad();
    }

    private void WriteHeaderAndName(string name, uint mode, uint nlink, int rdevMajor, int rdevMinor, long fileSize, uint inode)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var header = new StringBuilder(HeaderLength);
        header.Append("070701");
        foreach (var field in new[]
                 {
                     inode, mode, 0u, 0u, nlink, (uint)_mtime, checked((uint)fileSize),
                     0u, 0u, (uint)rdevMajor, (uint)rdevMinor, (uint)(nameBytes.Length + 1), 0u,
                 })
        {
            header.Append(field.ToString("X8"));
        }

        Write(Encoding.ASCII.GetBytes(header.ToString()));
        Write(nameBytes);
        Write([0]);
        Pad();
    }

    private void Write(ReadOnlySpan<byte> data)
    {
        _output.Write(data);
        _position += data.Length;
    }

    private void Pad()
    {
        var pad = (int)((4 - (_position % 4)) % 4);
        if (pad > 0)
        {
            Write(new byte[pad]);
        }
    }
}
