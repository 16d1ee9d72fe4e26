using PageReportingActors.Allocator;
using PageReportingActors.Guest;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;

namespace PageReportingActors.Benchmarks;

/// <summary>Zones the benchmarks share, so every mode measures the same shapes.</summary>
internal static class Zones
{
    public const long GiB = 1L << 30;

    /// <summary>DMA32 of a 1 GiB guest: about 1 GiB, 92% free, carved into order-10 blocks.</summary>
    public static ZoneSpec OneGiBZone() => X86GuestLayout.ForMemory(GiB).Single(z => z.Name == "DMA32");

    /// <summary>Normal of a 16 GiB guest: about 13 GiB, room for batches of 4096 order-9 blocks.</summary>
    public static ZoneSpec SixteenGiBNormalZone() => X86GuestLayout.ForMemory(16 * GiB).Single(z => z.Name == "Normal");

    /// <summary>The same zone following a kernel on one CPU, its per-CPU lists sized as that kernel sizes them.</summary>
    public static ZoneSpec OneGiBZone(KernelProfile kernel)
    {
        var zone = OneGiBZone();
        return zone with { Kernel = ZoneKernelSpec.Sized(kernel, 1, zone.Pages, zone.Watermarks.Low) };
    }

    public static ZoneFreeArea[] Guest(long bytes) => X86GuestLayout.ForMemory(bytes).Select(z => new ZoneFreeArea(z)).ToArray();

    public static long Pages(IEnumerable<ZoneFreeArea> zones) => zones.Sum(z => z.Pages);

    /// <summary>Allocates <paramref name="pages"/> order-0 pages and frees every other one: free order-0 blocks whose buddies are in use.</summary>
    public static void Fragment(ZoneFreeArea zone, int pages)
    {
        var got = new List<Block>(pages);
        for (var i = 0; i < pages; i++) got.Add(zone.Allocate(0).Block);
        for (var i = 0; i < got.Count; i += 2) zone.Free(got[i].Pfn, 0);
    }

    /// <summary>Runs passes with a device that accepts everything until no pass asks for another. Returns the passes run.</summary>
    public static int ReportCompletely(IReadOnlyList<ZoneFreeArea> zones, PassSettings settings, int maxPasses = 1000)
    {
        for (var pass = 1; pass <= maxPasses; pass++)
        {
            var outcome = PassRunner.RunPass(zones, settings, static (_, _) => true);
            if (!outcome.RequestAnotherPass) return pass;
        }
        throw new InvalidOperationException($"still asking for passes after {maxPasses}");
    }

    public static PassSettings DefaultSettings => new(PageGeometry.PageblockOrder, 32);
}
