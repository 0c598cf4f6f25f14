namespace Sandbox86.Images.Build;

/// <summary>
/// The account E2B's images have and its SDKs assume: <c>user</c>, uid and gid 1000, home
/// <c>/home/user</c>, shell bash, passwordless sudo. Created with the tree's own useradd so passwd,
/// shadow, group and gshadow stay consistent.
/// </summary>
internal static class AgentAccount
{
    public const string Name = "user";
    public const int Id = 1000;

    /// <summary>The sudoers drop-in (mode 0440, as sudo requires; visudo-valid).</summary>
    internal const string Sudoers = "# sandbox86: passwordless sudo for the agent account, as on E2B\nuser ALL=(ALL:ALL) NOPASSWD: ALL\n";

    public static async Task CreateAsync(Chroot chroot, CancellationToken cancellationToken)
    {
        await chroot.RunAsync(["useradd", "--create-home", "--uid", $"{Id}", "--user-group", "--shell", "/bin/bash", Name], cancellationToken);
        var sudoers = Path.Combine(chroot.Root, "etc/sudoers.d", Name);
        File.WriteAllText(sudoers, Sudoers);
        File.SetUnixFileMode(sudoers, UnixFileMode.UserRead | UnixFileMode.GroupRead);
    }
}
