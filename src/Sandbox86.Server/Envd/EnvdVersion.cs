namespace Sandbox86.Server.Envd;

/// <summary>The envd version we report; the SDK gates features on it (stdin 0.3.0, default user 0.4.0, octet-stream upload 0.5.7).</summary>
internal static class EnvdVersion
{
    /// <summary>0.5.7: octet-stream upload works; file metadata (0.6.2) and FS event entries (0.6.3) are not claimed.</summary>
    public const string Current = "0.5.7";
}
