namespace Sandbox86.Images.Build;

/// <summary>
/// <c>--from-dockerfile</c>: only where a Docker engine answers. Builds for linux/386 and saves the image
/// as a docker-save archive for the OCI importer.
/// </summary>
internal static class DockerfileBuild
{
    public static async Task<string> SaveAsync(string dockerfile, IBuildProgress progress, CancellationToken cancellationToken)
    {
        if (!File.Exists(dockerfile))
        {
            throw new ImageException($"Dockerfile not found: {dockerfile}");
        }

        try
        {
            await HostCommand.RunAsync("docker", ["info", "--format", "{{.ServerVersion}}"], null, cancellationToken);
        }
        catch (ImageException)
        {
            throw new ImageException("a Dockerfile build needs a running Docker engine, and none answers here; build the image elsewhere and import its 'docker save' archive as an OCI image");
        }

        var tag = "sandbox86-build-" + Guid.NewGuid().ToString("N")[..12];
        var context = Path.GetDirectoryName(Path.GetFullPath(dockerfile))!;
        progress.Detail($"docker build --platform linux/386 -t {tag}");
        await HostCommand.RunAsync("docker", ["build", "--platform", "linux/386", "-t", tag, "-f", dockerfile, context], context, cancellationToken);
        var archive = Path.Combine(Util.SandboxPaths.Temp, tag + ".tar");
        Directory.CreateDirectory(Util.SandboxPaths.Temp);
        try
        {
            await HostCommand.RunAsync("docker", ["save", "-o", archive, tag], null, cancellationToken);
        }
        finally
        {
            try
            {
                await HostCommand.RunAsync("docker", ["rmi", tag], null, CancellationToken.None);
            }
            catch (ImageException)
            {
                // Leaving a tag behind is harmless.
            }
        }

        return archive;
    }
}
