using System.Globalization;
using System.Text;
using Sandbox86.Machines.Worker;

namespace Sandbox86.Tests.Fuzz;

/// <summary>
/// The worker pipe's frame parser in process (<see cref="WorkerFrameReader"/>, which the read loop uses),
/// so it can take 10⁶ mutants; <see cref="WorkerPipeFuzzTests"/> covers the whole path through a real
/// process with few. Oracle: seeds split into the frames their .expected lists; a mutant either throws
/// <see cref="WorkerException"/> (a bad length) or splits the same way twice and after re-encoding.
/// </summary>
public sealed class WorkerFrameFuzzTests
{
    // Small enough that length mutations reach the limit, as the real 4 MiB one is reached by a real worker.
    private const int MaxFrame = 4096;

    [Fact]
    public void Frames_split_exactly_and_bad_lengths_are_rejected()
    {
        var rejected = FuzzLoop.Run<WorkerException>(
            "worker-frames",
            input => Describe(Split(input)),
            reencode: input => Encode(Split(input)));
        Assert.True(rejected > 0, "no mutant reached the length check");
    }

    [Fact]
    public async Task A_length_over_the_limit_is_an_error_and_a_partial_frame_is_end_of_stream()
    {
        var reader = new WorkerFrameReader(new MemoryStream([0x01, 0x10, 0x00, 0x00, 0x03]), MaxFrame);
        var error = await Assert.ThrowsAsync<WorkerException>(async () => await reader.ReadAsync(CancellationToken.None));
        Assert.Contains("bad frame length (4097)", error.Message, StringComparison.Ordinal);

        var partial = new WorkerFrameReader(new MemoryStream([0x04, 0x00, 0x00, 0x00, 0x03, 0x61]), MaxFrame);
        Assert.Null(await partial.ReadAsync(CancellationToken.None));
    }

    private static List<(WorkerFrameType Type, byte[] Payload)> Split(byte[] input)
    {
        var reader = new WorkerFrameReader(new MemoryStream(input), MaxFrame);
        var frames = new List<(WorkerFrameType, byte[])>();
        while (reader.ReadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult() is { } frame)
        {
            frames.Add(frame);
        }

        return frames;
    }

    private static string Describe(List<(WorkerFrameType Type, byte[] Payload)> frames)
    {
        var text = new StringBuilder();
        foreach (var (type, payload) in frames)
        {
            text.Append(((byte)type).ToString(CultureInfo.InvariantCulture)).Append(' ').Append(Convert.ToHexString(payload)).Append('\n');
        }

        return text.Append("end").ToString();
    }

    private static byte[] Encode(List<(WorkerFrameType Type, byte[] Payload)> frames) =>
        [.. frames.SelectMany(f => WorkerPipeFuzzTests.Frame(f.Type, f.Payload))];
}
