using PageReportingActors.Memory;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Guest;

/// <summary>
/// Lays out an x86-64 guest's zones from its memory size: DMA below 16 MiB, DMA32 below 4 GiB
/// (RAM up to 3 GiB there, the rest is the PCI hole), Normal from 4 GiB. Watermarks follow the
/// kernel's recipe with transparent huge pages on (which is what sets them on the reference guest):
/// 11 pageblocks per zone for min, shared by managed size; low and high add a quarter of min each.
/// The kernel's own memory is 64 MiB plus 1.5% of the guest, taken from DMA32 upward.
/// </summary>
public static class X86GuestLayout
{
    /// <summary>End of the DMA zone: 16 MiB.</summary>
    public const long DmaEndPfn = 4096;                   // 16 MiB
    /// <summary>End of RAM below 4 GiB: 3 GiB; above it lies the PCI hole.</summary>
    public const long LowRamEndPfn = 3L << (30 - PageShift); // 3 GiB
    /// <summary>Start of the Normal zone: 4 GiB.</summary>
    public const long NormalStartPfn = 1L << (32 - PageShift); // 4 GiB
    /// <summary>Pages of the DMA zone the kernel holds at boot.</summary>
    public const long DmaKernelPages = 288;
    /// <summary>The smallest guest laid out: 64 MiB.</summary>
    public const long MinimumBytes = 64L << 20;

    /// <summary>
    /// As <see cref="ForMemory(long)"/>, each zone with <paramref name="kernel"/>'s own per-CPU sizing
    /// for <paramref name="cpus"/> vCPUs (every page of a laid-out zone is managed).
    /// </summary>
    public static IReadOnlyList<ZoneSpec> ForMemory(long bytes, KernelProfile kernel, int cpus)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return ForMemory(bytes)
            .Select(z => z with { Kernel = ZoneKernelSpec.Sized(kernel, cpus, z.Pages - z.ReservedPages, z.Watermarks.Low) })
            .ToList();
    }

    /// <summary>The zones of a guest with <paramref name="bytes"/> of memory, in pfn order.</summary>
    /// <param name="bytes">Guest memory: at least <see cref="MinimumBytes"/>, a whole number of pages.</param>
    /// <exception cref="ArgumentOutOfRangeException">The size is below the minimum or not a whole number of pages.</exception>
    public static IReadOnlyList<ZoneSpec> ForMemory(long bytes)
    {
        if (bytes < MinimumBytes)
            throw new ArgumentOutOfRangeException(nameof(bytes), $"guest memory {bytes} B is below the 64 MiB minimum");
        if (bytes % PageSize != 0)
            throw new ArgumentOutOfRangeException(nameof(bytes), $"guest memory {bytes} B is not a whole number of 4 KiB pages");
        var totalPages = bytes >> PageShift;

        var ranges = new List<(string Name, long Start, long Pages)> { ("DMA", 0, DmaEndPfn) };
        var dma32Pages = Math.Min(totalPages, LowRamEndPfn) - DmaEndPfn;
        ranges.Add(("DMA32", DmaEndPfn, dma32Pages));
        var normalPages = totalPages - DmaEndPfn - dma32Pages;
        if (normalPages > 0) ranges.Add(("Normal", NormalStartPfn, normalPages));

        var minFreePages = Math.Max(
            (long)Math.Sqrt((double)(totalPages << PageShift >> 10) * 16) >> (PageShift - 10),
            Math.Min(PageblockPages * 11L * ranges.Count, totalPages / 20));

        var kernelPages = (64L << (20 - PageShift)) + totalPages * 15 / 1000;
        var zones = new List<ZoneSpec>();
        foreach (var (name, start, pages) in ranges)
        {
            long allocated;
            if (name == "DMA") allocated = DmaKernelPages;
            else
            {
                allocated = Math.Min(kernelPages, pages / 2);
                kernelPages -= allocated;
            }
            var min = minFreePages * pages / totalPages;
            var step = Math.Max(min / 4, pages * 10 / 10000);
            zones.Add(new ZoneSpec(name, start, pages, pages - allocated, new Watermarks(min, min + step, min + 2 * step)));
        }
        return zones;
    }
}
