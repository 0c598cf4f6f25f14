using Microsoft.Extensions.Logging;
using Sandbox86.Server.ControlPlane;
using Sandbox86.Server.ControlPlane.Metrics;
using Sandbox86.Server.Sandboxes;

namespace Sandbox86.ServerTests.Sandboxes;

/// <summary>The pieces the registry is made of, without a VM: network mapping, metric parsers, the sandbox's logger scope.</summary>
public sealed class SandboxPartsTests
{
    private static readonly Action<ILogger, int, Exception?> Restored = LoggerMessage.Define<int>(LogLevel.Information, default, "restored in {Ms} ms");
    private static readonly Action<ILogger, Exception?> NotEnabled = LoggerMessage.Define(LogLevel.Debug, default, "not enabled");

    private static SandboxRecord Record(bool internet, List<string>? allow = null, List<string>? deny = null) => new()
    {
        SandboxId = "abc", TemplateId = "base", ImageName = "default", MemoryMb = 256, StartedAt = DateTimeOffset.UtcNow,
        AllowInternetAccess = internet, AllowOut = allow ?? [], DenyOut = deny ?? [],
    };

    [Fact]
    public void Internet_access_maps_to_a_network_with_the_egress_rules_or_to_none()
    {
        Assert.Null(SandboxRegistry.NetworkFor(Record(false), NullLogger()));
        var options = SandboxRegistry.NetworkFor(Record(true, ["192.168.5.0/24", "example.com"], ["203.0.113.7"]), NullLogger());
        Assert.NotNull(options);
        Assert.Equal(["192.168.5.0/24", "example.com"], options.Policy.Allow);
        Assert.Equal(["203.0.113.7"], options.Policy.Deny);
        // Local ranges (the host's loopback, metadata addresses) stay denied unless allowed: E2B's "internet", not the host's LAN.
        Assert.True(options.Policy.DenyLocalByDefault);
        var spec = ControlPlaneEndpoints.ToSpec(new NewSandboxBody { Network = new SandboxNetworkBody { DenyOut = ["10.1.0.0/16"] } });
        Assert.True(spec.AllowInternetAccess);
        Assert.Equal(["10.1.0.0/16"], spec.DenyOut);
        Assert.False(ControlPlaneEndpoints.ToSpec(new NewSandboxBody { AllowInternetAccess = false }).AllowInternetAccess);
    }

    [Fact]
    public void Proc_stat_is_parsed_past_a_command_name_with_spaces_and_parentheses()
    {
        var line = "4242 (node (v86) x) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 12 0 9000 1000 200";
        var parsed = WorkerCpuMeter.ParseStat(line);
        Assert.Equal((3.0, 90.0), parsed);
        Assert.Null(WorkerCpuMeter.ParseStat("4242 (node) S 1 2"));
        Assert.Null(WorkerCpuMeter.ParseStat("garbage"));
        // This very process: some CPU used, started before now.
        var self = WorkerCpuMeter.ReadStat(Environment.ProcessId);
        Assert.NotNull(self);
        Assert.True(self.Value.CpuSeconds > 0);
    }

    [Fact]
    public void A_busy_process_reads_as_busy_and_an_idle_one_as_idle()
    {
        using var busy = System.Diagnostics.Process.Start("sh", ["-c", "while :; do :; done"]);
        using var idle = System.Diagnostics.Process.Start("sleep", ["30"]);
        try
        {
            var busyMeter = new WorkerCpuMeter(busy.Id);
            var idleMeter = new WorkerCpuMeter(idle.Id);
            busyMeter.Sample();
            idleMeter.Sample();
            Thread.Sleep(2000);
            // Thresholds allow for a loaded host (load 20 on 2 cores gives a spinner ~10% of a CPU).
            var busyPct = busyMeter.Sample();
            var idlePct = idleMeter.Sample();
            Assert.True(busyPct > 3, $"a spinning shell should use CPU: {busyPct}%");
            Assert.True(idlePct < 1, $"sleep should use next to no CPU: {idlePct}%");
        }
        finally
        {
            busy.Kill();
            idle.Kill();
        }

        busy.WaitForExit();
        Assert.Null(new WorkerCpuMeter(busy.Id).Sample());
    }

    [Fact]
    public void Meminfo_gives_used_as_total_minus_available()
    {
        var memory = GuestMemory.Parse("MemTotal:         245000 kB\nMemFree:          100000 kB\nMemAvailable:     200000 kB\nCached:            60000 kB\n");
        Assert.Equal(new GuestMemory(245000 * 1024L, 45000 * 1024L, 60000 * 1024L), memory);
        Assert.Null(GuestMemory.Parse("MemTotal: 10 kB\n"));
        Assert.Null(GuestMemory.Parse("MemTotal: 10 kB\nMemAvailable: 20 kB\n"));
        Assert.Null(GuestMemory.Parse("MemTotal: 99999999999999999999 kB\nMemAvailable: 1 kB\n"));
    }

    [Fact]
    public void The_sandbox_logger_writes_every_line_inside_a_SandboxId_scope()
    {
        var capture = new CapturingLogger();
        ILogger logger = new SandboxLogger(capture, "sbx123");
        Restored(logger, 12, null);
        NotEnabled(logger, null);
        var (message, scopes) = Assert.Single(capture.Lines);
        Assert.Equal("restored in 12 ms", message);
        var scope = Assert.IsAssignableFrom<IEnumerable<KeyValuePair<string, object?>>>(Assert.Single(scopes));
        Assert.Equal("sbx123", Assert.Single(scope, kv => kv.Key == "SandboxId").Value);
        Assert.Empty(capture.Open);
    }

    private static Microsoft.Extensions.Logging.Abstractions.NullLogger NullLogger() => Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    private sealed class CapturingLogger : ILogger
    {
        public List<object> Open { get; } = [];

        public List<(string Message, List<object> Scopes)> Lines { get; } = [];

        public IDisposable BeginScope<TState>(TState state)
            where TState : notnull
        {
            Open.Add(state);
            return new Pop(Open);
        }

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((formatter(state, exception), [.. Open]));

        private sealed class Pop(List<object> open) : IDisposable
        {
            public void Dispose() => open.RemoveAt(open.Count - 1);
        }
    }
}
