using Sandbox86.Images.Store;

namespace Sandbox86.WebTests.Infrastructure;

/// <summary>The default image, built by test.sh before the suite (a missing one is a failure, not a skip).</summary>
internal static class DefaultImage
{
    public static StoredImage Open()
    {
        var store = ImageStore.Default;
        Assert.True(store.Exists("default"), "the default image is not built: test.sh builds it with './sandbox86 image build'");
        return store.Open("default");
    }
}
