namespace Sandbox86.Network.Wire;

internal readonly record struct DnsQuestion(string Name, ushort Type, ushort Class);
