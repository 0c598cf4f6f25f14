namespace Sandbox86.Guest;

/// <summary>Outcome of <see cref="AgentFrame.Parse"/>.</summary>
internal enum AgentParseStatus
{
    /// <summary>A whole, valid frame was parsed.</summary>
    Frame,

    /// <summary>The input is a valid prefix; read more bytes.</summary>
    NeedMore,

    /// <summary>Bytes before the next magic that cannot start a frame.</summary>
    Garbage,

    /// <summary>Header with an unknown protocol version.</summary>
    BadVersion,

    /// <summary>Header whose length exceeds <see cref="AgentFrame.MaxPayload"/>.</summary>
    Oversize,

    /// <summary>Complete frame whose CRC does not match.</summary>
    BadCrc,
}
