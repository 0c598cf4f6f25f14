using System.Buffers.Binary;
using System.Text;
using Sandbox86.Machines.Worker;

namespace Sandbox86.Tests.Fuzz;

/// <summary>
/// The host's worker-pipe frame reader against mutants of tests/corpus/worker-pipe, through its one
/// entry point (a worker process): sh replays the ready event, waits for one host frame, then cats
/// the mutant. Whatever the bytes, the host ends the worker with a <see cref="WorkerException"/> and
/// delivers the same frames every time; it never crashes or hangs. Each mutant is a process, so the
/// CI default is small.
/// </summary>
public sealed partial class WorkerPipeFuzzTests
{
    [Fact]
    public void Worker_frames_decode_exactly_and_mutants_end_the_worker_with_a_reason()
    {
        using var dir = new Images.TempDir();
        var ready = dir.Combine("ready");
        File.WriteAllBytes(ready, Frame(WorkerFrameType.Event, "{\"ev\":\"ready\"}"u8));
        var tail = dir.Combine("tail");
        FuzzLoop.Run<NeverThrown>(
            "worker-pipe",
            input =>
            {
                File.WriteAllBytes(tail, input);
                return ReplayAsync(ready, tail).GetAwaiter().GetResult();
            },
            ciIterations: 60);
    }

    private static async Task<string> ReplayAsync(string ready, string tail)
    {
        // 6 bytes = the host's one-byte serial frame: the mutant starts only after the handlers exist.
        await using var worker = await WorkerProcess.StartAsync("sh", ["-c", $"cat '{ready}'; head -c 6 >/dev/null; cat '{tail}'"], TimeSpan.FromSeconds(10), CancellationToken.None);
        // One record per channel: each channel keeps its order, but their consumers run independently.
        var serial = new StringBuilder();
        var net = new StringBuilder();
        using var serialSubscription = worker.Channels.SubscribeSerial(b => Append(serial, "serial", b));
        using var netSubscription = worker.Channels.SubscribeNet(b => Append(net, "net", b));
        var console = ReadConsoleAsync(worker.Channels.ConsolePort(1));
        await worker.SendSerialAsync("x"u8.ToArray(), CancellationToken.None);
        // sh exits after the mutant, so every run ends; a hang is a failure, not a wait. The read loop
        // stops at the first bad frame, so what was delivered before it is the same every time.
        // The exit code is "?" when sh has not been reaped within the host's grace period (a loaded
        // machine): not part of the frame decoding under test.
        var ending = ExitCode().Replace((await worker.Exited.WaitAsync(TimeSpan.FromSeconds(10))).Message, "(code)");
        await serialSubscription.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        await netSubscription.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        return $"{serial}{await console.WaitAsync(TimeSpan.FromSeconds(10))}{net}{ending}";
    }

    private static async Task<string> ReadConsoleAsync(System.Threading.Channels.ChannelReader<ReadOnlyMemory<byte>> port)
    {
        var seen = new StringBuilder();
        try
        {
            await foreach (var bytes in port.ReadAllAsync())
            {
                Append(seen, "console1", bytes);
            }
        }
        catch (WorkerException)
        {
            // The port ends with the worker's exit reason once it is drained.
        }

        return seen.ToString();
    }

    private static void Append(StringBuilder seen, string channel, ReadOnlyMemory<byte> bytes)
    {
        lock (seen)
        {
            seen.Append(channel).Append(' ').Append(Convert.ToHexString(bytes.Span)).Append('\n');
        }
    }

    internal static byte[] Frame(WorkerFrameType type, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)payload.Length + 1);
        frame[4] = (byte)type;
        payload.CopyTo(frame.AsSpan(5));
        return frame;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\(code [^)]*\)")]
    private static partial System.Text.RegularExpressions.Regex ExitCode();

    /// <summary>Never thrown: any exception from the host side fails the loop.</summary>
    private sealed class NeverThrown : Exception;
}
