namespace Sandbox86.Web;

/// <summary>What <see cref="WebSite.PrepareAsync"/> wrote.</summary>
/// <param name="Directory">The site's directory (serve it as it is, from any path).</param>
/// <param name="TotalBytes">The site's size on disk (sum of its files).</param>
/// <param name="StateBytes">The compressed VM state the page fetches before it restores.</param>
/// <param name="StateParts">How many parts the state was split into.</param>
/// <param name="Files">How many files the site holds.</param>
public sealed record WebSiteResult(string Directory, long TotalBytes, long StateBytes, int StateParts, int Files);
