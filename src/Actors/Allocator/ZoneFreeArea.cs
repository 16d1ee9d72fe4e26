using PageReportingActors.Messages;
using static PageReportingActors.Messages.PageGeometry;

namespace PageReportingActors.Allocator;

/// <summary>The outcome of an allocation: a block, or why there is none.</summary>
public readonly record struct AllocationResult(Block Block, AllocationFailureReason? Failure)
{
    public bool Succeeded => Failure is null;
}

/// <summary>The outcome of a free: the block as it ended up after merging, or why the free was refused.</summary>
public readonly record struct FreeResult(Block Merged, FreeRejectionReason? Rejection)
{
    public bool Succeeded => Rejection is null;
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
public sealed class ZoneFreeArea
{
    private const int NoPage = -1;
    private const int ListCount = OrderCount * MigratetypeCount;

    // Page state byte: bits 0-3 order, bits 4-6 kind, bit 7 Reported.
    private const byte OrderMask = 0x0F;
    private const int KindShift = 4;
    private const byte KindMask = 0x70;
    private const byte ReportedBit = 0x80;

    private readonly byte[] _state;
    private readonly int[] _next;
    private readonly int[] _prev;
    private readonly int[] _heads = new int[ListCount];
    private readonly int[] _tails = new int[ListCount];
    private readonly long[] _listLengths = new long[ListCount];
    // Reported blocks per list, so a walk knows when only reported blocks are left to skip.
    private readonly long[] _listReported = new long[ListCount];
    private readonly long[] _nrFree = new long[OrderCount];
    private readonly Migratetype[] _pageblockTypes;
    private readonly long _firstPageblock;

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
        _next = new int[Pages];
        _prev = new int[Pages];
        Array.Fill(_heads, NoPage);
        Array.Fill(_tails, NoPage);

        _firstPageblock = StartPfn >> PageblockOrder;
        var lastPageblock = (EndPfn - 1) >> PageblockOrder;
        _pageblockTypes = new Migratetype[lastPageblock - _firstPageblock + 1];
        Array.Fill(_pageblockTypes, Migratetype.Movable);

        var reservedEnd = StartPfn + spec.ReservedPages;
        var allocatedEnd = EndPfn - spec.FreePages;
        // The kernel's own memory sits in unmovable pageblocks.
        for (var pb = _firstPageblock; pb < _firstPageblock + _pageblockTypes.Length; pb++)
            if (pb << PageblockOrder < allocatedEnd)
                _pageblockTypes[pb - _firstPageblock] = Migratetype.Unmovable;

        foreach (var block in CarveAligned(StartPfn, reservedEnd))
        {
            SetHead(block.Pfn, PageKind.Reserved, block.Order, reported: false);
            ReservedPages += block.Pages;
        }
        foreach (var block in CarveAligned(reservedEnd, allocatedEnd))
        {
            SetHead(block.Pfn, PageKind.Allocated, block.Order, reported: false);
            AllocatedPages += block.Pages;
        }
        foreach (var block in CarveAligned(allocatedEnd, EndPfn))
        {
            SetHead(block.Pfn, PageKind.Free, block.Order, reported: false);
            AddToList(block.Pfn, block.Order, PageblockTypeOf(block.Pfn), toTail: true);
            FreePages += block.Pages;
        }
    }

    public string Name { get; }
    public long StartPfn { get; }
    public long Pages { get; }
    public long EndPfn => StartPfn + Pages;
    public Watermarks Watermarks { get; }

    /// <summary>Pages in free blocks on the lists (I4).</summary>
    public long FreePages { get; private set; }
    /// <summary>Pages in free blocks that carry the Reported flag.</summary>
    public long ReportedPages { get; private set; }
    /// <summary>Pages lent to the device (R4).</summary>
    public long IsolatedPages { get; private set; }
    public long AllocatedPages { get; private set; }
    public long ReservedPages { get; }

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

    /// <summary>Returns why a zone description is unusable, or null if it is fine.</summary>
    public static string? Validate(ZoneSpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.Name)) return "name is empty";
        if (spec.StartPfn < 0) return $"startPfn {spec.StartPfn} is negative";
        if (spec.Pages <= 0) return $"pages {spec.Pages} must be positive";
        if (spec.Pages > int.MaxValue) return $"pages {spec.Pages} is more than {int.MaxValue} (8 TiB) per zone";
        if (spec.FreePages < 0 || spec.FreePages > spec.Pages) return $"freePages {spec.FreePages} is not within 0..{spec.Pages}";
        if (spec.ReservedPages < 0 || spec.ReservedPages + spec.FreePages > spec.Pages)
            return $"reservedPages {spec.ReservedPages} does not fit beside {spec.FreePages} free pages in {spec.Pages}";
        var w = spec.Watermarks;
        if (w is null) return "watermarks are missing";
        if (w.Min < 0 || w.Low < w.Min || w.High < w.Low)
            return $"watermarks must satisfy 0 <= min <= low <= high (got {w.Min}, {w.Low}, {w.High})";
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

    public Migratetype PageblockTypeOf(long pfn) => _pageblockTypes[(pfn >> PageblockOrder) - _firstPageblock];

    /// <summary>
    /// Sets a pageblock's migratetype and moves the free blocks that start in it to the new list,
    /// as the kernel does when a pageblock changes hands.
    /// </summary>
    public void SetPageblockType(long pfn, Migratetype type)
    {
        if (!Contains(pfn, 0)) throw new ArgumentOutOfRangeException(nameof(pfn), $"pfn {pfn} is outside zone {Name}");
        var index = (pfn >> PageblockOrder) - _firstPageblock;
        var old = _pageblockTypes[index];
        if (old == type) return;
        _pageblockTypes[index] = type;
        var first = Math.Max(StartPfn, (pfn >> PageblockOrder) << PageblockOrder);
        var last = Math.Min(EndPfn, ((pfn >> PageblockOrder) + 1) << PageblockOrder);
        // Free blocks that start in this pageblock sit on the old type's list; a block that starts
        // in an earlier pageblock keeps the list of that one.
        for (var p = first; p < last; p++)
        {
            var s = _state[p - StartPfn];
            if (KindOf(s) != PageKind.Free) continue;
            var order = s & OrderMask;
            RemoveFromList(p, order, old);
            AddToList(p, order, type, toTail: true);
            if ((s & ReportedBit) != 0)
            {
                _listReported[ListIndex(order, old)]--;
                _listReported[ListIndex(order, type)]++;
            }
        }
    }

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

    // ---- What the reporting walk needs ----

    /// <summary>The first block of a list, or -1.</summary>
    public long ListHead(int order, Migratetype type)
    {
        var head = _heads[ListIndex(order, type)];
        return head == NoPage ? NoPage : StartPfn + head;
    }

    /// <summary>The block after <paramref name="pfn"/> on its list, or -1.</summary>
    public long NextOnList(long pfn)
    {
        var next = _next[pfn - StartPfn];
        return next == NoPage ? NoPage : StartPfn + next;
    }

    public bool IsReported(long pfn) => (_state[pfn - StartPfn] & ReportedBit) != 0;

    public bool IsFreeBlock(long pfn, int order)
    {
        if (!Contains(pfn, 0)) return false;
        var s = _state[pfn - StartPfn];
        return KindOf(s) == PageKind.Free && (s & OrderMask) == order;
    }

    public bool IsIsolatedBlock(long pfn, int order)
    {
        if (!Contains(pfn, 0)) return false;
        var s = _state[pfn - StartPfn];
        return KindOf(s) == PageKind.Isolated && (s & OrderMask) == order;
    }

    /// <summary>
    /// Rotates a list so that <paramref name="pfn"/> is its head: the blocks before it move,
    /// in order, behind the old tail (the list is a ring with a movable start).
    /// </summary>
    public void RotateToFront(long pfn, int order, Migratetype type)
    {
        var list = ListIndex(order, type);
        var index = (int)(pfn - StartPfn);
        var oldHead = _heads[list];
        if (oldHead == index) return;
        var newTail = _prev[index];
        var oldTail = _tails[list];
        _next[oldTail] = oldHead;
        _prev[oldHead] = oldTail;
        _next[newTail] = NoPage;
        _prev[index] = NoPage;
        _heads[list] = index;
        _tails[list] = newTail;
    }

    /// <summary>
    /// R4, R15: lends a free block to the device unless that would leave free pages at or below
    /// <c>min + 2^order</c>. Returns false (and changes nothing) in that case.
    /// </summary>
    public bool TryIsolate(long pfn, int order)
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

    /// <summary>
    /// R11: returns an isolated block to the tail of its list without notifying. If
    /// <paramref name="flagReported"/> and the block did not merge on the way, it is flagged Reported.
    /// Returns whether it was flagged.
    /// </summary>
    public bool PutBack(long pfn, int order, bool flagReported)
    {
        if (!IsIsolatedBlock(pfn, order))
            throw new InvalidOperationException($"zone {Name}: {new Block(pfn, order)} is not an isolated block");
        ClearHead(pfn);
        IsolatedPages -= 1L << order;
        PutFree(pfn, order, fromReport: true);
        if (!flagReported || !IsFreeBlock(pfn, order)) return false;
        _state[pfn - StartPfn] |= ReportedBit;
        _listReported[ListIndex(order, PageblockTypeOf(pfn))]++;
        ReportedPages += 1L << order;
        return true;
    }

    public long WatermarkPages(WatermarkLevel level) => level switch
    {
        WatermarkLevel.Min => Watermarks.Min,
        WatermarkLevel.Low => Watermarks.Low,
        WatermarkLevel.High => Watermarks.High,
        _ => 0,
    };

    // ---- Inspection ----

    /// <summary>Every block of the zone in pfn order, with its kind and flag.</summary>
    public IEnumerable<(Block Block, PageKind Kind, bool Reported)> Blocks()
    {
        for (long p = StartPfn; p < EndPfn;)
        {
            var s = _state[p - StartPfn];
            var kind = KindOf(s);
            if (kind == PageKind.None)
                throw new InvalidOperationException($"zone {Name}: pfn {p} is inside no block");
            var order = s & OrderMask;
            yield return (new Block(p, order), kind, (s & ReportedBit) != 0);
            p += 1L << order;
        }
    }

    /// <summary>The blocks on one list, head first.</summary>
    public IEnumerable<long> ListBlocks(int order, Migratetype type)
    {
        for (var p = ListHead(order, type); p != NoPage; p = NextOnList(p))
            yield return p;
    }

    /// <summary>Checks I1-I4 in one scan. Returns the first violation, or null.</summary>
    public string? CheckInvariants()
    {
        long free = 0, isolated = 0, allocated = 0, reserved = 0, reported = 0;
        var covered = 0L;
        var onList = 0L;
        for (long p = StartPfn; p < EndPfn;)
        {
            var s = _state[p - StartPfn];
            var kind = KindOf(s);
            var order = s & OrderMask;
            if (kind == PageKind.None) return $"I1: pfn {p} is inside no block";
            if (order > MaxOrder) return $"I2: pfn {p} has order {order}";
            if ((p & ((1L << order) - 1)) != 0) return $"I2: block at pfn {p} is not aligned to order {order}";
            if (p + (1L << order) > EndPfn) return $"I2: block at pfn {p} order {order} runs past the zone";
            for (var inner = p + 1; inner < p + (1L << order); inner++)
                if (_state[inner - StartPfn] != 0) return $"I2: pfn {inner} inside block at {p} has a state";
            var reportedFlag = (s & ReportedBit) != 0;
            if (reportedFlag && kind != PageKind.Free) return $"I3: {kind} block at pfn {p} is flagged Reported";
            var pages = 1L << order;
            switch (kind)
            {
                case PageKind.Free:
                    free += pages;
                    if (reportedFlag) reported += pages;
                    if (order < MaxOrder)
                    {
                        var buddy = p ^ (1L << order);
                        if (IsFreeBlock(buddy, order) && MayMerge(p, buddy, order))
                            return $"I2: free block at pfn {p} and its buddy {buddy} are both free at order {order}";
                    }
                    break;
                case PageKind.Isolated: isolated += pages; break;
                case PageKind.Allocated: allocated += pages; break;
                case PageKind.Reserved: reserved += pages; break;
            }
            covered += pages;
            p += pages;
        }
        for (var order = 0; order <= MaxOrder; order++)
        {
            long perOrder = 0;
            for (var t = 0; t < MigratetypeCount; t++)
            {
                long length = 0, prev = NoPage;
                foreach (var p in ListBlocks(order, (Migratetype)t))
                {
                    if (!IsFreeBlock(p, order)) return $"I3: list ({order}, {(Migratetype)t}) holds pfn {p}, which is not a free block of that order";
                    if (PageblockTypeOf(p) != (Migratetype)t) return $"list ({order}, {(Migratetype)t}) holds pfn {p} of a {PageblockTypeOf(p)} pageblock";
                    var back = _prev[p - StartPfn];
                    if (prev != (back == NoPage ? NoPage : StartPfn + back))
                        return $"list ({order}, {(Migratetype)t}) has a broken back link at pfn {p}";
                    prev = p;
                    length++;
                    if (length > Pages) return $"list ({order}, {(Migratetype)t}) has a cycle";
                }
                var tail = _tails[ListIndex(order, (Migratetype)t)];
                if ((tail == NoPage ? NoPage : StartPfn + tail) != prev) return $"list ({order}, {(Migratetype)t}) tail is wrong";
                if (length != _listLengths[ListIndex(order, (Migratetype)t)]) return $"list ({order}, {(Migratetype)t}) length {length} != count {_listLengths[ListIndex(order, (Migratetype)t)]}";
                var flagged = ListBlocks(order, (Migratetype)t).LongCount(IsReported);
                if (flagged != _listReported[ListIndex(order, (Migratetype)t)]) return $"list ({order}, {(Migratetype)t}) holds {flagged} reported blocks but counts {_listReported[ListIndex(order, (Migratetype)t)]}";
                perOrder += length;
                onList += length << order;
            }
            if (perOrder != _nrFree[order]) return $"nrFree({order}) is {_nrFree[order]} but the lists hold {perOrder}";
        }
        if (covered != Pages) return $"I1: blocks cover {covered} of {Pages} pages";
        if (free + isolated + allocated + reserved != Pages) return "I1: page kinds do not add up to the zone";
        if (onList != free) return $"I1: {free} free pages but {onList} on lists";
        if (free != FreePages) return $"I4: free page count {FreePages} but blocks on lists hold {free}";
        if (isolated != IsolatedPages) return $"isolated count {IsolatedPages} but {isolated} isolated";
        if (allocated != AllocatedPages) return $"allocated count {AllocatedPages} but {allocated} allocated";
        if (reserved != ReservedPages) return $"reserved count {ReservedPages} but {reserved} reserved";
        if (reported != ReportedPages) return $"reported count {ReportedPages} but {reported} flagged";
        return null;
    }

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

    /// <summary>Buddies across pageblocks of incompatible migratetypes do not merge at order >= 9.</summary>
    private bool MayMerge(long pfn, long buddy, int order)
    {
        if (order < PageblockOrder) return true;
        var a = PageblockTypeOf(pfn);
        var b = PageblockTypeOf(buddy);
        return a == b || (IsMergeable(a) && IsMergeable(b));
    }

    private static bool IsMergeable(Migratetype t) => t is Migratetype.Unmovable or Migratetype.Movable or Migratetype.Reclaimable;

    /// <summary>Merges a block that is no longer allocated or isolated and puts it on a list.</summary>
    private Block PutFree(long pfn, int order, bool fromReport)
    {
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
        var type = PageblockTypeOf(pfn);
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
            _next[index] = _prev[index] = NoPage;
            _heads[list] = _tails[list] = index;
        }
        else if (toTail)
        {
            var tail = _tails[list];
            _next[tail] = index;
            _prev[index] = tail;
            _next[index] = NoPage;
            _tails[list] = index;
        }
        else
        {
            var head = _heads[list];
            _prev[head] = index;
            _next[index] = head;
            _prev[index] = NoPage;
            _heads[list] = index;
        }
        _listLengths[list]++;
        _nrFree[order]++;
    }

    private void RemoveFromList(long pfn, int order, Migratetype type)
    {
        var list = ListIndex(order, type);
        var index = (int)(pfn - StartPfn);
        var prev = _prev[index];
        var next = _next[index];
        if (prev == NoPage) _heads[list] = next; else _next[prev] = next;
        if (next == NoPage) _tails[list] = prev; else _prev[next] = prev;
        _next[index] = _prev[index] = NoPage;
        _listLengths[list]--;
        _nrFree[order]--;
    }
}

/// <summary>What the head page of a block is.</summary>
public enum PageKind : byte
{
    /// <summary>Not a block head: a page inside a larger block.</summary>
    None = 0,
    Free = 1,
    Allocated = 2,
    Isolated = 3,
    Reserved = 4,
}
