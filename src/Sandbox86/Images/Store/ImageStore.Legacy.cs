namespace Sandbox86.Images.Store;

/// <summary>
/// Migration of the first layout, where <c>images/NAME/</c> was the image directory itself. The first
/// open after an upgrade hard-links its files into <c>.builds/BUILDID/</c> (no chunk is copied) and then
/// swaps the directory for a symlink in one <c>renameat2(RENAME_EXCHANGE)</c>: every reader sees either
/// the old directory or the symlink to identical files, and a VM an older version started from
/// <c>images/NAME/chunks</c> keeps reading the same content through the symlink.
/// </summary>
public sealed partial class ImageStore
{
    private static readonly TimeSpan MigrationLockTimeout = TimeSpan.FromMinutes(10);

    private static bool IsLegacyDirectory(string pointer) =>
        Directory.Exists(pointer) && new DirectoryInfo(pointer).LinkTarget is null;

    /// <summary>Takes the image lock (waiting for a build or removal to finish) and migrates.</summary>
    private void MigrateLegacyLocked(string name)
    {
        Directory.CreateDirectory(Root);
        var deadline = DateTime.UtcNow + MigrationLockTimeout;
        while (true)
        {
            FileStream imageLock;
            try
            {
                imageLock = new FileStream(LockPath(name), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                // Open is synchronous; this wait happens once per image, on the first open after an upgrade.
                Thread.Sleep(100);
                continue;
            }
            catch (IOException e)
            {
                throw new ImageStoreException($"image '{name}' needs migrating to the build layout, but {LockPath(name)} stayed locked", e);
            }

            using (imageLock)
            {
                if (IsLegacyDirectory(Path.Combine(Root, name)))
                {
                    MigrateLegacy(name);
                }
            }

            return;
        }
    }

    /// <summary>Migrates <c>images/NAME/</c>; the caller holds the image lock.</summary>
    private void MigrateLegacy(string name)
    {
        var legacy = Path.Combine(Root, name);
        var manifest = StoredImage.Load(legacy).Manifest;
        ValidateBuildId(manifest.BuildId);
        Directory.CreateDirectory(BuildsRoot);
        var build = Path.Combine(BuildsRoot, manifest.BuildId);
        FileStream? hold;
        if (!Directory.Exists(build))
        {
            var work = Path.Combine(BuildsRoot, $".migrate.{Environment.ProcessId}.{Guid.NewGuid():N}");
            try
            {
                LinkTree(legacy, work, top: true);
                ConvertLegacySnapshots(Path.Combine(legacy, "snapshots"), Path.Combine(work, "snapshots"));
                BuildLease.TryShared(work, out hold);
                Directory.Move(work, build);
            }
            catch
            {
                TryDeleteDirectory(work);
                throw;
            }
        }
        else
        {
            // A previous migration got this far before it stopped.
            BuildLease.TryShared(build, out hold);
        }

        using (hold)
        {
            PointAt(name, manifest.BuildId);
        }
    }

    /// <summary>Swaps the legacy directory at <paramref name="pointer"/> for the new symlink and deletes it.</summary>
    private void ReplaceLegacyDirectory(string pointer, string link)
    {
        var dead = Path.Combine(BuildsRoot, $".dead-{Guid.NewGuid():N}");
        if (StoreNative.TryExchange(link, pointer))
        {
            Directory.Move(link, dead);
        }
        else
        {
            // No RENAME_EXCHANGE on this filesystem: for a moment the name is missing (we hold the
            // image lock, so no build or migration interleaves; a concurrent open may say "unknown").
            Directory.Move(pointer, dead);
            StoreNative.Rename(link, pointer);
        }

        TryDeleteDirectory(dead);
    }

    private static void LinkTree(string source, string target, bool top)
    {
        Directory.CreateDirectory(target);
        foreach (var entry in Directory.EnumerateFileSystemEntries(source))
        {
            var name = Path.GetFileName(entry);
            if (top && name is "snapshots" or BuildLease.FileName)
            {
                continue;
            }

            var destination = Path.Combine(target, name);
            if (Directory.Exists(entry))
            {
                LinkTree(entry, destination, top: false);
            }
            else if (!StoreNative.TryLink(entry, destination))
            {
                File.Copy(entry, destination);
            }
        }
    }

    /// <summary>Old snapshots were <c>boot-256m.state.zst</c> + <c>.json</c>; the unit is now a directory.</summary>
    private static void ConvertLegacySnapshots(string legacySnapshots, string snapshots)
    {
        if (!Directory.Exists(legacySnapshots))
        {
            return;
        }

        foreach (var state in Directory.EnumerateFiles(legacySnapshots, "boot-*m.state.zst"))
        {
            var sidecar = state + ".json";
            if (!File.Exists(sidecar))
            {
                continue;
            }

            var unit = Path.Combine(snapshots, Path.GetFileName(state)[..^".state.zst".Length]);
            Directory.CreateDirectory(unit);
            if (!StoreNative.TryLink(state, Path.Combine(unit, StoredImage.SnapshotStateFile)))
            {
                File.Copy(state, Path.Combine(unit, StoredImage.SnapshotStateFile));
            }

            File.Copy(sidecar, Path.Combine(unit, StoredImage.SnapshotMetaFile));
        }
    }
}
