using Microsoft.Extensions.Logging;

namespace Sandbox86.Server.Ui;

/// <summary>Log lines of the console's PTY sockets.</summary>
internal static partial class UiLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "console shell {Pid} opened in {Sandbox}")]
    public static partial void ShellOpened(ILogger log, int pid, string sandbox);

    [LoggerMessage(Level = LogLevel.Information, Message = "console shell {Pid} ends: {Reason}")]
    public static partial void SocketEnds(ILogger log, int pid, string reason);
}
