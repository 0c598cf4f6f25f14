using System.CommandLine;
using Sandbox86.Cli;

return await CliApp.RunAsync(args);
