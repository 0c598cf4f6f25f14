using System.CommandLine;

namespace Sandbox86.Cli;

/// <summary>Builds the command tree and runs it.</summary>
internal static class CliApp
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("sandbox86: run untrusted code in a real Linux VM on v86");
        var parse = root.Parse(args);
        return await parse.InvokeAsync();
    }
}
