using Sandbox86.Cli.Output;
using Sandbox86.Images.Build;
using Sandbox86.Images.Store;
using Sandbox86.Runtime;
using Spectre.Console;

namespace Sandbox86.Cli.Commands.Run;

/// <summary>
/// Opens the image a command names; the default image is built on first use, so that
/// <c>./sandbox86 run -- …</c> on a fresh machine just works. Progress goes to stderr: stdout belongs
/// to the command.
/// </summary>
internal static class ImageResolver
{
    public static async Task<StoredImage> OpenAsync(string name, CancellationToken cancellationToken)
    {
        await HostSetup.EnsureAsync(HostFeatures.Machines, cancellationToken);
        var store = ImageStore.Default;
        if (name != "default" || store.Exists(name))
        {
            return store.Open(name);
        }

        await HostSetup.EnsureAsync(HostSetup.ForBuild(ImageSourceKind.Debian), cancellationToken);

        Console.Error.WriteLine("sandbox86: the default image is not built yet: building it now (once, about a minute)");
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var progress = new SpectreBuildProgress(console);
        var image = await new ImageBuilder(store, progress).BuildAsync(new ImageBuildOptions(), cancellationToken);
        progress.EndPhase();
        return image;
    }
}
