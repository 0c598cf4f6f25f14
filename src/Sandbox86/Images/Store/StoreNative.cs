using System.Runtime.InteropServices;

namespace Sandbox86.Images.Store;

/// <summary>
/// The few libc calls the store needs that .NET does not expose: <c>rename(2)</c> onto an existing
/// symlink (File.Move follows it and refuses a directory), <c>renameat2(RENAME_EXCHANGE)</c> to swap two
/// paths in one step, and <c>link(2)</c> to migrate an old-layout image without copying its chunks.
/// </summary>
internal static partial class StoreNative
{
    private const int AtFdCwd = -100;
    private const uint RenameExchange = 2;
    private const int ENOENT = 2;
    private const int EINVAL = 22;
    private const int ENOSYS = 38;

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameNative(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAt2Native(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkNative(string existing, string newPath);

    /// <summary>Atomically replaces <paramref name="newPath"/> (a file or symlink) with <paramref name="oldPath"/>.</summary>
    public static void Rename(string oldPath, string newPath)
    {
        if (RenameNative(oldPath, newPath) != 0)
        {
            throw Error("rename", oldPath, newPath);
        }
    }

    /// <summary>
    /// Swaps two existing paths atomically. Returns false when the kernel or filesystem cannot
    /// (the caller falls back to two renames) or <paramref name="b"/> does not exist.
    /// </summary>
    public static bool TryExchange(string a, string b)
    {
        if (RenameAt2Native(AtFdCwd, a, AtFdCwd, b, RenameExchange) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno is ENOENT or EINVAL or ENOSYS)
        {
            return false;
        }

        throw Error("renameat2", a, b, errno);
    }

    /// <summary>A hard link; false when the filesystem has none (the caller copies instead).</summary>
    public static bool TryLink(string existing, string newPath) => LinkNative(existing, newPath) == 0;

    private static IOException Error(string call, string a, string b, int? errno = null)
    {
        var code = errno ?? Marshal.GetLastPInvokeError();
        return new IOException($"{call}({a}, {b}) failed: {Marshal.GetPInvokeErrorMessage(code)}");
    }
}
