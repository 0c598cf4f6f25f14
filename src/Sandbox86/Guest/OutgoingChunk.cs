namespace Sandbox86.Guest;

/// <summary>Bytes queued for the guest; unmetered ones (hello requests) bypass the window.</summary>
internal readonly record struct OutgoingChunk(byte[] Bytes, bool Unmetered);
