using Sandbox86.Cli.Output;
using Sandbox86.Client;

namespace Sandbox86.Cli.Commands.Sandboxes;

/// <summary>
/// Exit codes of the sandbox verbs, as docker's: an unknown or not-running sandbox is exit 1 with one line
/// (docker's "No such container"); other failures of ours are 125 through <see cref="CliError"/>.
/// </summary>
internal static class VerbErrors
{
    public const int NoSuchSandbox = 1;

    public static async Task<int> GuardAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (SandboxApiException e) when (e.StatusCode is 404 or 409 or 412)
        {
            Console.Error.WriteLine($"sandbox86: error: {e.Message}");
            return NoSuchSandbox;
        }
        catch (ArgumentException e)
        {
            return CliError.Report(new UsageException(e.Message));
        }
        catch (Exception e)
        {
            return CliError.Report(e);
        }
    }

    /// <summary>Resolves an id or name; a paused sandbox is refused for data-plane verbs as docker refuses a paused container.</summary>
    public static async Task<SandboxInfo> RunningAsync(SandboxClient client, string idOrName, CancellationToken cancellationToken)
    {
        var sandbox = await client.FindAsync(idOrName, cancellationToken);
        if (sandbox.State == "paused")
        {
            throw new SandboxApiException(409, "409", $"sandbox {idOrName} is paused; resume it with 'sandbox86 resume {idOrName}'");
        }

        return sandbox;
    }
}
