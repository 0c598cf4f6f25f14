namespace Sandbox86.Network.Wire;

/// <summary>The TCP options the stack understands (RFC 9293 MSS, RFC 7323 window scale and timestamps, RFC 2018 SACK-permitted).</summary>
internal readonly record struct TcpOptions(ushort? Mss, byte? WindowScale, bool SackPermitted, uint? TsVal, uint TsEcr)
{
    /// <summary>Bytes the options take on the wire, padded to a 32-bit boundary.</summary>
    public int Length
    {
        get
        {
            var n = 0;
            if (Mss is not null)
            {
                n += 4;
            }

            if (WindowScale is not null)
            {
                n += 4;
            }

            if (SackPermitted)
            {
                n += 4;
            }

            if (TsVal is not null)
            {
                n += 12;
            }

            return n;
        }
    }
}
