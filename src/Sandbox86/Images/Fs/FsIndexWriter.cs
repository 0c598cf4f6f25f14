using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sandbox86.Images.Fs;

/// <summary>
/// Writes v86's filesystem index (format version 3, what v86's <c>load_from_json</c> and its
/// <c>fs2json.py</c> agree on): <c>{"fsroot":[…],"version":3,"size":N}</c>, where fsroot lists the
/// root's children (the root itself is implicit) and a node is
/// <c>[name, size, mtime, mode, uid, gid, target]</c>: target is the child list of a directory,
/// the link text of a symlink, or the chunk file name of a regular file. mode is the full st_mode
/// as a decimal number; "size" is the sum of all node sizes, as fs2json computes it.
/// </summary>
internal static class FsIndexWriter
{
    /// <summary>The index format version v86 requires.</summary>
    public const int Version = 3;

    private static readonly JsonWriterOptions _options = new()
    {
        // The index is parsed by JSON.parse, never embedded in HTML: keep non-ASCII names readable and small.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = false,
    };

    /// <summary>Writes <paramref name="tree"/> as compact JSON to <paramref name="output"/>.</summary>
    public static void Write(FsTree tree, Stream output)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(output);
        using var writer = new Utf8JsonWriter(output, _options);
        long total = 0;
        writer.WriteStartObject();
        writer.WritePropertyName("fsroot");
        WriteChildren(writer, tree.Root, ref total);
        writer.WriteNumber("version", Version);
        writer.WriteNumber("size", total);
        writer.WriteEndObject();
        writer.Flush();
    }

    /// <summary>Writes <paramref name="tree"/> to a file atomically (temp file, then rename).</summary>
    public static void WriteFile(FsTree tree, string path)
    {
        var temp = path + ".tmp-" + Environment.ProcessId;
        using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            Write(tree, output);
        }

        File.Move(temp, path, overwrite: true);
    }

    private static void WriteChildren(Utf8JsonWriter writer, FsNode dir, ref long total)
    {
        writer.WriteStartArray();
        foreach (var child in dir.Children)
        {
            WriteNode(writer, child, ref total);
        }

        writer.WriteEndArray();
    }

    private static void WriteNode(Utf8JsonWriter writer, FsNode node, ref long total)
    {
        total += node.Size;
        writer.WriteStartArray();
        writer.WriteStringValue(node.Name);
        writer.WriteNumberValue(node.Size);
        writer.WriteNumberValue(node.MtimeSeconds);
        writer.WriteNumberValue(node.Mode);
        writer.WriteNumberValue((uint)node.Uid);
        writer.WriteNumberValue((uint)node.Gid);
        switch (node.Kind)
        {
            case FsNodeKind.Directory:
                WriteChildren(writer, node, ref total);
                break;
            case FsNodeKind.Symlink:
                writer.WriteStringValue(node.LinkTarget ?? string.Empty);
                break;
            case FsNodeKind.File:
                writer.WriteStringValue(node.ChunkName
                    ?? throw new InvalidOperationException($"file '{node.Name}' has no chunk"));
                break;
        }

        writer.WriteEndArray();
    }
}
