using System.Diagnostics;
using Sandbox86.IntegrationTests.Infrastructure;

namespace Sandbox86.IntegrationTests.Machines;

/// <summary>The Node worker dies with its owner: no orphans after Ctrl+C or a kill of the CLI.</summary>
public sealed class WorkerLifetimeTests
{
    [Theory]
    [InlineData("SIGKILL")]
    [InlineData("SIGINT")]
    [InlineData("SIGTERM")]
    public async Task No_worker_outlives_the_cli(string signal)
    {
        DefaultImage.Open();
        using var cli = CliRunner.Start(["run", "--", "sh", "-c", "echo started; sleep 120"], defaultSigint: true);
        var started = await cli.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("started", started);
        var workers = ChildPids(cli.Id);
        Assert.NotEmpty(workers);

        using (var kill = Process.Start("kill", [$"-{signal}", cli.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await cli.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (workers.Any(IsAlive) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.DoesNotContain(workers, IsAlive);
        if (signal != "SIGKILL")
        {
            Assert.NotEqual(0, cli.ExitCode);
        }
    }

    private static List<int> ChildPids(int pid)
    {
        var children = new List<int>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            var text = File.ReadAllText(Path.Combine(task, "children"));
            children.AddRange(text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse));
        }

        return children;
    }

    // A zombie is dead for this purpose: its parent (the killed CLI) is gone and init reaps it.
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
