namespace Sandbox86.Runtime;

/// <summary>What the host must be able to do; each adds its own prerequisites (see <see cref="HostPrerequisites"/>).</summary>
[Flags]
public enum HostFeatures
{
    /// <summary>Nothing beyond .NET.</summary>
    None = 0,

    /// <summary>Start machines: Node.js (20.10+), Debian's SeaBIOS files, libzstd.</summary>
    Machines = 1,

    /// <summary>Build any image: apt-get and dpkg-deb with the i386 architecture (kernel, busybox), xz and zstd for archives.</summary>
    ImageBuilds = 2,

    /// <summary>Build a Debian image from the archive: <see cref="ImageBuilds"/> plus debootstrap.</summary>
    DebianBuilds = 4 | ImageBuilds,
}
