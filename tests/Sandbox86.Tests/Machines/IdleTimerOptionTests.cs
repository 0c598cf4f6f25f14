using System.Text.Json;
using Sandbox86.Machines;
using Sandbox86.Machines.Worker;

namespace Sandbox86.Tests.Machines;

/// <summary>MachineOptions.IdleTimerCoalescing reaches the worker's start config as whole milliseconds.</summary>
public sealed class IdleTimerOptionTests
{
    [Fact]
    public void Coalescing_is_on_by_default_at_50_ms_and_null_turns_it_off()
    {
        Assert.Equal(50, new MachineOptions().IdleTimerMilliseconds);
        Assert.Equal(0, new MachineOptions { IdleTimerCoalescing = null }.IdleTimerMilliseconds);
        Assert.Equal(0, new MachineOptions { IdleTimerCoalescing = TimeSpan.FromSeconds(-1) }.IdleTimerMilliseconds);
        // A guest whose timers may be a minute late is broken, not idle: the worker gets at most 1 s.
        Assert.Equal(1000, new MachineOptions { IdleTimerCoalescing = TimeSpan.FromMinutes(1) }.IdleTimerMilliseconds);
    }

    [Fact]
    public void The_start_config_carries_idleTimerMs_and_leaves_it_out_when_unset()
    {
        var config = new WorkerStartConfig
        {
            Bios = "b", VgaBios = "v", MemoryMb = 256, Kernel = "k", Initrd = "i", Cmdline = "c", FsIndex = "f", ChunkDir = "d",
        };
        using var set = JsonDocument.Parse(JsonSerializer.Serialize(config with { IdleTimerMs = 50 }, WorkerJsonContext.Default.WorkerStartConfig));
        Assert.Equal(50, set.RootElement.GetProperty("idleTimerMs").GetInt32());
        using var unset = JsonDocument.Parse(JsonSerializer.Serialize(config, WorkerJsonContext.Default.WorkerStartConfig));
        Assert.True(!unset.RootElement.TryGetProperty("idleTimerMs", out var value) || value.ValueKind == JsonValueKind.Null);
    }
}
