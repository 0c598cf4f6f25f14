using Sandbox86.Guest;
using Sandbox86.Images.Store;

namespace Sandbox86.Sandboxes;

/// <summary>
/// <c>docker run</c>'s rules for turning an image and a <see cref="RunSpec"/> into one exec: entrypoint +
/// (arguments or the image's <c>Cmd</c>), the layered environment, and the image's user and working
/// directory unless the spec names its own.
/// </summary>
public static class ContainerSemantics
{
    /// <summary>The exec that <c>docker run</c> would start for <paramref name="spec"/> in <paramref name="image"/>.</summary>
    public static ExecRequest ToExecRequest(StoredImage image, RunSpec spec) => ToExecRequest(image.Name, image.Manifest.Config, spec);

    internal static ExecRequest ToExecRequest(string imageName, ImageRunConfig? config, RunSpec spec)
    {
        var argv = ArgvOf(imageName, config, spec.Command);
        var user = spec.User ?? NullIfEmpty(config?.User);
        return new ExecRequest
        {
            Argv = argv,
            Env = GuestEnvironment.Build(config, spec.Env, user),
            ReplaceEnv = true,
            WorkingDirectory = spec.WorkingDirectory ?? NullIfEmpty(config?.WorkingDir),
            User = user,
            Stdin = spec.Stdin || spec.Pty is not null,
            Timeout = spec.Timeout,
            Pty = spec.Pty,
            OutputCap = spec.OutputCap,
        };
    }

    /// <summary>Entrypoint, then the given arguments or else the image's default command.</summary>
    internal static string[] ArgvOf(string imageName, ImageRunConfig? config, IReadOnlyList<string> command)
    {
        string[] argv = [.. config?.Entrypoint ?? [], .. command.Count > 0 ? command : config?.Cmd ?? []];
        if (argv.Length == 0)
        {
            throw new SandboxRunException($"no command given, and image '{imageName}' has no default command");
        }

        return argv;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
