using System.IO.Pipes;
using System.Runtime.InteropServices;

namespace Sandbox86.Machines.Worker;

/// <summary>
/// Grows the worker's stdin and stdout pipes from Linux's 64 KiB to 1 MiB (<c>F_SETPIPE_SZ</c>). A 64 KiB
/// pipe hands a 10 MB file over in 160 writer/reader switches, and Node reads one pipe buffer per turn of
/// an event loop that v86 also runs on: measured under load, 1.2 s for 10 MB into the worker. With 1 MiB
/// libuv reads up to 32 chunks per turn and the writer rarely waits. Best effort: where the call is
/// refused (a lower <c>pipe-max-size</c>) the pipe keeps working at its old size.
/// </summary>
internal static partial class PipeCapacity
{
    private const int SetPipeSize = 1031; // F_SETPIPE_SZ, linux/fcntl.h
    internal const int Bytes = 1 << 20;

    public static void TryGrow(Stream stream)
    {
        if (stream is PipeStream pipe && OperatingSystem.IsLinux())
        {
            _ = Fcntl((int)pipe.SafePipeHandle.DangerousGetHandle(), SetPipeSize, Bytes);
        }
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);
}
