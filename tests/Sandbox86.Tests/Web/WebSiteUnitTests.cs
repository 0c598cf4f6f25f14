using Sandbox86.Web;

namespace Sandbox86.Tests.Web;

public sealed class WebSiteUnitTests
{
    [Theory]
    [InlineData("ws://127.0.0.1:8086/")]
    [InlineData("wss://relay.example/net?token=t")]
    [InlineData("relay")]
    [InlineData("../relay")]
    public void Relay_urls_the_page_can_use_are_accepted(string url) => Assert.Equal(url, WebSite.ValidateRelayUrl(url));

    [Theory]
    [InlineData("http://127.0.0.1/")]
    [InlineData("javascript:alert(1)")]
    [InlineData("//elsewhere/relay")]
    [InlineData("")]
    public void Other_urls_are_refused(string url) => Assert.Throws<WebSiteException>(() => WebSite.ValidateRelayUrl(url));

    [Fact]
    public void The_state_is_split_into_parts_of_at_most_10_MB_that_concatenate_to_it()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sandbox86-split-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var data = new byte[WebSiteOptions.MaxStatePartBytes * 2 + 12345];
            new Random(7).NextBytes(data);
            var state = Path.Combine(dir, "state.zst");
            File.WriteAllBytes(state, data);
            var site = WebState.Split(state, Path.Combine(dir, "state"));
            Assert.Equal(3, site.Parts.Count);
            Assert.Equal(data.Length, site.Bytes);
            Assert.All(site.Parts, p => Assert.True(p.Bytes <= WebSiteOptions.MaxStatePartBytes));
            var joined = site.Parts.SelectMany(p => File.ReadAllBytes(Path.Combine(dir, p.Url))).ToArray();
            Assert.Equal(data, joined);
            Assert.Equal("state/state.zst.2", site.Parts[2].Url);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
