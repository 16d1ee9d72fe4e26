using PageReportingActors.Memory;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Allocator;

/// <summary>R1, R2, R3: allocating and freeing blocks.</summary>
public sealed partial class ZoneFreeArea
{
    // kernel: __rmqueue_smallest, expand, __rmqueue_fallback; the floor is zone_watermark_ok (R1)
    /// <summary>
    /// R1: takes the head of the smallest order's list that has a block, preferring
    /// <paramref name="type"/>, and splits it; split-off halves go to the head of their lists.
    /// </summary>
    /// <remarks>
    /// R22: in a zone that follows a kernel, orders the per-CPU lists keep come from the head of
    /// <paramref name="cpu"/>'s list, refilled from the buddy lists when it is empty; the watermark
    /// is checked against the buddy lists' free pages first, as the kernel checks a zone before it
    /// takes from it. <paramref name="reserve"/> is the zone's lowmem_reserve against this
    /// allocation, added to the floor's watermark (zoneinfo's <c>protection</c>).
    /// </remarks>
    public AllocationResult Allocate(int order, Migratetype type = Migratetype.Movable, WatermarkLevel floor = WatermarkLevel.None, int cpu = 0, long reserve = 0)
    {
        if (!IsValidOrder(order)) return new(default, AllocationFailureReason.InvalidOrder);
        // Unmovable..Cma are 0..4: Isolate (5) and undefined values are refused by a range check,
        // which spares every allocation Enum.IsDefined's lookup.
        if ((uint)type >= (uint)Migratetype.Isolate) return new(default, AllocationFailureReason.InvalidMigratetype);
        if (_perCpu is not null) return AllocateAsKernel(order, type, floor, cpu, reserve);

        var found = FindBlock(order, type, out var pfn, out var foundOrder);
        if (!found) return new(default, AllocationFailureReason.OutOfMemory);
        if (floor != WatermarkLevel.None && FreePages - (1L << order) <= WatermarkPages(floor) + reserve)
            return new(default, AllocationFailureReason.BelowWatermark);

        RemoveFreeBlock(pfn, foundOrder);
        while (foundOrder > order)
        {
            foundOrder--;
            var half = pfn + (1L << foundOrder);
            SetHead(half, PageKind.Free, foundOrder, reported: false);
            AddToList(half, foundOrder, PageblockTypeOf(half), toTail: false);
            FreePages += 1L << foundOrder;
        }
        SetHead(pfn, PageKind.Allocated, order, reported: false);
        AllocatedPages += 1L << order;
        return new(new Block(pfn, order), null);
    }

    /// <summary>Checks a free without doing it.</summary>
    public FreeRejectionReason? CheckFree(long pfn, int order)
    {
        if (!IsValidOrder(order)) return FreeRejectionReason.InvalidOrder;
        if (!Contains(pfn, order)) return FreeRejectionReason.OutsideZone;
        if ((pfn & ((1L << order) - 1)) != 0) return FreeRejectionReason.Misaligned;
        var s = _state[pfn - StartPfn];
        return KindOf(s) switch
        {
            PageKind.Allocated when (s & OrderMask) == order => null,
            PageKind.Allocated => FreeRejectionReason.OrderMismatch,
            PageKind.Free or PageKind.PerCpu => FreeRejectionReason.AlreadyFree,
            PageKind.Isolated => FreeRejectionReason.Isolated,
            PageKind.Reserved => FreeRejectionReason.Reserved,
            _ => FreeRejectionReason.NotAllocated,
        };
    }

    // kernel: free_unref_page / __free_one_page (R2, R3, R5, R21)
    /// <summary>
    /// R2, R3: frees an allocated block, merging it with free buddies. R21: in a zone that follows a
    /// kernel, a block of an order the per-CPU lists keep goes to <paramref name="cpu"/>'s list
    /// instead, and may push older blocks from that list to the buddy lists.
    /// </summary>
    public FreeResult Free(long pfn, int order, int cpu = 0)
    {
        var rejection = CheckFree(pfn, order);
        if (rejection is not null) return new(default, rejection);
        if (_perCpu is not null && (uint)cpu >= (uint)_perCpu.Length) return new(default, FreeRejectionReason.InvalidCpu);
        ClearHead(pfn);
        AllocatedPages -= 1L << order;
        if (_perCpu is null) return new(PutFree(pfn, order, fromReport: false), null);
        if (PerCpuLists.Keeps(order)) return FreeToPerCpu(pfn, order, _perCpu[cpu]);
        var merged = PutFree(pfn, order, fromReport: false);
        return new(merged, null);
    }

    private AllocationResult AllocateAsKernel(int order, Migratetype type, WatermarkLevel floor, int cpu, long reserve)
    {
        if ((uint)cpu >= (uint)_perCpu!.Length) return new(default, AllocationFailureReason.InvalidCpu);
        if (floor != WatermarkLevel.None && FreePages - (1L << order) <= WatermarkPages(floor) + reserve)
            return new(default, AllocationFailureReason.BelowWatermark);
        // 6.12 notes when an allocation finds the zone at its high watermark: high then shrinks.
        if (_tunesHigh && !_belowHigh && FreePages - ((1L << order) - 1) <= Watermarks.High)
            _belowHigh = true;
        if (PerCpuLists.Keeps(order) && type <= Migratetype.Reclaimable)
            return AllocateFromPerCpu(order, type, _perCpu[cpu]);
        if (!TakeBuddyBlock(order, type, out var pfn)) return new(default, AllocationFailureReason.OutOfMemory);
        SetHead(pfn, PageKind.Allocated, order, reported: false);
        AllocatedPages += 1L << order;
        return new(new Block(pfn, order), null);
    }

    /// <summary>The order of the allocated block at <paramref name="pfn"/>, or -1 if none starts there.</summary>
    public int AllocatedOrderAt(long pfn) =>
        Contains(pfn, 0) && KindOf(_state[pfn - StartPfn]) == PageKind.Allocated ? _state[pfn - StartPfn] & OrderMask : -1;
}
