using Sandbox86.Images.Fs;
using Sandbox86.Images.Import;
using Sandbox86.Images.Store;

namespace Sandbox86.Images.Build;

public sealed partial class ImageBuilder
{
    private sealed record ImportedRootfs(FsTree Tree, IReadOnlyList<string> Warnings, ImageRunConfig? Config, string Source);

    private async Task<ImportedRootfs> ImportRootfsAsync(ImageBuildOptions options, ChunkStore chunks, CancellationToken cancellationToken)
    {
        var importOptions = new ImportOptions();
        switch (options.Source)
        {
            case ImageSourceKind.Debian:
            {
                var dir = await Debootstrap.EnsureAsync(options.Suite, options.Packages, _progress, cancellationToken);
                _progress.Detail("indexing the Debian rootfs");
                var result = DirectoryImporter.Import(dir, chunks, importOptions);
                RootfsPruning.PruneDebian(result.Tree);
                var packages = string.Join(',', ImageBuildOptions.BasePackages.Concat(AptLayer.PackagesFor(options.Packages)));
                return new ImportedRootfs(result.Tree, result.Report.Warnings, null, $"debian:{options.Suite}+{packages}");
            }

            case ImageSourceKind.Directory:
            {
                var result = DirectoryImporter.Import(options.SourcePath!, chunks, importOptions);
                return new ImportedRootfs(result.Tree, result.Report.Warnings, null, "dir:" + Path.GetFullPath(options.SourcePath!));
            }

            case ImageSourceKind.Tar:
            {
                var result = TarImporter.Import(options.SourcePath!, chunks, importOptions);
                return new ImportedRootfs(result.Tree, result.Report.Warnings, null, "tar:" + Path.GetFullPath(options.SourcePath!));
            }

            case ImageSourceKind.Oci:
            {
                var result = OciImporter.Import(options.SourcePath!, chunks, importOptions);
                return new ImportedRootfs(result.Tree, result.Report.Warnings, ToRunConfig(result.Report.Config), "oci:" + Path.GetFullPath(options.SourcePath!));
            }

            case ImageSourceKind.Env86:
            {
                var result = Env86Importer.Import(options.SourcePath!, chunks, importOptions);
                return new ImportedRootfs(result.Tree, result.Report.Warnings, null, "env86:" + Path.GetFullPath(options.SourcePath!));
            }

            case ImageSourceKind.Dockerfile:
            {
                var archive = await DockerfileBuild.SaveAsync(options.SourcePath!, _progress, cancellationToken);
                try
                {
                    var result = OciImporter.Import(archive, chunks, importOptions);
                    return new ImportedRootfs(result.Tree, result.Report.Warnings, ToRunConfig(result.Report.Config), "dockerfile:" + Path.GetFullPath(options.SourcePath!));
                }
                finally
                {
                    File.Delete(archive);
                }
            }

            default:
                throw new ImageException($"unknown source {options.Source}");
        }
    }

    private static ImageRunConfig? ToRunConfig(OciImageConfig? config) => config is null
        ? null
        : new ImageRunConfig { Env = config.Env, Cmd = config.Cmd, Entrypoint = config.Entrypoint, WorkingDir = config.WorkingDir, User = config.User };
}
