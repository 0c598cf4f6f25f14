using System.Text.Json.Serialization;
using Sandbox86.Cli.Commands.Images;

namespace Sandbox86.Cli.Output;

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ImageView))]
[JsonSerializable(typeof(List<ImageView>))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    /// <summary>Output for people and jq alike: '+' and non-ASCII stay readable instead of \uXXXX.</summary>
    public static CliJsonContext Readable { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        WriteIndented = true,
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
