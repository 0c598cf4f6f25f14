namespace Sandbox86.Guest;

/// <summary>What the agent says about itself when the channel is (re)established.</summary>
public sealed record AgentHello
{
    /// <summary>Protocol version the agent speaks.</summary>
    public required int ProtocolVersion { get; init; }

    /// <summary>Agent build version.</summary>
    public required string AgentVersion { get; init; }

    /// <summary>Kernel identification: sysname, nodename, release, machine.</summary>
    public required string Uname { get; init; }

    /// <summary>The agent's process id in the guest.</summary>
    public required int Pid { get; init; }

    /// <summary>Host-to-guest window in bytes the agent grants after this hello.</summary>
    public required int Window { get; init; }

    internal static AgentHello Parse(ReadOnlySpan<byte> payload)
    {
        int proto = 0, pid = 0, window = 0;
        string version = "", uname = "";
        var r = new TlvReader(payload);
        while (r.Read())
        {
            switch (r.Tag)
            {
                case AgentTag.Proto: proto = r.Int32(); break;
                case AgentTag.AgentVersion: version = r.String(); break;
                case AgentTag.Uname: uname = r.String(); break;
                case AgentTag.Pid: pid = r.Int32(); break;
                case AgentTag.Window: window = r.Int32(); break;
                default: break;
            }
        }

        return new AgentHello { ProtocolVersion = proto, AgentVersion = version, Uname = uname, Pid = pid, Window = window };
    }
}
