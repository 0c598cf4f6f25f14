namespace Sandbox86.Images.Build;

/// <summary>
/// Makes <c>bash -l -c CMD</c> (how E2B runs every command) cheap in v86, where each fork+exec of a
/// cold binary costs 0.1-0.5 s: Debian's <c>/etc/profile</c> runs <c>$(id -u)</c> twice and root's
/// <c>~/.profile</c> runs <c>mesg n</c>, three processes before the command even starts. The lean files
/// keep the same PATH and prompts; they only avoid the subprocesses.
/// </summary>
internal static class LoginShell
{
    /// <summary>Debian's /etc/profile with <c>$EUID</c> (a bash builtin variable) instead of <c>$(id -u)</c>; dash still falls back to id.</summary>
    internal const string Profile = """
        # /etc/profile: system-wide .profile file for the Bourne shell (sh(1))
        # and Bourne compatible shells (bash(1), ksh(1), ash(1), ...).
        # sandbox86: Debian's file without subprocesses (bash knows $EUID; other shells ask id once).

        __uid=${EUID:-$(id -u)}
        if [ "$__uid" -eq 0 ]; then
          PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        else
          PATH="/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"
        fi
        export PATH

        if [ "${PS1-}" ]; then
          if [ "${BASH-}" ] && [ "$BASH" != "/bin/sh" ]; then
            # The file bash.bashrc already sets the default PS1.
            if [ -f /etc/bash.bashrc ]; then
              . /etc/bash.bashrc
            fi
          else
            if [ "$__uid" -eq 0 ]; then
              PS1='# '
            else
              PS1='$ '
            fi
          fi
        fi
        unset __uid

        if [ -d /etc/profile.d ]; then
          for i in /etc/profile.d/*.sh; do
            if [ -r $i ]; then
              . $i
            fi
          done
          unset i
        fi

        """;

    /// <summary>Root's ~/.profile: <c>mesg n</c> only where it means something (a terminal), tested with a builtin.</summary>
    internal const string RootProfile = """
        # ~/.profile: executed by Bourne-compatible login shells.

        if [ "$BASH" ]; then
          if [ -f ~/.bashrc ]; then
            . ~/.bashrc
          fi
        fi

        # sandbox86: only on a terminal, so a non-interactive login shell forks nothing.
        if [ -t 0 ]; then
          mesg n 2> /dev/null || true
        fi

        """;

    /// <summary>Files that source bash-completion (seconds of parsing in v86) from every interactive shell.</summary>
    internal static readonly string[] CompletionHooks = ["etc/profile.d/bash_completion.sh", "etc/bash_completion"];

    public static void Apply(string root)
    {
        File.WriteAllText(Path.Combine(root, "etc/profile"), Profile);
        File.WriteAllText(Path.Combine(root, "root/.profile"), RootProfile);
        foreach (var hook in CompletionHooks)
        {
            File.Delete(Path.Combine(root, hook));
        }
    }
}
