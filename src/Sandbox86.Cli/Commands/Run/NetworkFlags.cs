using System.CommandLine;
using Sandbox86.Machines;

namespace Sandbox86.Cli.Commands.Run;

/// <summary>
/// Network flags of <c>run</c>/<c>boot</c>. Until the network stack is wired in, the guest has no
/// reachable network and these flags are absent.
/// </summary>
internal static class NetworkFlags
{
    public static void AddTo(Command command)
    {
        _ = command;
    }

    public static object? Parse(ParseResult parse)
    {
        _ = parse;
        return null;
    }

    public static ValueTask<IAsyncDisposable> AttachAsync(object? network, Machine machine, CancellationToken cancellationToken)
    {
        _ = (network, machine, cancellationToken);
        return ValueTask.FromResult<IAsyncDisposable>(new Nothing());
    }

    private sealed class Nothing : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
