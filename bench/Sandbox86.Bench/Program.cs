using Sandbox86.Bench.Network;

if (args is ["relay-throughput", ..])
{
    return await RelayThroughput.RunAsync();
}

Console.WriteLine("bench: relay-throughput");
return 0;
