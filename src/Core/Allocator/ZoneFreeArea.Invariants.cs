using PageReportingActors.Memory;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Allocator;

/// <summary>Inspection and the invariants I1-I4.</summary>
public sealed partial class ZoneFreeArea
{
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
        for (var p = ListHead(order, type); p != NoPage; p = NextOnList(p, order))
            yield return p;
    }

    /// <summary>Checks I1-I4 in one scan. Returns the first violation, or null.</summary>
    public string? CheckInvariants()
    {
        long free = 0, isolated = 0, allocated = 0, reserved = 0, reported = 0, perCpu = 0;
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
                case PageKind.PerCpu: perCpu += pages; break;
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
                    if (ListTypeOf(p) != (Migratetype)t) return $"list ({order}, {(Migratetype)t}) holds pfn {p}, which belongs on the {ListTypeOf(p)} list";
                    var back = _links.Prev((int)(p - StartPfn), order);
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
        if (free + perCpu + isolated + allocated + reserved != Pages) return "I1: page kinds do not add up to the zone";
        var (onPerCpuLists, perCpuError) = CheckPerCpuLists();
        if (perCpuError is not null) return perCpuError;
        if (onPerCpuLists != perCpu) return $"I1: {perCpu} pages are marked per-CPU but the per-CPU lists hold {onPerCpuLists}";
        if (onList != free) return $"I1: {free} free pages but {onList} on lists";
        if (free != FreePages) return $"I4: free page count {FreePages} but blocks on lists hold {free}";
        if (isolated != IsolatedPages) return $"isolated count {IsolatedPages} but {isolated} isolated";
        if (allocated != AllocatedPages) return $"allocated count {AllocatedPages} but {allocated} allocated";
        if (reserved != ReservedPages) return $"reserved count {ReservedPages} but {reserved} reserved";
        if (reported != ReportedPages) return $"reported count {ReportedPages} but {reported} flagged";
        return null;
    }
}
