using System.Buffers.Binary;
using System.Text;

namespace Sandbox86.Network.Wire;

/// <summary>
/// A DNS message (RFC 1035): header, questions and answers. Authority and additional sections are
/// counted but not kept. Names may use compression pointers; a pointer must point strictly backwards,
/// which makes loops impossible, and a name may not exceed 255 bytes.
/// </summary>
internal sealed class DnsMessage
{
    public const int HeaderLength = 12;
    public const int MaxNameLength = 255;
    public const ushort FlagResponse = 0x8000;
    public const ushort RcodeMask = 0x000f;
    public const ushort RcodeNxDomain = 3;
    public const ushort RcodeRefused = 5;

    public ushort Id { get; init; }
    public ushort Flags { get; init; }
    public List<DnsQuestion> Questions { get; init; } = [];
    public List<DnsRecord> Answers { get; init; } = [];

    public static bool TryParse(ReadOnlySpan<byte> p, out DnsMessage? message, out DropReason reason)
    {
        message = null;
        reason = DropReason.BadDns;
        if (p.Length < HeaderLength)
        {
            reason = DropReason.Truncated;
            return false;
        }

        int qd = BinaryPrimitives.ReadUInt16BigEndian(p[4..]);
        int an = BinaryPrimitives.ReadUInt16BigEndian(p[6..]);
        // Every question takes at least 5 bytes and every record 11: reject counts the buffer cannot hold
        // before allocating anything.
        if (qd * 5 + an * 11 > p.Length - HeaderLength)
        {
            return false;
        }

        var m = new DnsMessage { Id = BinaryPrimitives.ReadUInt16BigEndian(p), Flags = BinaryPrimitives.ReadUInt16BigEndian(p[2..]) };
        var pos = HeaderLength;
        for (var i = 0; i < qd; i++)
        {
            if (!TryReadName(p, ref pos, out var name) || pos + 4 > p.Length)
            {
                return false;
            }

            m.Questions.Add(new DnsQuestion(name, BinaryPrimitives.ReadUInt16BigEndian(p[pos..]), BinaryPrimitives.ReadUInt16BigEndian(p[(pos + 2)..])));
            pos += 4;
        }

        for (var i = 0; i < an; i++)
        {
            if (!TryReadName(p, ref pos, out var name) || pos + 10 > p.Length)
            {
                return false;
            }

            var type = BinaryPrimitives.ReadUInt16BigEndian(p[pos..]);
            var cls = BinaryPrimitives.ReadUInt16BigEndian(p[(pos + 2)..]);
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(p[(pos + 4)..]);
            int rdlen = BinaryPrimitives.ReadUInt16BigEndian(p[(pos + 8)..]);
            pos += 10;
            if (pos + rdlen > p.Length
                || (type == DnsRecord.TypeA && rdlen != 4) || (type == DnsRecord.TypeAaaa && rdlen != 16))
            {
                return false;
            }

            m.Answers.Add(new DnsRecord(name, type, cls, ttl, p.Slice(pos, rdlen).ToArray()));
            pos += rdlen;
        }

        message = m;
        reason = default;
        return true;
    }

    internal static bool TryReadName(ReadOnlySpan<byte> p, ref int pos, out string name)
    {
        name = "";
        var sb = new StringBuilder();
        var cursor = pos;
        var end = -1;
        var length = 0;
        while (true)
        {
            if (cursor >= p.Length)
            {
                return false;
            }

            var len = p[cursor];
            if (len == 0)
            {
                cursor++;
                break;
            }

            if ((len & 0xc0) == 0xc0)
            {
                if (cursor + 1 >= p.Length)
                {
                    return false;
                }

                var target = ((len & 0x3f) << 8) | p[cursor + 1];
                if (target >= cursor)
                {
                    // Forward or self pointers are how loops are built; real encoders only point back.
                    return false;
                }

                if (end < 0)
                {
                    end = cursor + 2;
                }

                cursor = target;
                continue;
            }

            if ((len & 0xc0) != 0 || cursor + 1 + len > p.Length)
            {
                return false;
            }

            length += len + 1;
            if (length > MaxNameLength)
            {
                return false;
            }

            if (sb.Length > 0)
            {
                sb.Append('.');
            }

            foreach (var c in p.Slice(cursor + 1, len))
            {
                sb.Append(c is >= 0x21 and < 0x7f ? char.ToLowerInvariant((char)c) : '?');
            }

            cursor += 1 + len;
        }

        pos = end >= 0 ? end : cursor;
        name = sb.ToString();
        return true;
    }

    public int Length
    {
        get
        {
            var n = HeaderLength;
            foreach (var q in Questions)
            {
                n += NameLength(q.Name) + 4;
            }

            foreach (var a in Answers)
            {
                n += NameLength(a.Name) + 10 + a.Data.Length;
            }

            return n;
        }
    }

    private static int NameLength(string name) => name.Length == 0 ? 1 : name.Length + 2;

    /// <summary>Writes header, questions and answers without compression.</summary>
    public void Write(Span<byte> p)
    {
        BinaryPrimitives.WriteUInt16BigEndian(p, Id);
        BinaryPrimitives.WriteUInt16BigEndian(p[2..], Flags);
        BinaryPrimitives.WriteUInt16BigEndian(p[4..], checked((ushort)Questions.Count));
        BinaryPrimitives.WriteUInt16BigEndian(p[6..], checked((ushort)Answers.Count));
        BinaryPrimitives.WriteUInt32BigEndian(p[8..], 0);
        var pos = HeaderLength;
        foreach (var q in Questions)
        {
            pos = WriteName(p, pos, q.Name);
            BinaryPrimitives.WriteUInt16BigEndian(p[pos..], q.Type);
            BinaryPrimitives.WriteUInt16BigEndian(p[(pos + 2)..], q.Class);
            pos += 4;
        }

        foreach (var a in Answers)
        {
            pos = WriteName(p, pos, a.Name);
            BinaryPrimitives.WriteUInt16BigEndian(p[pos..], a.Type);
            BinaryPrimitives.WriteUInt16BigEndian(p[(pos + 2)..], a.Class);
            BinaryPrimitives.WriteUInt32BigEndian(p[(pos + 4)..], a.Ttl);
            BinaryPrimitives.WriteUInt16BigEndian(p[(pos + 8)..], checked((ushort)a.Data.Length));
            a.Data.Span.CopyTo(p[(pos + 10)..]);
            pos += 10 + a.Data.Length;
        }
    }

    private static int WriteName(Span<byte> p, int pos, string name)
    {
        if (name.Length > 0)
        {
            foreach (var label in name.Split('.'))
            {
                if (label.Length is 0 or > 63)
                {
                    throw new ArgumentException($"Bad DNS label in {name}", nameof(name));
                }

                p[pos++] = (byte)label.Length;
                pos += Encoding.ASCII.GetBytes(label, p[pos..]);
            }
        }

        p[pos++] = 0;
        return pos;
    }

    public byte[] ToArray()
    {
        var b = new byte[Length];
        Write(b);
        return b;
    }
}
