using System.Text.Json.Serialization;

namespace Sandbox86.Machines.Worker;

[JsonSerializable(typeof(WorkerStartConfig))]
internal sealed partial class WorkerJsonContext : JsonSerializerContext
{
}
