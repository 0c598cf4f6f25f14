namespace Sandbox86.Cli.Commands.Sandboxes;

/// <summary>
/// <c>docker exec C ls -la</c> has no <c>--</c>: everything after the container is the command. Our parser
/// would take <c>-la</c> for an option, so before parsing a <c>--</c> is put after the sandbox argument
/// when the user did not write one. <c>sandbox86 exec C -- sh -c '…'</c> is left as it is.
/// </summary>
internal static class ExecCommandLine
{
    /// <summary>exec's options that take a value in the next token.</summary>
    private static readonly HashSet<string> ValueOptions = new(StringComparer.Ordinal) { "-e", "--env", "-w", "--workdir", "-u", "--user", "--url", "--api-key" };

    public static string[] Normalize(string[] args)
    {
        var exec = Array.IndexOf(args, "exec");
        // Only when exec is the verb: the first token, or after global flags such as --debug.
        if (exec < 0 || args.Take(exec).Any(a => !a.StartsWith('-')) || Array.IndexOf(args, "--", exec) >= 0)
        {
            return args;
        }

        for (var i = exec + 1; i < args.Length; i++)
        {
            var token = args[i];
            if (ValueOptions.Contains(token))
            {
                i++;
                continue;
            }

            if (token.StartsWith('-') && token.Length > 1)
            {
                continue;
            }

            // The sandbox: the command starts after it.
            return i + 1 < args.Length ? [.. args[..(i + 1)], "--", .. args[(i + 1)..]] : args;
        }

        return args;
    }
}
