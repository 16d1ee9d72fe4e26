using PageReportingActors.Memory;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Allocator;

/// <summary>What a bulk allocation got: how many blocks, and why it stopped short if it did.</summary>
/// <param name="Count">Blocks allocated, written to the start of the caller's span in allocation order.</param>
/// <param name="StoppedBecause">Why the allocation that would have come next failed, or null if all were had.</param>
public readonly record struct BulkAllocation(int Count, AllocationFailureReason? StoppedBecause);

/// <summary>What a bulk free did: how many blocks it freed and the largest order any block reached on the buddy lists (-1 if none did).</summary>
/// <param name="Freed">Blocks freed.</param>
/// <param name="HighestMergedOrder">The largest <see cref="FreeResult.HighestMergedOrder"/> of the frees, -1 if none reached the buddy lists.</param>
public readonly record struct BulkFree(int Freed, int HighestMergedOrder);

/// <summary>
/// Bulk paths (the kernel's alloc_pages_bulk and free_pcppages_bulk): many blocks allocated or
/// freed in one call, with the result of one call per block (the same blocks in the same order,
/// the same lists, per-CPU counts and tuning), but without walking each block through the per-CPU
/// list when it would only pass through it, and taking whole buddy blocks where one page at a
/// time would split them page by page.
/// </summary>
public sealed partial class ZoneFreeArea
{
    // Pages on their way through one per-CPU list during a bulk call, oldest first: refilled pages
    // an allocation will take from the head, or freed pages a flush will take from the tail. They
    // carry their per-CPU state and count, but not the list links; they are linked in (or out)
    // when the call ends.
    private long[] _passing = new long[64];
    private int _passingFirst;
    private int _passingEnd;
    private int _passingIndex = -1;
    private PerCpuLists? _passingLists;

    private int PassingCount => _passingEnd - _passingFirst;

    /// <summary>
    /// Allocates up to <paramref name="into"/>'s length blocks of <paramref name="order"/>, as that
    /// many calls of <see cref="Allocate"/> with the same arguments would, stopping at the first
    /// that fails.
    /// </summary>
    /// <param name="order">The order of every block.</param>
    /// <param name="into">Where the blocks go, in allocation order; its length is how many are asked for.</param>
    /// <param name="type">As for <see cref="Allocate"/>.</param>
    /// <param name="floor">As for <see cref="Allocate"/>.</param>
    /// <param name="cpu">As for <see cref="Allocate"/>.</param>
    /// <param name="reserve">As for <see cref="Allocate"/>.</param>
    public BulkAllocation AllocateMany(int order, Span<Block> into, Migratetype type = Migratetype.Movable, WatermarkLevel floor = WatermarkLevel.None, int cpu = 0, long reserve = 0)
    {
        if (into.Length == 0) return new(0, null);
        if (_perCpu is null || !IsValidOrder(order) || (uint)type >= (uint)Migratetype.Isolate || (uint)cpu >= (uint)_perCpu.Length
            || !PerCpuLists.Keeps(order) || type > Migratetype.Reclaimable)
            return AllocateOneByOne(order, into, type, floor, cpu, reserve);

        var pcp = _perCpu[cpu];
        var index = PerCpuLists.IndexOf(order, type);
        var pages = 1L << order;
        var watermark = floor == WatermarkLevel.None ? 0 : WatermarkPages(floor) + reserve;
        BeginPassing(pcp, index);
        try
        {
            for (var i = 0; i < into.Length; i++)
            {
                // AllocateAsKernel's checks, then AllocateFromPerCpu with refilled pages kept off the list.
                if (floor != WatermarkLevel.None && FreePages - pages <= watermark)
                    return new(i, AllocationFailureReason.BelowWatermark);
                if (_tunesHigh && !_belowHigh && FreePages - (pages - 1) <= Watermarks.High)
                    _belowHigh = true;
                if (_tunesHigh) pcp.FreeCount >>= 1; else pcp.FreeFactor >>= 1;
                long pfn;
                if (pcp.Heads[index] != NoPage)
                {
                    pfn = StartPfn + pcp.Heads[index];
                    RemoveHead(pcp, index);
                }
                else
                {
                    if (PassingCount == 0)
                    {
                        var count = _tunesHigh ? RefillCount612(pcp, order) : pcp.Batch > 1 ? Math.Max(pcp.Batch >> order, 2) : pcp.Batch;
                        RefillPassing(pcp, order, type, count);
                        if (PassingCount == 0) return new(i, AllocationFailureReason.OutOfMemory);
                    }
                    pfn = _passing[_passingFirst++];
                }
                pcp.Count -= pages;
                PerCpuPages -= pages;
                SetHead(pfn, PageKind.Allocated, order, reported: false);
                AllocatedPages += pages;
                into[i] = new Block(pfn, order);
            }
            return new(into.Length, null);
        }
        finally
        {
            // What a refill brought and the allocation did not take stays on the list, in its order.
            for (var i = _passingFirst; i < _passingEnd; i++) PushTail(pcp, index, _passing[i]);
            EndPassing();
        }
    }

    private BulkAllocation AllocateOneByOne(int order, Span<Block> into, Migratetype type, WatermarkLevel floor, int cpu, long reserve)
    {
        for (var i = 0; i < into.Length; i++)
        {
            var result = Allocate(order, type, floor, cpu, reserve);
            if (!result.Succeeded) return new(i, result.Failure);
            into[i] = result.Block;
        }
        return new(into.Length, null);
    }

    /// <summary>
    /// A refill of <paramref name="count"/> blocks from the buddy lists into the passing pages, as
    /// that many takes would: where the smallest block on the type's own lists holds no more
    /// blocks of <paramref name="order"/> than are still wanted, one take of it gives them all in
    /// ascending order, which is what taking them one by one (split, take the lower half) gives.
    /// </summary>
    private void RefillPassing(PerCpuLists pcp, int order, Migratetype type, long count)
    {
        var pages = 1L << order;
        long taken = 0;
        while (taken < count)
        {
            var smallest = SmallestListOrder(order, type);
            if (smallest > order && 1L << (smallest - order) <= count - taken)
            {
                var head = StartPfn + _heads[ListIndex(smallest, type)];
                RemoveFreeBlock(head, smallest);
                var blocks = 1L << (smallest - order);
                EnsurePassing(blocks);
                for (long b = 0; b < blocks; b++)
                {
                    var pfn = head + (b << order);
                    SetHead(pfn, PageKind.PerCpu, order, reported: false);
                    _passing[_passingEnd++] = pfn;
                }
                taken += blocks;
            }
            else
            {
                if (!TakeBuddyBlock(order, type, out var pfn)) break;
                SetHead(pfn, PageKind.PerCpu, order, reported: false);
                EnsurePassing(1);
                _passing[_passingEnd++] = pfn;
                taken++;
            }
        }
        pcp.Count += taken * pages;
        PerCpuPages += taken * pages;
    }

    /// <summary>The smallest order from <paramref name="order"/> up with a block on <paramref name="type"/>'s own list, or -1.</summary>
    private int SmallestListOrder(int order, Migratetype type)
    {
        for (var o = order; o <= MaxOrder; o++)
            if (_heads[ListIndex(o, type)] != NoPage) return o;
        return -1;
    }

    /// <summary>
    /// Frees <paramref name="blocks"/> in order on <paramref name="cpu"/>, as that many calls of
    /// <see cref="Free"/> would; each is checked on its own and a refused one changes nothing.
    /// </summary>
    /// <param name="blocks">The blocks, freed in this order.</param>
    /// <param name="cpu">As for <see cref="Free"/>.</param>
    /// <param name="rejected">Called with the position and reason of each refused block, or null.</param>
    public BulkFree FreeMany(ReadOnlySpan<Block> blocks, int cpu = 0, Action<int, FreeRejectionReason>? rejected = null)
    {
        var freed = 0;
        var highest = -1;
        try
        {
            for (var i = 0; i < blocks.Length; i++)
            {
                var (pfn, order) = (blocks[i].Pfn, blocks[i].Order);
                var rejection = CheckFree(pfn, order);
                if (rejection is null && _perCpu is not null && (uint)cpu >= (uint)_perCpu.Length) rejection = FreeRejectionReason.InvalidCpu;
                if (rejection is { } reason)
                {
                    rejected?.Invoke(i, reason);
                    continue;
                }
                freed++;
                int merged;
                if (_perCpu is not null && PerCpuLists.Keeps(order))
                {
                    ClearHead(pfn);
                    AllocatedPages -= 1L << order;
                    merged = FreeToPerCpuPassing(pfn, order, _perCpu[cpu]);
                }
                else merged = Free(pfn, order, cpu).HighestMergedOrder;
                if (merged > highest) highest = merged;
            }
        }
        finally
        {
            LinkPassingFrees();
        }
        return new(freed, highest);
    }

    /// <summary><see cref="FreeToPerCpu"/> with the freed page kept among the passing pages of its list instead of linked at its head.</summary>
    private int FreeToPerCpuPassing(long pfn, int order, PerCpuLists pcp)
    {
        var type = PageblockTypeOf(pfn);
        if (type == Migratetype.Isolate) return PutFree(pfn, order, fromReport: false, Migratetype.Isolate).Order;
        var index = PerCpuLists.IndexOf(order, type >= Migratetype.HighAtomic ? Migratetype.Movable : type);
        if (_passingLists != pcp || _passingIndex != index)
        {
            LinkPassingFrees();
            BeginPassing(pcp, index);
        }
        SetHead(pfn, PageKind.PerCpu, order, reported: false);
        EnsurePassing(1);
        _passing[_passingEnd++] = pfn;
        pcp.Count += 1L << order;
        PerCpuPages += 1L << order;
        return _tunesHigh ? CommitFree612(pcp, order, index) : CommitFree61(pcp, order, index);
    }

    /// <summary>Freed pages still passing go to the head of their list, the newest at the head, as one free at a time leaves them.</summary>
    private void LinkPassingFrees()
    {
        if (_passingLists is { } pcp)
            for (var i = _passingFirst; i < _passingEnd; i++) PushHead(pcp, _passingIndex, _passing[i]);
        EndPassing();
    }

    /// <summary>
    /// A flush from the list the passing pages belong to: the linked pages are older (nearer the
    /// tail) than the passing ones, so they go first, then the passing pages oldest first. Returns
    /// the pages still to flush from the other lists, with the largest merged order so far.
    /// </summary>
    private long FlushPassing(PerCpuLists pcp, long count, int index, ref int highest)
    {
        var order = PerCpuLists.OrderOf(index);
        while (count > 0 && pcp.Tails[index] != NoPage)
        {
            var pfn = StartPfn + pcp.Tails[index];
            RemoveTail(pcp, index);
            count -= 1L << order;
            FlushOne(pcp, pfn, order, index, ref highest);
        }
        while (count > 0 && PassingCount > 0)
        {
            var pfn = _passing[_passingFirst++];
            count -= 1L << order;
            FlushOne(pcp, pfn, order, index, ref highest);
        }
        return count;
    }

    private void FlushOne(PerCpuLists pcp, long pfn, int order, int index, ref int highest)
    {
        pcp.Count -= 1L << order;
        PerCpuPages -= 1L << order;
        ClearHead(pfn);
        var merged = PutFree(pfn, order, fromReport: false, FlushTypeOf(index, pfn));
        if (merged.Order > highest) highest = merged.Order;
    }

    private bool IsPassing(PerCpuLists pcp, int index) => _passingLists == pcp && _passingIndex == index && PassingCount > 0;

    private void BeginPassing(PerCpuLists pcp, int index)
    {
        _passingLists = pcp;
        _passingIndex = index;
        _passingFirst = _passingEnd = 0;
    }

    private void EndPassing()
    {
        _passingLists = null;
        _passingIndex = -1;
        _passingFirst = _passingEnd = 0;
    }

    private void EnsurePassing(long more)
    {
        if (_passingEnd + more <= _passing.Length) return;
        var live = PassingCount;
        if (_passingFirst > 0 && live + more <= _passing.Length)
        {
            Array.Copy(_passing, _passingFirst, _passing, 0, live);
        }
        else
        {
            var grown = new long[Math.Max(_passing.Length * 2, live + more)];
            Array.Copy(_passing, _passingFirst, grown, 0, live);
            _passing = grown;
        }
        _passingFirst = 0;
        _passingEnd = live;
    }
}
