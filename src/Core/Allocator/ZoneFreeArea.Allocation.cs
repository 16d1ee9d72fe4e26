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
    public AllocationResult Allocate(int order, Migratetype type = Migratetype.Movable, WatermarkLevel floor = WatermarkLevel.None)
    {
        if (!IsValidOrder(order)) return new(default, AllocationFailureReason.InvalidOrder);
        // Unmovable..Cma are 0..4: Isolate (5) and undefined values are refused by a range check,
        // which spares every allocation Enum.IsDefined's lookup.
        if ((uint)type >= (uint)Migratetype.Isolate) return new(default, AllocationFailureReason.InvalidMigratetype);

        var found = FindBlock(order, type, out var pfn, out var foundOrder);
        if (!found) return new(default, AllocationFailureReason.OutOfMemory);
        if (floor != WatermarkLevel.None && FreePages - (1L << order) <= WatermarkPages(floor))
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
            PageKind.Free => FreeRejectionReason.AlreadyFree,
            PageKind.Isolated => FreeRejectionReason.Isolated,
            PageKind.Reserved => FreeRejectionReason.Reserved,
            _ => FreeRejectionReason.NotAllocated,
        };
    }

    // kernel: __free_one_page (R2, R3, R5)
    /// <summary>R2, R3: frees an allocated block, merging it with free buddies.</summary>
    public FreeResult Free(long pfn, int order)
    {
        var rejection = CheckFree(pfn, order);
        if (rejection is not null) return new(default, rejection);
        ClearHead(pfn);
        AllocatedPages -= 1L << order;
        return new(PutFree(pfn, order, fromReport: false), null);
    }

    /// <summary>The order of the allocated block at <paramref name="pfn"/>, or -1 if none starts there.</summary>
    public int AllocatedOrderAt(long pfn) =>
        Contains(pfn, 0) && KindOf(_state[pfn - StartPfn]) == PageKind.Allocated ? _state[pfn - StartPfn] & OrderMask : -1;
}
