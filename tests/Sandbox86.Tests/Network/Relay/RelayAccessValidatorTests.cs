using System.Net;
using Sandbox86.Network.Relay;

namespace Sandbox86.Tests.Network.Relay;

public sealed class RelayAccessValidatorTests
{
    private static RelayAccessValidator WithToken(params string[] origins) => new("s3cret", origins);

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_token_is_refused_with_a_clear_error(string token)
    {
        var e = Assert.Throws<ArgumentException>(() => new RelayAccessValidator(token, []));
        Assert.Contains("token is empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_relay_refuses_an_empty_token_before_listening()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            WebSocketRelay.RunAsync(new RelayOptions { Token = "", Listen = new IPEndPoint(IPAddress.Loopback, 0) }, CancellationToken.None));
        Assert.Contains("token is empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_token_is_accepted_from_the_query_or_a_subprotocol_which_is_echoed()
    {
        var v = WithToken();
        Assert.Equal(new RelayAccessDecision(RelayAccessResult.Allowed, null), v.Check(null, "s3cret", []));
        var bySub = v.Check(null, null, ["binary", "s3cret"]);
        Assert.True(bySub.IsAllowed);
        Assert.Equal("s3cret", bySub.Subprotocol);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("s3cre")]
    [InlineData("s3cret2")]
    [InlineData("S3CRET")]
    public void A_missing_or_wrong_token_is_401(string? given)
    {
        var d = WithToken().Check(null, given, given is null ? [] : [given]);
        Assert.Equal(RelayAccessResult.Unauthorized, d.Result);
        Assert.Equal(401, d.StatusCode);
        Assert.Null(d.Subprotocol);
    }

    [Fact]
    public void The_token_is_checked_before_the_origin()
    {
        var v = WithToken("https://good.example");
        Assert.Equal(401, v.Check("https://evil.example", "nope", []).StatusCode);
        Assert.Equal(403, v.Check("https://evil.example", "s3cret", []).StatusCode);
        Assert.True(v.Check("https://good.example", "s3cret", []).IsAllowed);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("http://localhost:8000", true)]
    [InlineData("http://127.0.0.1", true)]
    [InlineData("http://[::1]:3000", true)]
    [InlineData("https://evil.example", false)]
    [InlineData("http://localhost.evil.example", false)]
    [InlineData("null", false)]
    public void Without_a_list_only_loopback_origins_pass(string? origin, bool allowed)
    {
        var v = new RelayAccessValidator(null, []);
        Assert.False(v.RequiresToken);
        Assert.Equal(allowed, v.Check(origin, null, []).IsAllowed);
        Assert.Equal(allowed ? 0 : 403, v.Check(origin, null, []).StatusCode);
    }

    [Fact]
    public void A_list_matches_exactly_ignoring_case_and_star_allows_all()
    {
        var v = new RelayAccessValidator(null, ["https://good.example"]);
        Assert.True(v.OriginAllowed("https://GOOD.example"));
        Assert.False(v.OriginAllowed("https://good.example.evil"));
        Assert.False(v.OriginAllowed("http://localhost"));
        Assert.True(new RelayAccessValidator(null, ["*"]).OriginAllowed("https://anything.example"));
    }

    [Fact]
    public void Without_a_token_any_query_passes()
    {
        var v = new RelayAccessValidator(null, []);
        Assert.True(v.Check(null, "whatever", ["x"]).IsAllowed);
        Assert.Null(v.Check(null, "whatever", ["x"]).Subprotocol);
        Assert.False(v.TokenMatches("whatever"));
    }
}
