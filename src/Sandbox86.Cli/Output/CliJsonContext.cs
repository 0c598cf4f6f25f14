using System.Text.Json.Serialization;
using Sandbox86.Cli.Commands.Images;

namespace Sandbox86.Cli.Output;

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ImageView))]
[JsonSerializable(typeof(List<ImageView>))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
}
