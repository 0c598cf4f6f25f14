using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandbox86.Machines.Worker;

/// <summary>
/// Priming: a spare worker (<see cref="WorkerPrespawn"/>) is sent its "start" for the restore it will most
/// likely serve before anyone asks for it, so v86 is already constructed (wasm instantiated, BIOS and the
/// image's fs index loaded: 0.5-2.4 s at load 55-63 on 2 cores) and only waits for the state file. A later
/// <see cref="StartVmAsync"/> with the very same configuration then sends just the restore.
/// </summary>
internal sealed partial class WorkerProcess
{
    private readonly TaskCompletionSource _constructed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _primedConfig;
    private bool _startSent;

    /// <summary>The configuration (as sent) this worker was primed with, or null.</summary>
    internal string? PrimedConfig => _primedConfig;

    /// <summary>Completes once a primed v86 is built and waiting for its state; faults when its construction failed.</summary>
    internal Task Constructed => _constructed.Task;

    /// <summary>Constructs v86 for restoring <paramref name="config"/>; the state comes with <see cref="StartVmAsync"/>.</summary>
    internal async Task PrimeAsync(WorkerStartConfig config, CancellationToken cancellationToken)
    {
        var json = StartConfigJson(config, restore: true);
        _primedConfig = json.ToJsonString();
        _startSent = true;
        await SendControlAsync(new JsonObject { ["op"] = "start", ["config"] = json }, cancellationToken);
    }

    private static JsonNode StartConfigJson(WorkerStartConfig config, bool restore) =>
        JsonSerializer.SerializeToNode(config with { Restore = restore }, WorkerJsonContext.Default.WorkerStartConfig)!;

    /// <summary>Sends "start" unless this worker was primed with exactly this configuration.</summary>
    private async Task SendStartUnlessPrimedAsync(WorkerStartConfig config, bool restore, CancellationToken cancellationToken)
    {
        var json = StartConfigJson(config, restore);
        if (_primedConfig is not null && _primedConfig == json.ToJsonString())
        {
            return;
        }

        if (_startSent)
        {
            // One worker constructs one VM: a caller must never get a spare primed for another one.
            throw new WorkerException("this VM worker was primed for another machine");
        }

        _startSent = true;
        await SendControlAsync(new JsonObject { ["op"] = "start", ["config"] = json }, cancellationToken);
    }
}
