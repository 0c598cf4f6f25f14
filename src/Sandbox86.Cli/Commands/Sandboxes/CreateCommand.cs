using System.CommandLine;
using Sandbox86.Cli.Commands.Run;
using Sandbox86.Cli.Output;
using Sandbox86.Client;

namespace Sandbox86.Cli.Commands.Sandboxes;

/// <summary><c>sandbox86 create</c>: a long-lived sandbox on the server; prints its id (like <c>docker create</c> + start).</summary>
internal static class CreateCommand
{
    /// <summary>An hour: long enough for an agent session; at its end the sandbox is paused to disk, not lost.</summary>
    public const int DefaultTimeoutSeconds = 3600;

    private static readonly Option<string> ImageOption = new("--image") { Description = "Image (template) name; 'base' is the agent image, or the default one", DefaultValueFactory = _ => "base" };
    private static readonly Option<string?> NameOption = new("--name") { Description = "Name to refer to it by (every verb takes the name or the id)" };
    private static readonly Option<int> TimeoutOption = new("--timeout") { Description = "Seconds until it is paused to disk (resume brings it back)", DefaultValueFactory = _ => DefaultTimeoutSeconds };
    private static readonly Option<string> NetOption = new("--net") { Description = "Network: 'internet' (the server's egress policy) or 'none'", DefaultValueFactory = _ => "internet" };
    private static readonly Option<string[]> EnvOption = new("--env", "-e") { Description = "Environment variable K=V of every command (repeatable)", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<string[]> VolumeOption = new("--volume", "-v") { Description = "Mount host directory HOST live at GUEST (HOST:GUEST[:ro], repeatable; the server must allow it with --mount-root)", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<int?> MemoryOption = SharedOptions.Memory();
    private static readonly Option<bool> JsonOption = SharedOptions.Json();

    public static Command Create()
    {
        var command = new Command("create", "Create a long-lived sandbox on the server and print its id")
        {
            ImageOption, NameOption, TimeoutOption, NetOption, EnvOption, VolumeOption, MemoryOption, JsonOption,
        };
        ServerFlags.AddTo(command);
        command.SetAction((parse, ct) => VerbErrors.GuardAsync(() => RunAsync(parse, ct)));
        return command;
    }

    internal static SandboxCreateOptions ToOptions(ParseResult parse)
    {
        var timeout = parse.GetValue(TimeoutOption);
        if (timeout is < 1 or > 86400)
        {
            throw new UsageException("--timeout must be between 1 and 86400 seconds");
        }

        var net = parse.GetValue(NetOption);
        if (net is not ("internet" or "none"))
        {
            throw new UsageException($"--net must be 'internet' or 'none', got '{net}'");
        }

        var memory = parse.GetValue(MemoryOption);
        if (memory is < 16)
        {
            throw new UsageException("--memory must be at least 16 (MB)");
        }

        var name = parse.GetValue(NameOption);
        if (name is not null)
        {
            try
            {
                SandboxClient.ValidateName(name);
            }
            catch (ArgumentException e)
            {
                throw new UsageException("--name: " + e.Message);
            }
        }

        return new SandboxCreateOptions
        {
            Template = parse.GetValue(ImageOption)!,
            Name = name,
            Timeout = TimeSpan.FromSeconds(timeout),
            AutoPause = true,
            AllowInternetAccess = net == "internet",
            EnvVars = EnvFlags.Parse(parse.GetValue(EnvOption) ?? []),
            MemoryMb = memory,
            Mounts = (parse.GetValue(VolumeOption) ?? []).Select(RunCommand.ParseVolume).ToList(),
        };
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var options = ToOptions(parse);
        using var client = await ServerFlags.ConnectAsync(parse, cancellationToken);
        var sandbox = await client.CreateAsync(options, cancellationToken);
        if (options.MemoryMb is { } wanted)
        {
            var info = await client.GetAsync(sandbox.SandboxId, cancellationToken);
            if (info.MemoryMb is { } got && got != wanted)
            {
                Console.Error.WriteLine($"sandbox86: warning: the server gave the sandbox {got} MB, not the {wanted} MB asked for (it does not take a memory size at create)");
            }
        }

        Console.WriteLine(parse.GetValue(JsonOption) ? SandboxJson.Format(await client.GetAsync(sandbox.SandboxId, cancellationToken)) : sandbox.SandboxId);
        return 0;
    }
}
