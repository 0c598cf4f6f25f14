using System.CommandLine;
using System.Text.Json;
using Sandbox86.Cli.Output;
using Sandbox86.Images.Store;
using Spectre.Console;

namespace Sandbox86.Cli.Commands.Images;

/// <summary><c>sandbox86 image ls | inspect | rm</c>.</summary>
internal static class ImageListCommands
{
    public static Command CreateList()
    {
        var json = SharedOptions.Json();
        var command = new Command("ls", "List built images") { json };
        command.SetAction((parse, _) => CliError.GuardAsync(() =>
        {
            var images = ImageStore.Default.List().Select(i => ImageView.From(i)).ToList();
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(images, CliJsonContext.Readable.ListImageView));
                return Task.FromResult(0);
            }

            var table = new Table().AddColumns("NAME", "CREATED", "FILES", "SIZE", "SNAPSHOTS", "SOURCE");
            foreach (var i in images)
            {
                table.AddRow(Markup.Escape(i.Name), i.Created.ToString("yyyy-MM-dd HH:mm"), i.Stats.Files.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ImageView.Mib(i.SizeBytes) + " MiB", string.Join(' ', i.Snapshots), Markup.Escape(i.Source));
            }

            AnsiConsole.Write(table);
            return Task.FromResult(0);
        }));
        return command;
    }

    public static Command CreateInspect()
    {
        var json = SharedOptions.Json();
        var name = new Argument<string>("name") { Description = "Image name" };
        var command = new Command("inspect", "Show an image's manifest, size, file count and digests") { name, json };
        command.SetAction((parse, _) => CliError.GuardAsync(() =>
        {
            var view = ImageView.From(ImageStore.Default.Open(parse.GetValue(name)!));
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(view, CliJsonContext.Readable.ImageView));
                return Task.FromResult(0);
            }

            var grid = new Grid().AddColumn().AddColumn();
            grid.AddRow("name", Markup.Escape(view.Name));
            grid.AddRow("path", Markup.Escape(view.Path));
            grid.AddRow("created", view.Created.ToString("O"));
            grid.AddRow("source", Markup.Escape(view.Source));
            grid.AddRow("kernel", Markup.Escape(view.KernelVersion));
            grid.AddRow("memory", $"{view.MemoryMb} MB");
            grid.AddRow("files", $"{view.Stats.Files} files, {view.Stats.Directories} dirs, {view.Stats.Symlinks} symlinks, {ImageView.Mib(view.Stats.FileBytes)} MiB");
            grid.AddRow("on disk", $"{ImageView.Mib(view.SizeBytes)} MiB ({view.Stats.Chunks} chunks)");
            foreach (var (file, digest) in view.Digests)
            {
                grid.AddRow(Markup.Escape(file), Markup.Escape(digest));
            }

            grid.AddRow("snapshots", Markup.Escape(string.Join(' ', view.Snapshots)));
            AnsiConsole.Write(grid);
            return Task.FromResult(0);
        }));
        return command;
    }

    public static Command CreateRemove()
    {
        var name = new Argument<string>("name") { Description = "Image name" };
        var command = new Command("rm", "Remove an image name (its build goes once no running machine uses it)") { name };
        command.SetAction(async (parse, ct) => await CliError.GuardAsync(async () =>
        {
            var image = parse.GetValue(name)!;
            var store = ImageStore.Default;
            ImageStore.ValidateName(image);
            using (await Sandbox86.Util.FileLock.AcquireAsync(store.LockPath(image), TimeSpan.FromMinutes(5), null, ct))
            {
                store.Remove(image);
            }

            Console.WriteLine($"removed {image}");
            return 0;
        }));
        return command;
    }
}
