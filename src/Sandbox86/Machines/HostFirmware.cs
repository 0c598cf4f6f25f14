namespace Sandbox86.Machines;

/// <summary>The BIOS images: v86's npm package ships none, Debian's seabios package works (DESIGN.md).</summary>
internal static class HostFirmware
{
    public const string Bios = "/usr/share/seabios/bios.bin";
    public const string VgaBios = "/usr/share/seabios/vgabios-stdvga.bin";

    public static void Require()
    {
        if (!File.Exists(Bios) || !File.Exists(VgaBios))
        {
            throw new MachineException($"SeaBIOS not found ({Bios}); as root run: apt-get update && apt-get install -y seabios");
        }
    }
}
