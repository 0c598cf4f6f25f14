using System.Text.Json;

namespace Sandbox86.Server.Ui;

/// <summary>
/// A text message from the page on the PTY socket. The one kind is <c>{"type":"resize","cols":C,"rows":R}</c>;
/// keystrokes travel as binary messages. Parsed defensively: anything else is refused, never thrown past here.
/// </summary>
internal readonly record struct PtyControlMessage(int Columns, int Rows)
{
    public static bool TryParse(ReadOnlySpan<byte> utf8, out PtyControlMessage message)
    {
        message = default;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 4 });
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "resize"
                || !root.TryGetProperty("cols", out var cols) || !cols.TryGetInt32(out var c)
                || !root.TryGetProperty("rows", out var rows) || !rows.TryGetInt32(out var r)
                || c is < 1 or > 1000 || r is < 1 or > 1000)
            {
                return false;
            }

            message = new PtyControlMessage(c, r);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            // TryGetInt32 on a non-number.
            return false;
        }
    }
}
