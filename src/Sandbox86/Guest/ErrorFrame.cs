namespace Sandbox86.Guest;

/// <summary>Decodes the agent's error payload (errno and message).</summary>
internal static class ErrorFrame
{
    public static AgentException ToException(AgentFrame frame)
    {
        var errno = 0;
        var message = "agent error";
        try
        {
            var r = new TlvReader(frame.Payload.Span);
            while (r.Read())
            {
                if (r.Tag == AgentTag.Errno)
                {
                    errno = r.Int32();
                }
                else if (r.Tag == AgentTag.Message)
                {
                    message = r.String();
                }
            }
        }
        catch (FormatException)
        {
            message = "malformed error from agent";
        }

        return new AgentException(message, errno);
    }
}
