using Sandbox86.Images;
using Sandbox86.Images.Store;
using Sandbox86.Machines.Worker;

namespace Sandbox86.Cli.Output;

/// <summary>Turns the library's user-facing exceptions into one clear line on stderr and an exit code.</summary>
internal static class CliError
{
    /// <summary>Exit code for errors of sandbox86 itself (docker uses 125 for the same).</summary>
    public const int ToolError = 125;

    public static async Task<int> GuardAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("sandbox86: cancelled");
            return 130;
        }
        catch (Exception e) when (IsUserFacing(e))
        {
            Console.Error.WriteLine($"sandbox86: error: {e.Message}");
            return ToolError;
        }
    }

    public static bool IsUserFacing(Exception e) =>
        e is ImageException or ImageStoreException or WorkerException or UsageException or TimeoutException or Runtime.HostPrerequisiteException
        || e.GetType().Name is "AgentException" or "MachineException";
}

/// <summary>A bad flag or argument combination.</summary>
internal sealed class UsageException : Exception
{
    public UsageException(string message) : base(message)
    {
    }
}
