namespace Sandbox86.Guest;

/// <summary>Receives the frames of one stream id. Called on the receive loop: must not block.</summary>
internal interface IAgentStreamHandler
{
    /// <summary>Handles a frame; returns true when the stream is finished and can be forgotten.</summary>
    bool OnFrame(AgentFrame frame);

    /// <summary>The channel died or the agent restarted.</summary>
    void OnFault(AgentException error);
}
