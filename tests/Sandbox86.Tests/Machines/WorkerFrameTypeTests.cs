using System.Text.RegularExpressions;
using Sandbox86.Machines.Worker;

namespace Sandbox86.Tests.Machines;

/// <summary>The two ends of the worker pipe agree on every frame type (worker.mjs is parsed, not run).</summary>
public sealed partial class WorkerFrameTypeTests
{
    [GeneratedRegex(@"\bFRAME_([A-Z0-9_]+)\s*=\s*(\d+)")]
    private static partial Regex FrameConstant();

    [Fact]
    public void Every_FRAME_constant_in_worker_mjs_matches_WorkerFrameType_and_none_is_missing()
    {
        var script = File.ReadAllText(Path.Combine(FindRepoRoot(), "worker", "worker.mjs"));
        // Only the declarations: `const FRAME_CONTROL = 1, FRAME_EVENT = 2, ...`.
        var js = FrameConstant().Matches(script)
            .ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        var cs = Enum.GetValues<WorkerFrameType>().ToDictionary(t => ToJsName(t.ToString()), t => (int)t);
        Assert.NotEmpty(js);
        Assert.Equal(cs.OrderBy(p => p.Key), js.OrderBy(p => p.Key));
    }

    // VirtioConsole -> VIRTIO_CONSOLE, Net -> NET.
    private static string ToJsName(string name) => Regex.Replace(name, "(?<=[a-z0-9])([A-Z])", "_$1").ToUpperInvariant();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "worker", "worker.mjs")) && File.Exists(Path.Combine(dir.FullName, "sandbox86.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no checkout above {AppContext.BaseDirectory}: this test reads worker/worker.mjs");
    }
}
