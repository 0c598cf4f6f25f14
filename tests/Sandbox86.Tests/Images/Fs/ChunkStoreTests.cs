using System.Security.Cryptography;
using System.Text;
using Sandbox86.Images;
using Sandbox86.Images.Fs;

namespace Sandbox86.Tests.Images.Fs;

public sealed class ChunkStoreTests
{
    private static string Prefix8(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data))[..8];

    private static byte[] ReadAll(ChunkStore store, string name)
    {
        using var stream = store.OpenRead(name);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [Fact]
    public void Names_are_first_8_hex_of_sha256_and_identical_content_is_stored_once()
    {
        using var dir = new TempDir();
        var store = new ChunkStore(dir.Path, compress: false);
        var data = Encoding.ASCII.GetBytes("hello world\n");
        var (name, size) = store.Add(data);
        Assert.Equal(Prefix8(data) + ".bin", name);
        Assert.Equal(data.Length, size);

        var again = store.Add(new MemoryStream(data));
        Assert.Equal(name, again.Name);
        Assert.Equal(1, store.Count);
        Assert.Single(Directory.GetFiles(dir.Path));
        Assert.Equal(data, File.ReadAllBytes(dir.Combine(name)));
    }

    [Fact]
    public void Compressible_content_is_zst_named_by_uncompressed_hash_and_round_trips()
    {
        using var dir = new TempDir();
        var store = new ChunkStore(dir.Path, compress: true, zstdLevel: 3);
        var data = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("compress me please ", 5000)));
        var (name, _) = store.Add(new MemoryStream(data));
        Assert.Equal(Prefix8(data) + ".bin.zst", name);
        var onDisk = File.ReadAllBytes(dir.Combine(name));
        Assert.True(Zstd.IsZstdFrame(onDisk));
        Assert.True(onDisk.Length < data.Length / 10);
        Assert.Equal(data, ReadAll(store, name));
        // v86 decompresses with the index's size: the frame must decode to exactly that.
        Assert.Equal(data, Zstd.Decompress(onDisk, data.Length));
    }

    [Fact]
    public void Tiny_and_incompressible_content_stays_raw()
    {
        using var dir = new TempDir();
        var store = new ChunkStore(dir.Path, compress: true);
        var tiny = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"u8.ToArray();
        Assert.EndsWith(".bin", store.Add(tiny).Name, StringComparison.Ordinal);
        var random = RandomNumberGenerator.GetBytes(64 * 1024);
        var name = store.Add(random).Name;
        Assert.Equal(Prefix8(random) + ".bin", name);
        Assert.Equal(random, ReadAll(store, name));
    }

    [Fact]
    public void Prefix_collision_gets_a_longer_name_and_both_contents_survive()
    {
        using var dir = new TempDir();
        var store = new ChunkStore(dir.Path, compress: false)
        {
            // Every hash now starts with the same 8 digits: different contents collide.
            NamingHashOverride = h => "00000000" + h[8..],
        };
        var a = "content A"u8.ToArray();
        var b = "content B"u8.ToArray();
        var nameA = store.Add(a).Name;
        var nameB = store.Add(b).Name;
        Assert.Equal("00000000.bin", nameA);
        Assert.NotEqual(nameA, nameB);
        Assert.StartsWith("00000000", nameB, StringComparison.Ordinal);
        Assert.True(nameB.Length > nameA.Length);
        Assert.Equal(a, ReadAll(store, nameA));
        Assert.Equal(b, ReadAll(store, nameB));
        Assert.Equal(nameB, store.Add(b).Name);
    }

    [Fact]
    public void Collision_with_chunk_from_an_earlier_run_is_detected_by_hashing_it()
    {
        using var dir = new TempDir();
        var first = new ChunkStore(dir.Path, compress: false) { NamingHashOverride = h => "00000000" + h[8..] };
        var nameA = first.Add("one"u8).Name;

        var second = new ChunkStore(dir.Path, compress: false) { NamingHashOverride = h => "00000000" + h[8..] };
        Assert.Equal(1, second.Count);
        Assert.Equal(nameA, second.Add("one"u8).Name);
        Assert.NotEqual(nameA, second.Add("two"u8).Name);
        Assert.Equal(2, second.Count);
    }

    [Fact]
    public void Corrupt_zst_chunk_fails_with_invalid_data()
    {
        using var dir = new TempDir();
        var store = new ChunkStore(dir.Path, compress: true, zstdLevel: 1);
        var name = store.Add(Encoding.ASCII.GetBytes(new string('x', 10000))).Name;
        var path = dir.Combine(name);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 3)]);
        Assert.Throws<InvalidDataException>(() => ReadAll(store, name));
        Assert.Throws<ImageException>(() => store.OpenRead("../etc/passwd"));
    }

    [Fact]
    public void Remove_unreferenced_deletes_only_garbage()
    {
        using var dir = new TempDir();
        var store = new ChunkStore(dir.Path, compress: false);
        var keep = store.Add("keep"u8).Name;
        var drop = store.Add("drop"u8).Name;
        File.WriteAllText(dir.Combine("image.json"), "{}");
        Assert.Equal(1, store.RemoveUnreferenced([keep]));
        Assert.True(store.Contains(keep));
        Assert.False(store.Contains(drop));
        Assert.True(File.Exists(dir.Combine("image.json")));
        Assert.Equal(1, store.Count);
        // Re-adding removed content writes it again rather than trusting a stale name.
        Assert.Equal(drop, store.Add("drop"u8).Name);
        Assert.True(store.Contains(drop));
    }

    /// <summary>Hands out bytes in small reads and cannot seek, like a tar entry of a compressed archive.</summary>
    private sealed class TrickleStream(long length) : Sandbox86.Util.ReadOnlyStream
    {
        private long _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(Math.Min(count, 3000), length - _position);
            for (var i = 0; i < n; i++)
            {
                buffer[offset + i] = (byte)(((_position + i) * 31 / 7) & 0x3F);
            }

            _position += n;
            return n;
        }
    }

    [Fact]
    public void Large_non_seekable_content_streams_into_one_frame_that_declares_its_size()
    {
        using var dir = new TempDir();
        var store = new ChunkStore(dir.Path, compress: true, zstdLevel: 1);
        const long length = 12L * 1024 * 1024;
        var (name, size) = store.Add(new TrickleStream(length));
        Assert.Equal(length, size);
        Assert.EndsWith(".bin.zst", name, StringComparison.Ordinal);

        using var expected = new MemoryStream();
        new TrickleStream(length).CopyTo(expected);
        Assert.Equal(Prefix8(expected.ToArray()) + ".bin.zst", name);

        // Zstd.Decompress takes the declared-size path only when the frame header carries the size.
        var frame = File.ReadAllBytes(dir.Combine(name));
        Assert.Equal(expected.ToArray(), Zstd.Decompress(frame, length));
        Assert.Throws<InvalidDataException>(() => Zstd.Decompress(frame, length - 1));
        Assert.Equal(length, store.UncompressedBytes);
        Assert.Equal(frame.Length, store.StoredBytes);
    }
}
