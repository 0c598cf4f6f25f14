using Sandbox86.Server.Pool;

namespace Sandbox86.ServerTests.Pool;

/// <summary><c>serve --pool</c>'s value: a bare count for the base template or per-template counts.</summary>
public sealed class PoolSpecTests
{
    [Fact]
    public void A_bare_count_is_the_base_templates_and_a_list_names_each_template()
    {
        Assert.Equal(new Dictionary<string, int> { ["base"] = 3 }, PoolSpec.Parse("3"));
        Assert.Equal(new Dictionary<string, int> { ["base"] = 2, ["python"] = 1 }, PoolSpec.Parse("base=2, python=1"));
        Assert.Equal(new Dictionary<string, int> { ["base"] = 0 }, PoolSpec.Parse("0"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("65")]
    [InlineData("base")]
    [InlineData("base=")]
    [InlineData("=2")]
    [InlineData("base=2,base=1")]
    [InlineData("base=x")]
    [InlineData("base=-1")]
    public void A_malformed_value_is_refused(string value) =>
        Assert.Throws<FormatException>(() => PoolSpec.Parse(value));
}
