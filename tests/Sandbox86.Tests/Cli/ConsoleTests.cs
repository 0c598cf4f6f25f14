namespace Sandbox86.Tests.Cli;

/// <summary>Tests that swap Console.Error run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleTests
{
    public const string Name = "console";
}
