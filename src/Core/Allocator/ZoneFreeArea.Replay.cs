using PageReportingActors.Memory;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Allocator;

/// <summary>A block as the zone holds it: where it starts, its order, what it is.</summary>
internal readonly record struct ZoneBlock(long Pfn, int Order, PageKind Kind, bool Reported)
{
    /// <summary>Pages in the block: 2^Order.</summary>
    public long Pages => 1L << Order;
    /// <summary>Whether the block of <paramref name="order"/> at <paramref name="pfn"/> lies wholly inside this one.</summary>
    public bool Contains(long pfn, int order) => pfn >= Pfn && pfn + (1L << order) <= Pfn + Pages;
}

/// <summary>Why a claim of a pfn range was refused. A refused claim changes nothing.</summary>
internal enum ClaimRefusal
{
    /// <summary>Not refused: the claim was made.</summary>
    None,
    /// <summary>Part of the range is lent to the device (R4): nobody may touch it until it comes back.</summary>
    Isolated,
    /// <summary>Part of the range is not managed by the allocator.</summary>
    Reserved,
    /// <summary>The range is not an aligned block inside the zone.</summary>
    OutsideZone,
}

/// <summary>
/// What a replay of a real guest's allocator trace needs: a layout taken from a snapshot, and
/// blocks taken by pfn (the trace says which block the guest took, not which one R1 would pick).
/// </summary>
public sealed partial class ZoneFreeArea
{
    /// <summary>The block that holds <paramref name="pfn"/>.</summary>
    internal ZoneBlock BlockContaining(long pfn)
    {
        if (!Contains(pfn, 0)) throw new ArgumentOutOfRangeException(nameof(pfn), $"pfn {pfn} is outside zone {Name}");
        // Blocks are aligned and do not overlap, so the one holding pfn starts at pfn rounded
        // down to its own order.
        for (var order = 0; order <= MaxOrder; order++)
        {
            var head = pfn & ~((1L << order) - 1);
            if (head < StartPfn) break;
            var s = _state[head - StartPfn];
            if (KindOf(s) != PageKind.None && (s & OrderMask) == order)
                return new ZoneBlock(head, order, KindOf(s), (s & ReportedBit) != 0);
        }
        throw new InvalidOperationException($"zone {Name}: pfn {pfn} is inside no block");
    }

    /// <summary>Whether [pfn, pfn + 2^order) is an aligned block inside the zone.</summary>
    internal bool HoldsRange(long pfn, int order) =>
        IsValidOrder(order) && Contains(pfn, order) && (pfn & ((1L << order) - 1)) == 0;

    /// <summary>
    /// Replaces the layout: the pages <paramref name="isFree"/> names become free blocks, as large
    /// as alignment allows, in pfn order on the tails of their lists; every other managed page is
    /// allocated. Reserved pages stay reserved; every pageblock becomes Movable. Only before any
    /// block is lent to the device.
    /// </summary>
    internal void ResetLayout(Func<long, bool> isFree)
    {
        ArgumentNullException.ThrowIfNull(isFree);
        if (IsolatedPages != 0) throw new InvalidOperationException($"zone {Name}: blocks are lent to the device");
        var reservedEnd = StartPfn;
        while (reservedEnd < EndPfn && KindOf(_state[reservedEnd - StartPfn]) == PageKind.Reserved)
            reservedEnd += 1L << (_state[reservedEnd - StartPfn] & OrderMask);

        Array.Clear(_state, (int)(reservedEnd - StartPfn), (int)(EndPfn - reservedEnd));
        Array.Fill(_heads, NoPage);
        Array.Fill(_tails, NoPage);
        Array.Clear(_listLengths);
        Array.Clear(_listReported);
        Array.Clear(_nrFree);
        Array.Fill(_pageblockTypes, Migratetype.Movable);
        FreePages = AllocatedPages = ReportedPages = 0;

        var runStart = reservedEnd;
        while (runStart < EndPfn)
        {
            var free = isFree(runStart);
            var runEnd = runStart + 1;
            while (runEnd < EndPfn && isFree(runEnd) == free) runEnd++;
            foreach (var block in CarveAligned(runStart, runEnd))
            {
                if (free)
                {
                    SetHead(block.Pfn, PageKind.Free, block.Order, reported: false);
                    AddToList(block.Pfn, block.Order, PageblockTypeOf(block.Pfn), toTail: true);
                    FreePages += block.Pages;
                }
                else
                {
                    SetHead(block.Pfn, PageKind.Allocated, block.Order, reported: false);
                    AllocatedPages += block.Pages;
                }
            }
            runStart = runEnd;
        }
    }

    /// <summary>
    /// Makes [pfn, pfn + 2^order) one allocated block, whatever it held: a free block that holds
    /// it is split as an allocation splits it (the other halves to the heads of their lists, R1);
    /// free blocks inside it leave their lists; an allocated block that holds it is split into
    /// allocated blocks around it; allocated blocks inside it become part of it. Refused, changing
    /// nothing, if any of it is isolated or reserved.
    /// </summary>
    internal ClaimRefusal Claim(long pfn, int order)
    {
        if (!HoldsRange(pfn, order)) return ClaimRefusal.OutsideZone;
        var container = BlockContaining(pfn);
        if (container.Order >= order)
        {
            switch (container.Kind)
            {
                case PageKind.Isolated: return ClaimRefusal.Isolated;
                case PageKind.Reserved: return ClaimRefusal.Reserved;
                case PageKind.Free:
                    RemoveFreeBlock(container.Pfn, container.Order);
                    ClearHead(container.Pfn);
                    SplitAround(pfn, order, container.Order, PageKind.Free);
                    break;
                default:
                    ClearHead(container.Pfn);
                    AllocatedPages -= container.Pages;
                    SplitAround(pfn, order, container.Order, PageKind.Allocated);
                    break;
            }
            SetHead(pfn, PageKind.Allocated, order, reported: false);
            AllocatedPages += 1L << order;
            return ClaimRefusal.None;
        }

        // Smaller blocks fill the range (aligned blocks either hold a range or lie inside it).
        var end = pfn + (1L << order);
        for (var p = pfn; p < end;)
        {
            var b = BlockContaining(p);
            if (b.Kind == PageKind.Isolated) return ClaimRefusal.Isolated;
            if (b.Kind == PageKind.Reserved) return ClaimRefusal.Reserved;
            p += b.Pages;
        }
        for (var p = pfn; p < end;)
        {
            var b = BlockContaining(p);
            if (b.Kind == PageKind.Free) RemoveFreeBlock(b.Pfn, b.Order);
            else AllocatedPages -= b.Pages;
            ClearHead(b.Pfn);
            p += b.Pages;
        }
        SetHead(pfn, PageKind.Allocated, order, reported: false);
        AllocatedPages += 1L << order;
        return ClaimRefusal.None;
    }

    /// <summary>
    /// The blocks a claim of (pfn, order) splits off a holding block of <paramref name="fromOrder"/>:
    /// the buddies on the way down, largest first.
    /// </summary>
    internal static IEnumerable<Block> SplitOffBuddies(long pfn, int order, int fromOrder)
    {
        for (var j = fromOrder - 1; j >= order; j--)
            yield return new Block((pfn & ~((1L << j) - 1)) ^ (1L << j), j);
    }

    private void SplitAround(long pfn, int order, int fromOrder, PageKind kind)
    {
        for (var j = fromOrder - 1; j >= order; j--)
        {
            var half = (pfn & ~((1L << j) - 1)) ^ (1L << j);
            SetHead(half, kind, j, reported: false);
            if (kind == PageKind.Free)
            {
                AddToList(half, j, PageblockTypeOf(half), toTail: false);
                FreePages += 1L << j;
            }
            else
            {
                AllocatedPages += 1L << j;
            }
        }
    }
}
