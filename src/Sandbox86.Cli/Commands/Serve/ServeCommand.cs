using System.CommandLine;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Sandbox86.Cli.Output;
using Sandbox86.Server;
using Sandbox86.Server.ControlPlane;
using Sandbox86.Server.Pool;
using Sandbox86.Util;

namespace Sandbox86.Cli.Commands.Serve;

/// <summary>
/// <c>sandbox86 serve</c>: the E2B-compatible API (control plane and envd) on one port. Without
/// <c>--api-key</c> it binds loopback only and accepts any key; with keys, only those.
/// </summary>
internal static class ServeCommand
{
    public const string DefaultListen = "127.0.0.1:49982";

    private static readonly Option<string> ListenOption = new("--listen") { Description = "host:port to listen on", DefaultValueFactory = _ => DefaultListen };
    private static readonly Option<string[]> ApiKeyOption = new("--api-key") { Description = "Accept this API key (repeatable; e2b_<hex>)" };
    private static readonly Option<int> MaxSandboxesOption = new("--max-sandboxes") { Description = "Most sandboxes at once (429 beyond)", DefaultValueFactory = _ => 16 };
    private static readonly Option<int> MemoryBudgetOption = new("--memory-budget") { Description = "MB of guest memory the running sandboxes may use (429 beyond)", DefaultValueFactory = _ => 4096 };
    private static readonly Option<string?> DataOption = new("--data") { Description = "Directory for the registry and paused sandboxes (default: SANDBOX86_HOME/serve)" };
    private static readonly Option<string> PoolOption = new("--pool") { Description = "Keep N restored, suspended sandboxes of the base template ready, or per template: base=2,python=1 (counted against --memory-budget)", DefaultValueFactory = _ => "0" };
    private static readonly Option<double> PoolRefillDelayOption = new("--pool-refill-delay") { Description = "Seconds the pool waits after a create before it restores a replacement", DefaultValueFactory = _ => 1 };
    private static readonly Option<double> IdleSuspendOption = new("--idle-suspend") { Description = "Seconds a sandbox may sit idle (no command, request or connection) before its emulator is suspended; the next request wakes it. 0 (the default) never suspends", DefaultValueFactory = _ => 0 };
    private static readonly Option<string[]> MountRootOption = new("--mount-root") { Description = "Let creates mount host directories under DIR (repeatable; none: no mounts)", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<bool> NewKeyOption = new("--new-key") { Description = "Generate an API key, print it and accept it" };

    public static Command Create()
    {
        var command = new Command("serve", "Serve the E2B API (sandboxes, commands, files) for the unmodified E2B SDKs")
        {
            ListenOption, ApiKeyOption, MaxSandboxesOption, MemoryBudgetOption, DataOption, NewKeyOption, PoolOption, PoolRefillDelayOption, IdleSuspendOption, MountRootOption,
        };
        command.SetAction((parse, ct) => CliError.GuardAsync(() => RunAsync(parse, ct)));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var listen = parse.GetValue(ListenOption)!;
        if (!IPEndPoint.TryParse(listen, out var endpoint) || endpoint.Port == 0)
        {
            throw new UsageException($"--listen must be IP:PORT, got '{listen}'");
        }

        var keys = (parse.GetValue(ApiKeyOption) ?? []).ToList();
        foreach (var key in keys)
        {
            if (!IsKeyShape(key))
            {
                throw new UsageException($"--api-key must look like e2b_<hex> (at least 32 hex digits)");
            }
        }

        if (parse.GetValue(NewKeyOption))
        {
            keys.Add(ApiKeyCheck.NewKey());
        }

        if (keys.Count == 0 && !IPAddress.IsLoopback(endpoint.Address))
        {
            throw new UsageException("listening on a non-loopback address needs --api-key or --new-key");
        }

        var max = parse.GetValue(MaxSandboxesOption);
        var budget = parse.GetValue(MemoryBudgetOption);
        if (max < 1 || budget < 64)
        {
            throw new UsageException("--max-sandboxes must be at least 1 and --memory-budget at least 64");
        }

        IReadOnlyDictionary<string, int> pool;
        try
        {
            pool = PoolSpec.Parse(parse.GetValue(PoolOption) ?? "0");
        }
        catch (FormatException e)
        {
            throw new UsageException($"--pool: {e.Message} (give N or TEMPLATE=N,...; each 0..{PoolSpec.MaxPerTemplate})");
        }

        var refill = parse.GetValue(PoolRefillDelayOption);
        if (refill < 0 || refill > 3600)
        {
            throw new UsageException("--pool-refill-delay must be 0..3600 seconds");
        }

        var idle = parse.GetValue(IdleSuspendOption);
        if (idle < 0 || idle > 86400)
        {
            throw new UsageException("--idle-suspend must be 0..86400 seconds");
        }

        IReadOnlyList<string> mountRoots;
        try
        {
            mountRoots = new Sandbox86.Mounts.MountPolicy(parse.GetValue(MountRootOption) ?? []).Roots;
        }
        catch (ArgumentException e)
        {
            throw new UsageException("--mount-root: " + e.Message);
        }

        var options = new ServerOptions
        {
            PoolTemplates = pool,
            IdleSuspendAfter = TimeSpan.FromSeconds(idle),
            MountRoots = mountRoots,
            PoolRefillDelay = TimeSpan.FromSeconds(refill),
            ApiKeys = keys,
            MaxSandboxes = max,
            MemoryBudgetMb = budget,
            DataDirectory = Path.GetFullPath(parse.GetValue(DataOption) ?? Path.Combine(SandboxPaths.Home, "serve")),
        };
        Directory.CreateDirectory(options.DataDirectory);
        await using var app = ServerHost.Build(options, endpoint.ToString());
        await app.StartAsync(cancellationToken);
        var url = $"http://{endpoint}";
        Console.WriteLine($"export E2B_API_URL={url}");
        Console.WriteLine($"export E2B_SANDBOX_URL={url}");
        Console.WriteLine($"export E2B_API_KEY={(keys.Count > 0 ? keys[^1] : ApiKeyCheck.NewKey())}");
        Console.Out.Flush();
        Console.Error.WriteLine(keys.Count == 0
            ? $"sandbox86 serve: listening on {url} (loopback, any API key accepted); Ctrl+C pauses running sandboxes and stops"
            : $"sandbox86 serve: listening on {url} ({keys.Count} API key(s)); Ctrl+C pauses running sandboxes and stops");
        try
        {
            // The host's console lifetime takes SIGINT/SIGTERM for itself: wait for either it or our token.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, app.Lifetime.ApplicationStopping);
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await app.StopAsync(CancellationToken.None);
        return 0;
    }

    internal static bool IsKeyShape(string key) =>
        key.StartsWith("e2b_", StringComparison.Ordinal) && key.Length >= 36 && key[4..].All(char.IsAsciiHexDigit);
}
