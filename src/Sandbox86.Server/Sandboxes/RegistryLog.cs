using Microsoft.Extensions.Logging;

namespace Sandbox86.Server.Sandboxes;

/// <summary>The registry's log lines (source-generated, no allocation when disabled).</summary>
internal static partial class RegistryLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "created sandbox {Sandbox} from {Image} in {Ms} ms")]
    public static partial void Created(this ILogger log, string sandbox, string image, int ms);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Action} sandbox {Sandbox}")]
    public static partial void Changed(this ILogger log, string action, string sandbox);

    [LoggerMessage(Level = LogLevel.Warning, Message = "sandbox {Sandbox} expired and could not be stopped cleanly: {Error}")]
    public static partial void ExpiryFailed(this ILogger log, string sandbox, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "sandbox {Sandbox}: {Error}")]
    public static partial void PinFailed(this ILogger log, string sandbox, string error);
}
