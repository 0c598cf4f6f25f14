using Sandbox86.Images.Store;
using Sandbox86.Machines;
using Sandbox86.Machines.Worker;

namespace Sandbox86.IntegrationTests.Infrastructure;

/// <summary>Boots an image in a worker and exposes only its serial console (for images whose init is not the agent).</summary>
internal static class BootWithoutAgent
{
    public static async Task<WorkerProcess> StartAsync(StoredImage image, Action<ReadOnlyMemory<byte>> onSerial)
    {
        var worker = await WorkerProcess.StartAsync(CancellationToken.None);
        worker.Channels.SubscribeSerial(onSerial);
        await worker.StartVmAsync(WorkerStartConfig.For(image, image.Manifest.MemoryMb), null, CancellationToken.None);
        return worker;
    }
}
