using PageReportingActors.Allocator;
using PageReportingActors.Memory;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Guest;

/// <summary>
/// Which zone an allocation comes from, as the kernel chooses it: the zones from the allocation's
/// highest allowed one down, the first whose free pages stay above a watermark plus the
/// <c>lowmem_reserve</c> it keeps against allocations that could have gone higher (zoneinfo's
/// <c>protection</c>); first against the low watermark, then, as the slow path does, the min one.
/// Zones are given in zone-index order (x86-64: DMA 0, DMA32 1, Normal 2, Movable 3, Device 4).
/// </summary>
public static class ZoneChoice
{
    /// <summary>User memory (anonymous pages) may come from any zone up to Movable.</summary>
    public const int MovableZoneIndex = 3;

    /// <summary>The kernel's default <c>lowmem_reserve_ratio</c> per zone index (DMA, DMA32, Normal, Movable, Device).</summary>
    public static IReadOnlyList<int> DefaultReserveRatios { get; } = [256, 256, 32, 0, 0];

    /// <summary>
    /// The kernel's lowmem_reserve: for zone i and an allocation whose highest zone is j &gt; i, the
    /// managed pages of zones i+1..j divided by zone i's ratio (0 where the ratio or the zone's own
    /// managed pages are 0). One row per zone, one column per zone index.
    /// </summary>
    public static long[][] DefaultProtection(IReadOnlyList<long> managedPages, IReadOnlyList<int>? ratios = null)
    {
        ratios ??= DefaultReserveRatios;
        var zones = Math.Max(managedPages.Count, DefaultReserveRatios.Count);
        var rows = new long[zones][];
        for (var i = 0; i < zones; i++)
        {
            rows[i] = new long[zones];
            var ratio = i < ratios.Count ? ratios[i] : 0;
            var own = i < managedPages.Count ? managedPages[i] : 0;
            long above = 0;
            for (var j = i + 1; j < zones; j++)
            {
                above += j < managedPages.Count ? managedPages[j] : 0;
                rows[i][j] = ratio == 0 || own == 0 ? 0 : above / ratio;
            }
        }
        return rows;
    }

    /// <summary>
    /// The kernel's watermark check: free pages, less all but one page of the request, above
    /// <paramref name="mark"/> + <paramref name="reserve"/>; and for order &gt; 0, a free block of
    /// that order or larger on a list an ordinary allocation may use.
    /// </summary>
    public static bool WatermarkOk(ZoneFreeArea zone, int order, long mark, long reserve)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (!IsValidOrder(order)) throw new ArgumentOutOfRangeException(nameof(order), $"order {order} is outside 0..{MaxOrder}");
        var free = zone.FreePages - ((1L << order) - 1);
        if (free <= mark + reserve) return false;
        if (order == 0) return true;
        for (var o = order; o <= MaxOrder; o++)
            foreach (var type in (ReadOnlySpan<Migratetype>)[Migratetype.Unmovable, Migratetype.Movable, Migratetype.Reclaimable])
                if (zone.ListLength(o, type) > 0) return true;
        return false;
    }

    /// <summary>A zone's reserve against an allocation whose highest zone is <paramref name="highestZoneIndex"/>: its protection row's entry (a shorter row repeats its last value).</summary>
    public static long ReserveOf(IReadOnlyList<long> row, int highestZoneIndex)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.Count == 0 ? 0 : row[Math.Min(highestZoneIndex, row.Count - 1)];
    }

    /// <summary>
    /// The zone an allocation of <paramref name="order"/> takes, and the watermark it passed: the
    /// zones from <paramref name="highestZoneIndex"/> down against low, then against min. Null if
    /// none passes. <paramref name="protection"/>[i][j] is zone i's reserve against an allocation
    /// whose highest zone is j (a shorter row repeats its last value).
    /// </summary>
    public static (int Zone, WatermarkLevel Level)? Choose(
        IReadOnlyList<ZoneFreeArea> zones, IReadOnlyList<IReadOnlyList<long>> protection, int highestZoneIndex, int order)
    {
        ArgumentNullException.ThrowIfNull(zones);
        ArgumentNullException.ThrowIfNull(protection);
        if (protection.Count < zones.Count)
            throw new ArgumentException($"protection has {protection.Count} rows for {zones.Count} zones", nameof(protection));
        if (highestZoneIndex < 0) throw new ArgumentOutOfRangeException(nameof(highestZoneIndex), $"highest zone {highestZoneIndex} is negative");
        foreach (var level in (ReadOnlySpan<WatermarkLevel>)[WatermarkLevel.Low, WatermarkLevel.Min])
        {
            for (var i = Math.Min(highestZoneIndex, zones.Count - 1); i >= 0; i--)
            {
                var reserve = ReserveOf(protection[i], highestZoneIndex);
                if (WatermarkOk(zones[i], order, zones[i].WatermarkPages(level), reserve)) return (i, level);
            }
        }
        return null;
    }
}
