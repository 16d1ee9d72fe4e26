using PageReportingActors.Memory;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Allocator;

/// <summary>One CPU's per-CPU page lists of one zone, as zoneinfo shows them under <c>pagesets</c>.</summary>
public readonly record struct PerCpuListState(long Count, long High, long HighMin, long HighMax, int Batch);

/// <summary>What a periodic per-CPU tick did: whether it wants another tick, and the largest order a returned block merged to (-1 if none went back).</summary>
public readonly record struct PerCpuTick(bool MoreToDo, int HighestMergedOrder);

/// <summary>
/// One CPU's per-CPU lists of one zone (R21, R22): a list per order the kernel keeps there (0-3)
/// and per migratetype it tracks (Unmovable, Movable, Reclaimable), and two for transparent huge
/// pages (order 9: Movable and the rest). The links live in the zone's page arrays; this holds the
/// heads, tails, the page count and the kernel's tuning state.
/// </summary>
internal sealed class PerCpuLists
{
    public const int TrackedTypes = 3;
    /// <summary>PAGE_ALLOC_COSTLY_ORDER: the lists keep orders up to this one, and the THP order.</summary>
    public const int CostlyOrder = 3;
    public const int LowOrderLists = TrackedTypes * (CostlyOrder + 1);
    public const int ListCount = LowOrderLists + 2;

    public readonly int[] Heads = new int[ListCount];
    public readonly int[] Tails = new int[ListCount];
    public long Count;
    public long High;
    public long HighMin;
    public long HighMax;
    public int Batch;
    /// <summary>6.12: pages freed lately without an allocation in between (halved by each allocation).</summary>
    public long FreeCount;
    /// <summary>6.1: the shift applied to batch for the next flush (grows with a run of frees, halved by an allocation).</summary>
    public int FreeFactor;
    /// <summary>6.12: the shift applied to batch for the next order-0 refill (grows with a run of refills, halved by a free).</summary>
    public int AllocFactor;
    /// <summary>6.12: the last free was of order 1-3.</summary>
    public bool PrevFreeHighOrder;

    public PerCpuLists(PerCpuSizing sizing)
    {
        Array.Fill(Heads, -1);
        Array.Fill(Tails, -1);
        Batch = sizing.Batch;
        HighMin = sizing.HighMin;
        HighMax = sizing.HighMax;
        High = sizing.High;
    }

    /// <summary>Whether a free of <paramref name="order"/> goes to a per-CPU list (the buddy lists otherwise).</summary>
    public static bool Keeps(int order) => order <= CostlyOrder || order == PageblockOrder;

    public static int IndexOf(int order, Migratetype type) =>
        order <= CostlyOrder ? order * TrackedTypes + (int)type : LowOrderLists + (type == Migratetype.Movable ? 1 : 0);

    public static int OrderOf(int index) => index < LowOrderLists ? index / TrackedTypes : PageblockOrder;

    /// <summary>The migratetype a list holds, where one list holds one type (all but the non-Movable huge-page list).</summary>
    public static Migratetype? TypeOf(int index) =>
        index < LowOrderLists ? (Migratetype)(index % TrackedTypes) : index == LowOrderLists + 1 ? Migratetype.Movable : null;

    public PerCpuListState State => new(Count, High, HighMin, HighMax, Batch);
}
