using PageReportingActors.Memory;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Allocator;

/// <summary>What the reporting walk does to the lists: rotate, isolate (R4, R15), put back (R11). Internal: only the walk may isolate.</summary>
public sealed partial class ZoneFreeArea
{
    // ---- What the reporting walk needs ----

    /// <summary>The first block of a list, or -1.</summary>
    internal long ListHead(int order, Migratetype type)
    {
        var head = _heads[ListIndex(order, type)];
        return head == NoPage ? NoPage : StartPfn + head;
    }

    /// <summary>The block after <paramref name="pfn"/> on its list, or -1.</summary>
    internal long NextOnList(long pfn, int order)
    {
        var next = _links.Next((int)(pfn - StartPfn), order);
        return next == NoPage ? NoPage : StartPfn + next;
    }

    internal bool IsReported(long pfn) => (_state[pfn - StartPfn] & ReportedBit) != 0;

    internal bool IsFreeBlock(long pfn, int order)
    {
        if (!Contains(pfn, 0)) return false;
        var s = _state[pfn - StartPfn];
        return KindOf(s) == PageKind.Free && (s & OrderMask) == order;
    }

    internal bool IsIsolatedBlock(long pfn, int order)
    {
        if (!Contains(pfn, 0)) return false;
        var s = _state[pfn - StartPfn];
        return KindOf(s) == PageKind.Isolated && (s & OrderMask) == order;
    }

    // kernel: list_rotate_to_front in page_reporting_cycle (R9)
    /// <summary>
    /// Rotates a list so that <paramref name="pfn"/> is its head: the blocks before it move,
    /// in order, behind the old tail (the list is a ring with a movable start).
    /// </summary>
    internal void RotateToFront(long pfn, int order, Migratetype type)
    {
        var list = ListIndex(order, type);
        var index = (int)(pfn - StartPfn);
        var oldHead = _heads[list];
        if (oldHead == index) return;
        var newTail = _links.Prev(index, order);
        var oldTail = _tails[list];
        _links.SetNext(oldTail, order, oldHead);
        _links.SetPrev(oldHead, order, oldTail);
        _links.SetNext(newTail, order, NoPage);
        _links.SetPrev(index, order, NoPage);
        _heads[list] = index;
        _tails[list] = newTail;
    }

    // kernel: __isolate_free_page (R4, R9, R15)
    /// <summary>
    /// R4, R15: lends a free block to the device unless that would leave free pages at or below
    /// <c>min + 2^order</c>. Returns false (and changes nothing) in that case.
    /// </summary>
    internal bool TryIsolate(long pfn, int order)
    {
        if (!IsFreeBlock(pfn, order))
            throw new InvalidOperationException($"zone {Name}: {new Block(pfn, order)} is not a free block");
        if (FreePages <= Watermarks.Min + (1L << order)) return false;
        RemoveFreeBlock(pfn, order);
        SetHead(pfn, PageKind.Isolated, order, reported: false);
        IsolatedPages += 1L << order;
        if (order >= PageblockOrder - 1)
        {
            var end = pfn + Math.Max(1L << order, 1);
            for (var pb = pfn; pb < end; pb += PageblockPages)
            {
                var t = PageblockTypeOf(pb);
                if (t is Migratetype.Unmovable or Migratetype.Reclaimable)
                    SetPageblockType(pb, Migratetype.Movable);
            }
        }
        return true;
    }

    // kernel: __putback_isolated_page (R11)
    /// <summary>
    /// R11: returns an isolated block to the tail of its list without notifying. If
    /// <paramref name="flagReported"/> and the block did not merge on the way, it is flagged Reported.
    /// Returns whether it was flagged.
    /// </summary>
    internal bool PutBack(long pfn, int order, bool flagReported)
    {
        if (!IsIsolatedBlock(pfn, order))
            throw new InvalidOperationException($"zone {Name}: {new Block(pfn, order)} is not an isolated block");
        ClearHead(pfn);
        IsolatedPages -= 1L << order;
        PutFree(pfn, order, fromReport: true);
        if (!flagReported || !IsFreeBlock(pfn, order)) return false;
        _state[pfn - StartPfn] |= ReportedBit;
        _listReported[ListIndex(order, ListTypeOf(pfn))]++;
        ReportedPages += 1L << order;
        return true;
    }

    /// <summary>The pages of the watermark <paramref name="level"/>; 0 for <see cref="WatermarkLevel.None"/>.</summary>
    public long WatermarkPages(WatermarkLevel level) => level switch
    {
        WatermarkLevel.Min => Watermarks.Min,
        WatermarkLevel.Low => Watermarks.Low,
        WatermarkLevel.High => Watermarks.High,
        _ => 0,
    };
}
