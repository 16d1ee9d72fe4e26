using PageReportingActors.Memory;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Allocator;

/// <summary>
/// How a zone that follows a kernel takes a block off the buddy lists: the requested
/// migratetype's lists from the smallest order up (R1); failing that, another type's block found
/// from the largest order down, whose pageblock the allocation may take over, as the kernel's
/// fallback does (6.1 and 6.12 differ in how).
/// </summary>
public sealed partial class ZoneFreeArea
{
    // The pageblock a fallback may take over is claimed when at least half of it is free or alike.
    private const int ClaimPages = PageblockPages / 2;
    // From this order a fallback for a movable allocation takes the whole pageblock's free blocks too.
    private const int StealWholeOrder = PageblockOrder / 2;

    /// <summary>Takes a block of <paramref name="order"/> for <paramref name="type"/> off the buddy lists, split as R1 says; false if there is none.</summary>
    private bool TakeBuddyBlock(int order, Migratetype type, out long pfn)
    {
        if (TakeSmallest(order, type, out pfn)) return true;
        if ((uint)type > (uint)Migratetype.Reclaimable) return false;
        if (_tunesHigh)
            return Claim612(order, type, out pfn) || Steal612(order, type, out pfn);
        // 6.1 moves a block (or a pageblock's worth) to the requested lists, then retries.
        while (Fallback61(order, type))
            if (TakeSmallest(order, type, out pfn)) return true;
        return false;
    }

    private bool TakeSmallest(int order, Migratetype type, out long pfn)
    {
        for (var o = order; o <= MaxOrder; o++)
        {
            var head = _heads[ListIndex(o, type)];
            if (head == NoPage) continue;
            pfn = StartPfn + head;
            RemoveFreeBlock(pfn, o);
            Expand(pfn, order, o, type);
            return true;
        }
        pfn = NoPage;
        return false;
    }

    /// <summary>Splits a block taken at <paramref name="high"/> down to <paramref name="low"/>; the halves go to the head of <paramref name="type"/>'s lists.</summary>
    private void Expand(long pfn, int low, int high, Migratetype type)
    {
        while (high > low)
        {
            high--;
            var half = pfn + (1L << high);
            SetHead(half, PageKind.Free, high, reported: false);
            AddToList(half, high, type, toTail: false);
            FreePages += 1L << high;
        }
    }

    /// <summary>The first fallback type with a free block of <paramref name="order"/>, or null; and whether the allocation may take over its pageblock.</summary>
    private Migratetype? SuitableFallback(int order, Migratetype type, out bool canSteal)
    {
        canSteal = false;
        if (_nrFree[order] == 0) return null;
        foreach (var fallback in Fallbacks(type))
        {
            if (fallback > Migratetype.Reclaimable) continue;
            if (_heads[ListIndex(order, fallback)] == NoPage) continue;
            canSteal = order >= StealWholeOrder || type is Migratetype.Unmovable or Migratetype.Reclaimable;
            return fallback;
        }
        return null;
    }

    /// <summary>6.1: largest fallback block first (the smallest for a movable allocation that could not take the pageblock), then steal it, its pageblock if it may.</summary>
    private bool Fallback61(int order, Migratetype type)
    {
        for (var o = MaxOrder; o >= order; o--)
        {
            var fallback = SuitableFallback(o, type, out var canSteal);
            if (fallback is null) continue;
            if (!canSteal && type == Migratetype.Movable && o > order)
            {
                for (o = order; o <= MaxOrder; o++)
                    if ((fallback = SuitableFallback(o, type, out canSteal)) is not null) break;
            }
            var pfn = StartPfn + _heads[ListIndex(o, fallback!.Value)];
            Steal61(pfn, o, type, canSteal);
            return true;
        }
        return false;
    }

    private void Steal61(long pfn, int order, Migratetype type, bool wholeBlock)
    {
        var oldType = PageblockTypeOf(pfn);
        var listType = ListTypeOf(pfn);
        if (oldType != Migratetype.HighAtomic)
        {
            if (order >= PageblockOrder)
                SetPageblockRange(pfn, order, type);
            else if (wholeBlock && PageblockWithinZone(pfn))
            {
                // 6.1 moves the pageblock's free blocks to the new lists whether or not it claims it.
                var free = FreePagesInPageblock(pfn);
                if (free + AlikePages(pfn, type, oldType, free) >= ClaimPages)
                    _pageblockTypes[(pfn >> PageblockOrder) - _firstPageblock] = type;
                MovePageblockFreeBlocks(pfn, type, oldType);
                return;
            }
        }
        MoveFreeBlock(pfn, order, listType, type);
    }

    /// <summary>6.12: largest fallback block first; take it over if it is a pageblock or more, or if half its pageblock is free or alike.</summary>
    private bool Claim612(int order, Migratetype type, out long pfn)
    {
        for (var o = MaxOrder; o >= order; o--)
        {
            var fallback = SuitableFallback(o, type, out var canSteal);
            if (fallback is null) continue;
            if (!canSteal) break;
            var page = StartPfn + _heads[ListIndex(o, fallback.Value)];
            var blockType = PageblockTypeOf(page);
            if (blockType == Migratetype.HighAtomic) continue;
            if (o >= PageblockOrder)
            {
                RemoveFreeBlock(page, o);
                SetPageblockRange(page, o, type);
                Expand(page, order, o, type);
                pfn = page;
                return true;
            }
            if (!PageblockWithinZone(page)) continue;
            var free = FreePagesInPageblock(page);
            if (free + AlikePages(page, type, blockType, free) >= ClaimPages)
            {
                _pageblockTypes[(page >> PageblockOrder) - _firstPageblock] = type;
                MovePageblockFreeBlocks(page, type, blockType);
                if (TakeSmallest(order, type, out pfn)) return true;
            }
        }
        pfn = NoPage;
        return false;
    }

    /// <summary>6.12: failing a claim, the smallest fallback block is split on its own lists and the allocation takes its first part.</summary>
    private bool Steal612(int order, Migratetype type, out long pfn)
    {
        for (var o = order; o <= MaxOrder; o++)
        {
            var fallback = SuitableFallback(o, type, out _);
            if (fallback is null) continue;
            pfn = StartPfn + _heads[ListIndex(o, fallback.Value)];
            RemoveFreeBlock(pfn, o);
            Expand(pfn, order, o, fallback.Value);
            return true;
        }
        pfn = NoPage;
        return false;
    }

    /// <summary>
    /// Pages of the pageblock the allocation counts as its kind. The model does not track the kind
    /// of allocated pages: those in a Movable pageblock count as movable, the rest as not.
    /// </summary>
    private long AlikePages(long pfn, Migratetype type, Migratetype blockType, long free)
    {
        var movable = blockType == Migratetype.Movable ? AllocatedPagesInPageblock(pfn) : 0;
        if (type == Migratetype.Movable) return movable;
        return blockType == Migratetype.Movable ? PageblockPages - (free + movable) : 0;
    }

    private bool PageblockWithinZone(long pfn)
    {
        var first = (pfn >> PageblockOrder) << PageblockOrder;
        return first + PageblockPages <= EndPfn && first >= StartPfn;
    }

    private long FreePagesInPageblock(long pfn) => PagesInPageblock(pfn, PageKind.Free);

    private long AllocatedPagesInPageblock(long pfn) => PagesInPageblock(pfn, PageKind.Allocated);

    private long PagesInPageblock(long pfn, PageKind kind)
    {
        var first = Math.Max(StartPfn, (pfn >> PageblockOrder) << PageblockOrder);
        var last = Math.Min(EndPfn, first + PageblockPages);
        long pages = 0;
        for (var p = first; p < last;)
        {
            var s = _state[p - StartPfn];
            if (KindOf(s) == PageKind.None) { p++; continue; }
            var size = 1L << (s & OrderMask);
            if (KindOf(s) == kind) pages += Math.Min(size, last - p);
            p += size;
        }
        return pages;
    }

    private void SetPageblockRange(long pfn, int order, Migratetype type)
    {
        for (var pb = pfn; pb < pfn + Math.Max(1L << order, PageblockPages); pb += PageblockPages)
            _pageblockTypes[(pb >> PageblockOrder) - _firstPageblock] = type;
    }

    /// <summary>Moves one free block to the tail of another type's list, keeping its flag.</summary>
    private void MoveFreeBlock(long pfn, int order, Migratetype old, Migratetype type)
    {
        if (old == type) return;
        RemoveFromList(pfn, order, old);
        AddToList(pfn, order, type, toTail: true);
        if (IsReported(pfn))
        {
            _listReported[ListIndex(order, old)]--;
            _listReported[ListIndex(order, type)]++;
        }
    }
}
