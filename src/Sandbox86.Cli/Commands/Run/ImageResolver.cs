using Sandbox86.Cli.Output;
using Sandbox86.Images.Build;
using Sandbox86.Images.Store;
using Sandbox86.Runtime;
using Spectre.Console;

namespace Sandbox86.Cli.Commands.Run;

/// <summary>
/// Opens the image a command names; the well-known images (default, base) are built on first use, so
/// that <c>./sandbox86 run -- …</c> on a fresh machine just works. Progress goes to stderr: stdout belongs
/// to the command.
/// </summary>
internal static class ImageResolver
{
    public static async Task<StoredImage> OpenAsync(string name, CancellationToken cancellationToken)
    {
        await HostSetup.EnsureAsync(HostFeatures.Machines, cancellationToken);
        var store = ImageStore.Default;
        if (store.Exists(name) || WellKnownImages.Find(name) is null)
        {
            return store.Open(name);
        }

        await HostSetup.EnsureAsync(HostSetup.ForBuild(ImageSourceKind.Debian), cancellationToken);

        Console.Error.WriteLine($"sandbox86: the {name} image is not built yet: building it now (once, {WellKnownImages.ExpectedBuildTime(name)})");
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var progress = new SpectreBuildProgress(console);
        var image = await new ImageBuilder(store, progress).OpenOrBuildAsync(name, cancellationToken);
        progress.EndPhase();
        return image;
    }
}
