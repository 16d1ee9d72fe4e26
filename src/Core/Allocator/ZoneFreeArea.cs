using PageReportingActors.Memory;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Allocator;

/// <summary>The outcome of an allocation: a block, or why there is none.</summary>
public readonly record struct AllocationResult(Block Block, AllocationFailureReason? Failure)
{
    /// <summary>Whether a block was allocated.</summary>
    public bool Succeeded => Failure is null;
}

/// <summary>
/// The outcome of a free: the block as it ended up after merging (the freed block itself if it
/// went to a per-CPU list), or why the free was refused. <paramref name="HighestMergedOrder"/> is
/// the largest order any block reached on the buddy lists in this free (the freed block, or blocks
/// a per-CPU list gave back), -1 if none did: R5 notifies on it.
/// </summary>
public readonly record struct FreeResult(Block Merged, FreeRejectionReason? Rejection, int HighestMergedOrder)
{
    /// <summary>A free whose highest merged order is the merged block's, or -1 when refused.</summary>
    public FreeResult(Block merged, FreeRejectionReason? rejection)
        : this(merged, rejection, rejection is null ? merged.Order : -1)
    {
    }

    /// <summary>Whether the block was freed.</summary>
    public bool Succeeded => Rejection is null;

    /// <summary>R21: the freed block is on a per-CPU list, not on the buddy lists.</summary>
    public bool OnPerCpuList { get; init; }
}

/// <summary>
/// One zone's buddy allocator: per order and migratetype an ordered free list, per order a free
/// count, per pageblock a migratetype, and per page a one-byte state. No Akka here: the zone actor
/// turns messages into calls on this class, and the reporting walk drives it directly.
/// </summary>
/// <remarks>
/// Memory per page: a byte of state plus the two list links (int each), 9 bytes. Only block heads
/// carry a state; pages inside a block are <see cref="PageKind.None"/>, so splits and merges touch
/// heads only.
/// </remarks>
public sealed partial class ZoneFreeArea
{
    private const int NoPage = -1;
    private const int ListCount = OrderCount * MigratetypeCount;

    // Page state byte: bits 0-3 order, bits 4-6 kind, bit 7 Reported.
    private const byte OrderMask = 0x0F;
    private const int KindShift = 4;
    private const byte KindMask = 0x70;
    private const byte ReportedBit = 0x80;

    private readonly byte[] _state;
    private readonly BlockLinks _links;
    private readonly int[] _heads = new int[ListCount];
    private readonly int[] _tails = new int[ListCount];
    private readonly long[] _listLengths = new long[ListCount];
    // Reported blocks per list, so a walk knows when only reported blocks are left to skip.
    private readonly long[] _listReported = new long[ListCount];
    private readonly long[] _nrFree = new long[OrderCount];
    private readonly Migratetype[] _pageblockTypes;
    private readonly long _firstPageblock;
    // Free blocks whose list is not their pageblock's type (the kernel allows it in places): by page index.
    private readonly Dictionary<int, Migratetype> _listTypeOverrides = new();

    /// <summary>A zone laid out as <paramref name="spec"/> describes: reserved pages first, then allocated ones (with a kernel, the last of them start on the per-CPU lists), the rest free in the largest aligned blocks.</summary>
    /// <exception cref="ArgumentException">The description is unusable (see <see cref="Validate"/>).</exception>
    public ZoneFreeArea(ZoneSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var error = Validate(spec);
        if (error is not null)
            throw new ArgumentException($"zone {spec.Name}: {error}", nameof(spec));

        Name = spec.Name;
        StartPfn = spec.StartPfn;
        Pages = spec.Pages;
        Watermarks = spec.Watermarks;
        _state = new byte[Pages];
        _links = new BlockLinks(Pages, OrderCount);
        Array.Fill(_heads, NoPage);
        Array.Fill(_tails, NoPage);

        _firstPageblock = StartPfn >> PageblockOrder;
        var lastPageblock = (EndPfn - 1) >> PageblockOrder;
        _pageblockTypes = new Migratetype[lastPageblock - _firstPageblock + 1];
        Array.Fill(_pageblockTypes, Migratetype.Movable);

        var reservedEnd = StartPfn + spec.ReservedPages;
        var allocatedEnd = EndPfn - spec.FreePages;
        Kernel = spec.Kernel;
        // The kernel boots with every pageblock Movable; without a kernel, the model puts the
        // kernel's own memory in Unmovable pageblocks.
        if (Kernel is null)
            for (var pb = _firstPageblock; pb < _firstPageblock + _pageblockTypes.Length; pb++)
                if (pb << PageblockOrder < allocatedEnd)
                    _pageblockTypes[pb - _firstPageblock] = Migratetype.Unmovable;
        var perCpuStart = allocatedEnd - (Kernel?.InitialPerCpuPages ?? 0);

        foreach (var block in CarveAligned(StartPfn, reservedEnd))
        {
            SetHead(block.Pfn, PageKind.Reserved, block.Order, reported: false);
            ReservedPages += block.Pages;
        }
        foreach (var block in CarveAligned(reservedEnd, perCpuStart))
        {
            SetHead(block.Pfn, PageKind.Allocated, block.Order, reported: false);
            AllocatedPages += block.Pages;
        }
        if (Kernel is not null)
        {
            _tunesHigh = Kernel.Profile.TunesHigh;
            _perCpu = CreatePerCpuLists(Kernel, perCpuStart, allocatedEnd);
        }
        foreach (var block in CarveAligned(allocatedEnd, EndPfn))
        {
            SetHead(block.Pfn, PageKind.Free, block.Order, reported: false);
            AddToList(block.Pfn, block.Order, PageblockTypeOf(block.Pfn), toTail: true);
            FreePages += block.Pages;
        }
    }

    /// <summary>The zone's name ("DMA32", "Normal", ...).</summary>
    public string Name { get; }
    /// <summary>The guest kernel this zone follows, or null for the model without per-CPU lists.</summary>
    public ZoneKernelSpec? Kernel { get; }
    /// <summary>The zone's first page frame.</summary>
    public long StartPfn { get; }
    /// <summary>The zone's size in pages, managed or not.</summary>
    public long Pages { get; }
    /// <summary>The first page frame after the zone.</summary>
    public long EndPfn => StartPfn + Pages;
    /// <summary>The zone's min, low and high watermarks, in pages.</summary>
    public Watermarks Watermarks { get; }

    /// <summary>Pages in free blocks on the lists (I4).</summary>
    public long FreePages { get; private set; }
    /// <summary>Pages in free blocks that carry the Reported flag.</summary>
    public long ReportedPages { get; private set; }
    /// <summary>Pages lent to the device (R4).</summary>
    public long IsolatedPages { get; private set; }
    /// <summary>Pages in allocated blocks.</summary>
    public long AllocatedPages { get; private set; }
    /// <summary>Pages the allocator does not manage.</summary>
    public long ReservedPages { get; }

    /// <summary>Bytes the zone's list links take: what it costs beyond its byte of state per page.</summary>
    internal long LinkBytes => _links.Bytes;

    /// <summary>Free blocks of <paramref name="order"/> over all migratetypes.</summary>
    public long NrFree(int order) => _nrFree[order];

    /// <summary>Free blocks on one list.</summary>
    public long ListLength(int order, Migratetype type) => _listLengths[ListIndex(order, type)];

    /// <summary>Blocks on one list that are not flagged Reported.</summary>
    public long UnreportedOnList(int order, Migratetype type)
    {
        var list = ListIndex(order, type);
        return _listLengths[list] - _listReported[list];
    }

    /// <summary>
    /// The largest zone: the model keeps 9 bytes of state per page, so 2^28 pages (1 TiB) take 2.3 GiB;
    /// beyond it a zone would fail with out-of-memory instead of a clear error.
    /// </summary>
    public const long MaxZonePages = 1L << 28;

    /// <summary>
    /// Pfns end below 2^40: every address (pfn &lt;&lt; 12) then fits x86-64's 52-bit physical address
    /// space, and no address handed to a device wraps around.
    /// </summary>
    public const long MaxEndPfn = 1L << 40;

    /// <summary>Returns why a zone description is unusable, or null if it is fine.</summary>
    public static string? Validate(ZoneSpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.Name)) return "name is empty";
        if (spec.StartPfn < 0) return $"startPfn {spec.StartPfn} is negative";
        if (spec.Pages <= 0) return $"pages {spec.Pages} must be positive";
        if (spec.Pages > MaxZonePages) return $"pages {spec.Pages} is more than {MaxZonePages} (1 TiB) per zone";
        if (spec.StartPfn > MaxEndPfn - spec.Pages)
            return $"startPfn {spec.StartPfn} + pages {spec.Pages} ends beyond pfn {MaxEndPfn} (a 52-bit physical address)";
        if (spec.FreePages < 0 || spec.FreePages > spec.Pages) return $"freePages {spec.FreePages} is not within 0..{spec.Pages}";
        if (spec.ReservedPages < 0 || spec.ReservedPages + spec.FreePages > spec.Pages)
            return $"reservedPages {spec.ReservedPages} does not fit beside {spec.FreePages} free pages in {spec.Pages}";
        var w = spec.Watermarks;
        if (w is null) return "watermarks are missing";
        if (w.Min < 0 || w.Low < w.Min || w.High < w.Low)
            return $"watermarks must satisfy 0 <= min <= low <= high (got {w.Min}, {w.Low}, {w.High})";
        if (w.High > spec.Pages)
            return $"watermarks: high {w.High} is more than the zone's {spec.Pages} pages";
        if (spec.Kernel is { } kernel)
        {
            if (kernel.Profile is null) return "kernel profile is missing";
            if (kernel.Cpus is < 1 or > MaxCpus) return $"cpus {kernel.Cpus} is not within 1..{MaxCpus}";
            if (kernel.PerCpu is null) return "per-CPU list sizing is missing";
            if (kernel.PerCpu.Validate() is { } pcpError) return $"per-CPU lists: {pcpError}";
            if (kernel.InitialPerCpuPages < 0 || kernel.InitialPerCpuPages > spec.Pages - spec.FreePages - spec.ReservedPages)
                return $"per-CPU count {kernel.InitialPerCpuPages} does not fit in the {spec.Pages - spec.FreePages - spec.ReservedPages} pages below the free ones";
        }
        return null;
    }

    /// <summary>Splits [start, end) into blocks as large as their alignment allows.</summary>
    public static IEnumerable<Block> CarveAligned(long start, long end)
    {
        var pfn = start;
        while (pfn < end)
        {
            var order = MaxOrder;
            while (order > 0 && ((pfn & ((1L << order) - 1)) != 0 || pfn + (1L << order) > end))
                order--;
            yield return new Block(pfn, order);
            pfn += 1L << order;
        }
    }

    /// <summary>The migratetype of the pageblock <paramref name="pfn"/> lies in.</summary>
    public Migratetype PageblockTypeOf(long pfn) => _pageblockTypes[(pfn >> PageblockOrder) - _firstPageblock];

    /// <summary>
    /// Sets a pageblock's migratetype and moves the free blocks that start in it to the new list,
    /// as the kernel does when a pageblock changes hands.
    /// </summary>
    public void SetPageblockType(long pfn, Migratetype type)
    {
        if (!Contains(pfn, 0)) throw new ArgumentOutOfRangeException(nameof(pfn), $"pfn {pfn} is outside zone {Name}");
        var index = (pfn >> PageblockOrder) - _firstPageblock;
        var before = _pageblockTypes[index];
        if (before == type) return;
        _pageblockTypes[index] = type;
        MovePageblockFreeBlocks(pfn, type, before);
    }

    /// <summary>
    /// Moves the free blocks that start in <paramref name="pfn"/>'s pageblock to the tails of
    /// <paramref name="type"/>'s lists; a block that starts in an earlier pageblock keeps its list.
    /// <paramref name="before"/> is the pageblock's type before any change the caller made.
    /// Returns the free pages moved.
    /// </summary>
    private long MovePageblockFreeBlocks(long pfn, Migratetype type, Migratetype before)
    {
        var first = Math.Max(StartPfn, (pfn >> PageblockOrder) << PageblockOrder);
        var last = Math.Min(EndPfn, ((pfn >> PageblockOrder) + 1) << PageblockOrder);
        long moved = 0;
        for (var p = first; p < last; p++)
        {
            var s = _state[p - StartPfn];
            if (KindOf(s) != PageKind.Free) continue;
            var order = s & OrderMask;
            var old = _listTypeOverrides.Count != 0 && _listTypeOverrides.TryGetValue((int)(p - StartPfn), out var listed) ? listed : before;
            moved += 1L << order;
            if (old == type) continue;
            RemoveFromList(p, order, old);
            AddToList(p, order, type, toTail: true);
            if ((s & ReportedBit) != 0)
            {
                _listReported[ListIndex(order, old)]--;
                _listReported[ListIndex(order, type)]++;
            }
        }
        return moved;
    }

    /// <summary>The list a free block is on: its pageblock's type unless the kernel put it elsewhere.</summary>
    internal Migratetype ListTypeOf(long pfn) =>
        _listTypeOverrides.Count != 0 && _listTypeOverrides.TryGetValue((int)(pfn - StartPfn), out var type) ? type : PageblockTypeOf(pfn);

    // ---- Internals ----

    // Written so that a pfn near long.MaxValue cannot wrap around into the zone.
    private bool Contains(long pfn, int order) => pfn >= StartPfn && pfn <= EndPfn - (1L << order);

    private static PageKind KindOf(byte state) => (PageKind)((state & KindMask) >> KindShift);

    private static int ListIndex(int order, Migratetype type) => order * MigratetypeCount + (int)type;

    private void SetHead(long pfn, PageKind kind, int order, bool reported) =>
        _state[pfn - StartPfn] = (byte)(order | ((int)kind << KindShift) | (reported ? ReportedBit : 0));

    private void ClearHead(long pfn) => _state[pfn - StartPfn] = 0;

    private bool FindBlock(int order, Migratetype type, out long pfn, out int foundOrder)
    {
        for (var o = order; o <= MaxOrder; o++)
        {
            var head = _heads[ListIndex(o, type)];
            if (head != NoPage) { pfn = StartPfn + head; foundOrder = o; return true; }
        }
        foreach (var fallback in Fallbacks(type))
        {
            for (var o = order; o <= MaxOrder; o++)
            {
                var head = _heads[ListIndex(o, fallback)];
                if (head != NoPage) { pfn = StartPfn + head; foundOrder = o; return true; }
            }
        }
        pfn = NoPage;
        foundOrder = -1;
        return false;
    }

    private static ReadOnlySpan<Migratetype> Fallbacks(Migratetype type) => type switch
    {
        Migratetype.Unmovable => [Migratetype.Reclaimable, Migratetype.Movable],
        Migratetype.Movable => [Migratetype.Reclaimable, Migratetype.Unmovable],
        Migratetype.Reclaimable => [Migratetype.Unmovable, Migratetype.Movable],
        _ => [Migratetype.Movable, Migratetype.Unmovable, Migratetype.Reclaimable],
    };

    // kernel: __free_one_page, the migratetype check at pageblock order and above (R2)
    /// <summary>Buddies across pageblocks of incompatible migratetypes do not merge at order >= 9.</summary>
    private bool MayMerge(long pfn, long buddy, int order) =>
        order < PageblockOrder || Compatible(PageblockTypeOf(pfn), PageblockTypeOf(buddy));

    private static bool Compatible(Migratetype a, Migratetype b) => a == b || (IsMergeable(a) && IsMergeable(b));

    private static bool IsMergeable(Migratetype t) => t is Migratetype.Unmovable or Migratetype.Movable or Migratetype.Reclaimable;

    // kernel: __free_one_page, merging and to_tail (R2, R3)
    /// <summary>Merges a block that is no longer allocated or isolated and puts it on a list.</summary>
    private Block PutFree(long pfn, int order, bool fromReport)
    {
        // A zone that follows a kernel frees with the type of the freeing page's pageblock, as the
        // kernel does; the model without one keeps the merged block on its own pageblock's list.
        if (Kernel is not null) return PutFree(pfn, order, fromReport, PageblockTypeOf(pfn));
        FreePages += 1L << order;
        while (order < MaxOrder)
        {
            var buddy = pfn ^ (1L << order);
            if (!IsFreeBlock(buddy, order) || !MayMerge(pfn, buddy, order)) break;
            // The absorbed buddy stays free pages, so only its list entry and flag go.
            UnlinkFreeBlock(buddy, order);
            ClearHead(buddy);
            pfn = Math.Min(pfn, buddy);
            order++;
        }
        var toTail = fromReport || HigherBuddyIsFree(pfn, order);
        SetHead(pfn, PageKind.Free, order, reported: false);
        AddToList(pfn, order, PageblockTypeOf(pfn), toTail);
        return new Block(pfn, order);
    }

    /// <summary>
    /// The kernel's free of one block with the freeing page's migratetype <paramref name="type"/>:
    /// merging at a pageblock or more needs a compatible buddy; on 6.12 an absorbed buddy pageblock
    /// of another type takes the freeing type; the merged block goes on <paramref name="type"/>'s list.
    /// </summary>
    private Block PutFree(long pfn, int order, bool fromReport, Migratetype type)
    {
        FreePages += 1L << order;
        while (order < MaxOrder)
        {
            var buddy = pfn ^ (1L << order);
            if (!IsFreeBlock(buddy, order)) break;
            var buddyType = PageblockTypeOf(buddy);
            if (order >= PageblockOrder && !Compatible(type, buddyType)) break;
            UnlinkFreeBlock(buddy, order);
            ClearHead(buddy);
            if (order >= PageblockOrder && buddyType != type && _tunesHigh)
                for (var pb = buddy; pb < buddy + (1L << order); pb += PageblockPages)
                    _pageblockTypes[(pb >> PageblockOrder) - _firstPageblock] = type;
            pfn = Math.Min(pfn, buddy);
            order++;
        }
        var toTail = fromReport || HigherBuddyIsFree(pfn, order);
        SetHead(pfn, PageKind.Free, order, reported: false);
        AddToList(pfn, order, type, toTail);
        return new Block(pfn, order);
    }

    // kernel: buddy_merge_likely (R3)
    /// <summary>R3: if the buddy of the next-higher block is free, this block is likely to merge soon.</summary>
    private bool HigherBuddyIsFree(long pfn, int order)
    {
        if (order >= MaxOrder - 1) return false;
        var higher = pfn & ~((1L << (order + 1)) - 1);
        var higherBuddy = higher ^ (1L << (order + 1));
        return IsFreeBlock(higherBuddy, order + 1);
    }

    /// <summary>Takes a free block off its list and out of the free count, clearing its Reported flag.</summary>
    private void RemoveFreeBlock(long pfn, int order)
    {
        UnlinkFreeBlock(pfn, order);
        FreePages -= 1L << order;
    }

    private void UnlinkFreeBlock(long pfn, int order)
    {
        var type = ListTypeOf(pfn);
        RemoveFromList(pfn, order, type);
        var index = pfn - StartPfn;
        if ((_state[index] & ReportedBit) != 0)
        {
            _state[index] &= unchecked((byte)~ReportedBit);
            _listReported[ListIndex(order, type)]--;
            ReportedPages -= 1L << order;
        }
    }

    private void AddToList(long pfn, int order, Migratetype type, bool toTail)
    {
        var list = ListIndex(order, type);
        var index = (int)(pfn - StartPfn);
        if (_heads[list] == NoPage)
        {
            _links.Set(index, order, NoPage, NoPage);
            _heads[list] = _tails[list] = index;
        }
        else if (toTail)
        {
            var tail = _tails[list];
            _links.SetNext(tail, order, index);
            _links.Set(index, order, NoPage, tail);
            _tails[list] = index;
        }
        else
        {
            var head = _heads[list];
            _links.SetPrev(head, order, index);
            _links.Set(index, order, head, NoPage);
            _heads[list] = index;
        }
        _listLengths[list]++;
        _nrFree[order]++;
        if (type != PageblockTypeOf(pfn)) _listTypeOverrides[index] = type;
    }

    private void RemoveFromList(long pfn, int order, Migratetype type)
    {
        var list = ListIndex(order, type);
        var index = (int)(pfn - StartPfn);
        var prev = _links.Prev(index, order);
        var next = _links.Next(index, order);
        if (prev == NoPage) _heads[list] = next; else _links.SetNext(prev, order, next);
        if (next == NoPage) _tails[list] = prev; else _links.SetPrev(next, order, prev);
        _links.Set(index, order, NoPage, NoPage);
        _listLengths[list]--;
        _nrFree[order]--;
        if (_listTypeOverrides.Count != 0) _listTypeOverrides.Remove(index);
    }
}

/// <summary>What the head page of a block is.</summary>
public enum PageKind : byte
{
    /// <summary>Not a block head: a page inside a larger block.</summary>
    None = 0,
    /// <summary>The head of a free block on a buddy list.</summary>
    Free = 1,
    /// <summary>The head of an allocated block.</summary>
    Allocated = 2,
    /// <summary>The head of a block lent to the device (R4).</summary>
    Isolated = 3,
    /// <summary>The head of a block the allocator does not manage.</summary>
    Reserved = 4,
    /// <summary>A free block on a per-CPU list (R21): not on the buddy lists, not in the zone's free pages.</summary>
    PerCpu = 5,
}
