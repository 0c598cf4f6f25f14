using System.Security.Cryptography;

namespace Sandbox86.Images.Fs;

/// <summary>
/// A directory of file contents named the way v86 expects: the first 8 hex digits of the SHA-256 of
/// the uncompressed content plus ".bin", or ".bin.zst" when stored zstd-compressed (v86 decompresses
/// exactly the names ending in ".zst"). Identical contents are stored once. Two different contents
/// sharing an 8-digit prefix get a longer prefix: v86 loads whatever name the index gives, so any
/// unique name works. Writes are atomic (temp file, then rename), so a crash never leaves a half chunk.
/// <see cref="Add(Stream)"/> may be called from several threads at once; hashing and compression run
/// outside the store's lock.
/// </summary>
/// <remarks>
/// Compression policy: contents under <see cref="MinCompressBytes"/> are stored raw (a zstd frame's
/// header and block overhead eat any gain, and the file system rounds small files up to a block anyway);
/// larger contents are compressed and kept compressed only when that saves at least 1/32 of the size,
/// so already-compressed data (.gz, .png, .jar) is not made slower to load for nothing.
/// </remarks>
internal sealed class ChunkStore
{
    /// <summary>
    /// Default zstd level. Measured here on 150 binaries and libraries (48.5 MB, one frame per file,
    /// 2 cores): level 3 gives 39.1% of the input in 1.7 s, level 9 36.5% in 4.5 s, level 12 36.4% in
    /// 8.8 s, level 19 33.1% in 41 s. Level 9 is the knee: a 500 MB rootfs compresses in about a minute
    /// instead of seven; pass 19 for images published to browsers, where every byte is downloaded.
    /// </summary>
    public const int DefaultZstdLevel = 9;

    /// <summary>Contents shorter than this are never compressed.</summary>
    public const int MinCompressBytes = 512;

    private const int ShortHashLength = 8;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, string> _nameByHash = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _hashByPrefix = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _nameByPrefix = new(StringComparer.Ordinal);
    private long _storedBytes;
    private long _uncompressedBytes;
    private int _count;

    /// <summary>
    /// Opens (creating if needed) a chunk directory. Chunks already in it are known by name; their
    /// hashes are computed only if a new content's prefix meets one of them.
    /// </summary>
    public ChunkStore(string directory, bool compress, int zstdLevel = DefaultZstdLevel)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
        Compress = compress;
        ZstdLevel = zstdLevel;
        System.IO.Directory.CreateDirectory(Directory);
        foreach (var file in new DirectoryInfo(Directory).EnumerateFiles())
        {
            var prefix = PrefixOf(file.Name);
            if (prefix is null)
            {
                continue;
            }

            _hashByPrefix[prefix] = null;
            _nameByPrefix[prefix] = file.Name;
            _storedBytes += file.Length;
            _count++;
        }
    }

    /// <summary>The chunk directory (absolute).</summary>
    public string Directory { get; }

    /// <summary>Whether new chunks are zstd-compressed (when that helps).</summary>
    public bool Compress { get; }

    /// <summary>The zstd level used for new chunks.</summary>
    public int ZstdLevel { get; }

    /// <summary>Number of chunks in the directory.</summary>
    public int Count => _count;

    /// <summary>Bytes the chunks take on disk.</summary>
    public long StoredBytes => Interlocked.Read(ref _storedBytes);

    /// <summary>Uncompressed bytes of the chunks this instance wrote (pre-existing chunks are not counted).</summary>
    public long UncompressedBytes => Interlocked.Read(ref _uncompressedBytes);

    /// <summary>Test hook: maps the full hex hash to the one used for naming, to force prefix collisions.</summary>
    internal Func<string, string>? NamingHashOverride { get; set; }

    /// <summary>Stores the rest of <paramref name="content"/> and returns its chunk name and uncompressed size.</summary>
    public (string Name, long Size) Add(Stream content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var rawTemp = TempPath();
        try
        {
            long size;
            string hash;
            using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                using (var output = new FileStream(rawTemp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                {
                    var buffer = new byte[1 << 16];
                    size = 0;
                    int n;
                    while ((n = content.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        sha.AppendData(buffer, 0, n);
                        output.Write(buffer, 0, n);
                        size += n;
                    }
                }

                hash = Convert.ToHexStringLower(sha.GetHashAndReset());
            }

            return Commit(hash, size, rawTemp);
        }
        finally
        {
            File.Delete(rawTemp);
        }
    }

    /// <summary>Stores <paramref name="content"/> and returns its chunk name and size.</summary>
    public (string Name, long Size) Add(ReadOnlySpan<byte> content)
    {
        var rawTemp = TempPath();
        try
        {
            using (var output = new FileStream(rawTemp, FileMode.CreateNew, FileAccess.Write))
            {
                output.Write(content);
            }

            var hash = Convert.ToHexStringLower(SHA256.HashData(content));
            return Commit(hash, content.Length, rawTemp);
        }
        finally
        {
            File.Delete(rawTemp);
        }
    }

    /// <summary>True when a chunk with that name exists in the directory.</summary>
    public bool Contains(string name) => IsValidName(name) && File.Exists(Path.Combine(Directory, name));

    /// <summary>Opens a chunk's uncompressed content (".zst" chunks are decompressed while reading).</summary>
    public Stream OpenRead(string name)
    {
        if (!IsValidName(name))
        {
            throw new ImageException($"invalid chunk name '{name}'");
        }

        var path = Path.Combine(Directory, name);
        if (!File.Exists(path))
        {
            throw new ImageException($"chunk '{name}' is missing from {Directory}");
        }

        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return name.EndsWith(".zst", StringComparison.Ordinal) ? new ZstdDecompressStream(file) : file;
    }

    /// <summary>
    /// Deletes chunks no index refers to (left behind by whiteouts and replaced files) and stray temp
    /// files. Returns how many chunks were deleted.
    /// </summary>
    public int RemoveUnreferenced(IEnumerable<string> referenced)
    {
        ArgumentNullException.ThrowIfNull(referenced);
        var keep = new HashSet<string>(referenced, StringComparer.Ordinal);
        var removed = 0;
        lock (_lock)
        {
            foreach (var file in new DirectoryInfo(Directory).EnumerateFiles())
            {
                if (file.Name.StartsWith(".tmp-", StringComparison.Ordinal))
                {
                    file.Delete();
                    continue;
                }

                var prefix = PrefixOf(file.Name);
                if (prefix is null || keep.Contains(file.Name))
                {
                    continue;
                }

                var length = file.Length;
                file.Delete();
                removed++;
                _count--;
                _storedBytes -= length;
                if (_hashByPrefix.Remove(prefix, out var hash) && hash is not null)
                {
                    _nameByHash.Remove(hash);
                }

                _nameByPrefix.Remove(prefix);
            }
        }

        return removed;
    }

    private (string Name, long Size) Commit(string hash, long size, string rawTemp)
    {
        lock (_lock)
        {
            if (_nameByHash.TryGetValue(hash, out var existing))
            {
                return (existing, size);
            }
        }

        // Compress outside the lock so parallel importers overlap their CPU work.
        string? zstTemp = null;
        if (Compress && size >= MinCompressBytes)
        {
            zstTemp = TempPath();
            using (var input = new FileStream(rawTemp, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            using (var output = new FileStream(zstTemp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Zstd.CompressStream(input, output, ZstdLevel, size);
            }

            if (new FileInfo(zstTemp).Length > size - (size / 32))
            {
                File.Delete(zstTemp);
                zstTemp = null;
            }
        }

        try
        {
            lock (_lock)
            {
                if (_nameByHash.TryGetValue(hash, out var existing))
                {
                    return (existing, size);
                }

                var prefix = ChoosePrefix(hash);

                // Choosing may have hashed a chunk that was already on disk and found this very content.
                if (_nameByHash.TryGetValue(hash, out existing))
                {
                    return (existing, size);
                }

                var name = prefix + (zstTemp is null ? ".bin" : ".bin.zst");
                var source = zstTemp ?? rawTemp;
                var stored = new FileInfo(source).Length;
                File.Move(source, Path.Combine(Directory, name), overwrite: true);
                _nameByHash[hash] = name;
                _hashByPrefix[prefix] = hash;
                _nameByPrefix[prefix] = name;
                _count++;
                _storedBytes += stored;
                _uncompressedBytes += size;
                return (name, size);
            }
        }
        finally
        {
            if (zstTemp is not null)
            {
                File.Delete(zstTemp);
            }
        }
    }

    private string ChoosePrefix(string hash)
    {
        var naming = NamingHashOverride?.Invoke(hash) ?? hash;
        for (var length = ShortHashLength; length <= naming.Length; length++)
        {
            var prefix = naming[..length];
            if (!_hashByPrefix.TryGetValue(prefix, out var owner))
            {
                return prefix;
            }

            owner ??= HashExisting(prefix);
            if (owner == hash)
            {
                return prefix;
            }
        }

        throw new InvalidOperationException("no free chunk name for hash " + hash);
    }

    private string HashExisting(string prefix)
    {
        var name = _nameByPrefix[prefix];
        using var stream = OpenRead(name);
        var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        _hashByPrefix[prefix] = hash;
        _nameByHash.TryAdd(hash, name);
        return hash;
    }

    private string TempPath() => Path.Combine(Directory, ".tmp-" + Guid.NewGuid().ToString("N"));

    private static bool IsValidName(string name) =>
        !string.IsNullOrEmpty(name) && PrefixOf(name) is not null;

    /// <summary>The hash prefix of a chunk file name, or null when the name is not a chunk name.</summary>
    internal static string? PrefixOf(string name)
    {
        string stem;
        if (name.EndsWith(".bin.zst", StringComparison.Ordinal))
        {
            stem = name[..^8];
        }
        else if (name.EndsWith(".bin", StringComparison.Ordinal))
        {
            stem = name[..^4];
        }
        else
        {
            return null;
        }

        return stem.Length is >= ShortHashLength and <= 64 && stem.All(char.IsAsciiHexDigitLower) ? stem : null;
    }
}
