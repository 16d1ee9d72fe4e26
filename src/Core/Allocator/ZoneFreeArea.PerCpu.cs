using PageReportingActors.Memory;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Allocator;

/// <summary>
/// R21, R22: the per-CPU page lists of a zone that follows a kernel. Frees of the orders they keep
/// go to the head of the freeing CPU's list and back to the buddy lists from its tail in batches;
/// allocations take the head and refill an empty list in batches. How many, and how <c>high</c>
/// moves, follow the kernel profile.
/// </summary>
public sealed partial class ZoneFreeArea
{
    /// <summary>The most CPUs a zone's kernel description may name.</summary>
    public const int MaxCpus = 1024;

    private readonly PerCpuLists[]? _perCpu;
    // The profile's switch, kept here because the per-CPU fast path reads it on every call.
    private readonly bool _tunesHigh;
    // 6.12: set when an allocation finds the zone at or below its high watermark; it shrinks high.
    private bool _belowHigh;

    /// <summary>Whether this zone keeps per-CPU lists (it follows a kernel).</summary>
    public bool HasPerCpuLists => _perCpu is not null;

    /// <summary>CPUs with a per-CPU list in this zone (0 without lists).</summary>
    public int Cpus => _perCpu?.Length ?? 0;

    /// <summary>Pages on the per-CPU lists of all CPUs (I1): free, but not on the buddy lists and not in <see cref="FreePages"/>.</summary>
    public long PerCpuPages { get; private set; }

    /// <summary>One CPU's list as zoneinfo would print it.</summary>
    public PerCpuListState PerCpuState(int cpu) => PerCpu(cpu).State;

    /// <summary>The blocks on one CPU's list for <paramref name="order"/> and <paramref name="type"/>, head first.</summary>
    public IEnumerable<long> PerCpuListBlocks(int cpu, int order, Migratetype type)
    {
        if (!PerCpuLists.Keeps(order) || type > Migratetype.Reclaimable) yield break;
        var pcp = PerCpu(cpu);
        for (var p = pcp.Heads[PerCpuLists.IndexOf(order, type)]; p != NoPage; p = _links.Next(p, order))
            yield return StartPfn + p;
    }

    /// <summary>
    /// 6.12's once-a-second tick (vmstat refresh): lowers <c>high</c> by an eighth towards highMin,
    /// but by no more than the flush band below the count, and returns pages above <c>high</c> to
    /// the buddy lists in batches. 6.1 does nothing for a zone on the CPU's own node.
    /// </summary>
    public PerCpuTick DecayPerCpuHigh(int cpu)
    {
        var pcp = PerCpu(cpu);
        if (!_tunesHigh) return new(false, -1);
        var more = false;
        if (pcp.High > pcp.HighMin)
        {
            pcp.High = Math.Max(Math.Max(pcp.Count - ((long)pcp.Batch << KernelProfile.BatchScaleMax), pcp.High - (pcp.High >> 3)), pcp.HighMin);
            if (pcp.High > pcp.HighMin) more = true;
        }
        var highest = -1;
        for (var toDrain = pcp.Count - pcp.High; toDrain > 0; toDrain -= pcp.Batch)
        {
            highest = Math.Max(highest, Flush(pcp, Math.Min(toDrain, pcp.Batch), 0));
            more = true;
        }
        return new(more, highest);
    }

    /// <summary>Returns every page of one CPU's lists to the buddy lists, as the kernel does before it reclaims or when a CPU goes away. Returns the largest merged order, or -1.</summary>
    public int DrainPerCpu(int cpu)
    {
        var pcp = PerCpu(cpu);
        return Flush(pcp, pcp.Count, 0);
    }

    /// <summary>The kernel's tuning state of one CPU's lists that zoneinfo does not print, for tests that compare two zones.</summary>
    internal string PerCpuTuning(int cpu)
    {
        var pcp = PerCpu(cpu);
        return $"freeCount {pcp.FreeCount} freeFactor {pcp.FreeFactor} allocFactor {pcp.AllocFactor} prevFreeHighOrder {pcp.PrevFreeHighOrder} belowHigh {_belowHigh}";
    }

    private PerCpuLists PerCpu(int cpu)
    {
        if (_perCpu is null) throw new InvalidOperationException($"zone {Name} keeps no per-CPU lists");
        if ((uint)cpu >= (uint)_perCpu.Length) throw new ArgumentOutOfRangeException(nameof(cpu), $"cpu {cpu} is not within 0..{_perCpu.Length - 1}");
        return _perCpu[cpu];
    }

    private PerCpuLists[] CreatePerCpuLists(ZoneKernelSpec kernel, long start, long end)
    {
        var lists = new PerCpuLists[kernel.Cpus];
        for (var i = 0; i < lists.Length; i++) lists[i] = new PerCpuLists(kernel.PerCpu);
        // zoneinfo's count: pages the boot left on CPU 0's list, in pfn order.
        for (var p = start; p < end; p++)
        {
            SetHead(p, PageKind.PerCpu, 0, reported: false);
            PushTail(lists[0], PerCpuLists.IndexOf(0, PerCpuTypeOf(p)), p);
        }
        lists[0].Count = end - start;
        PerCpuPages = end - start;
        return lists;
    }

    /// <summary>The list a freed page goes to: its pageblock's type, HighAtomic and Cma on the Movable list.</summary>
    private Migratetype PerCpuTypeOf(long pfn)
    {
        var type = PageblockTypeOf(pfn);
        return type >= Migratetype.HighAtomic ? Migratetype.Movable : type;
    }

    // ---- Free (R21) ----

    private FreeResult FreeToPerCpu(long pfn, int order, PerCpuLists pcp)
    {
        var type = PageblockTypeOf(pfn);
        if (type == Migratetype.Isolate)
        {
            var direct = PutFree(pfn, order, fromReport: false, Migratetype.Isolate);
            return new(direct, null, direct.Order);
        }
        var index = PerCpuLists.IndexOf(order, type >= Migratetype.HighAtomic ? Migratetype.Movable : type);
        SetHead(pfn, PageKind.PerCpu, order, reported: false);
        PushHead(pcp, index, pfn);
        pcp.Count += 1L << order;
        PerCpuPages += 1L << order;
        var highest = _tunesHigh ? CommitFree612(pcp, order, index) : CommitFree61(pcp, order, index);
        return new(new Block(pfn, order), null, highest) { OnPerCpuList = true };
    }

    /// <summary>6.1: flush when the count reaches high; a run of frees doubles the flush up to 32 batches.</summary>
    private int CommitFree61(PerCpuLists pcp, int order, int index)
    {
        var freeHigh = pcp.FreeFactor != 0 && order is >= 1 and <= PerCpuLists.CostlyOrder;
        var high = pcp.High == 0 || freeHigh ? 0 : pcp.High;
        if (pcp.Count < high) return -1;
        return Flush(pcp, FlushCount61(pcp, high, freeHigh), index);
    }

    private static long FlushCount61(PerCpuLists pcp, long high, bool freeHigh)
    {
        if (freeHigh) return pcp.Count;
        var batch = pcp.Batch;
        if (high < batch) return 1;
        var most = high - batch;
        var count = (long)batch << pcp.FreeFactor;
        if (count < most && pcp.FreeFactor < KernelProfile.BatchScaleMax) pcp.FreeFactor++;
        return Math.Min(Math.Max(count, batch), most);
    }

    /// <summary>6.12: high tuned between highMin and highMax; the flush is the run of recent frees, between one batch and high less one batch.</summary>
    private int CommitFree612(PerCpuLists pcp, int order, int index)
    {
        pcp.AllocFactor >>= 1;
        var batch = pcp.Batch;
        var band = (long)batch << KernelProfile.BatchScaleMax;
        var freeHigh = false;
        if (order is >= 1 and <= PerCpuLists.CostlyOrder)
        {
            freeHigh = pcp.FreeCount >= batch && pcp.PrevFreeHighOrder;
            pcp.PrevFreeHighOrder = true;
        }
        else pcp.PrevFreeHighOrder = false;
        if (pcp.FreeCount < band) pcp.FreeCount += 1L << order;

        var high = FlushThreshold612(pcp, batch, freeHigh);
        if (pcp.Count < high) return -1;
        long count;
        if (freeHigh) count = Math.Min(pcp.Count, band);
        else if (high < batch) count = 1;
        else count = Math.Min(Math.Max(pcp.FreeCount, batch), high - batch);
        var highest = Flush(pcp, count, index);
        if (_belowHigh && FreePages > Watermarks.High) _belowHigh = false;
        return highest;
    }

    private long FlushThreshold612(PerCpuLists pcp, int batch, bool freeHigh)
    {
        var high = pcp.High = Math.Min(Math.Max(pcp.High, pcp.HighMin), pcp.HighMax);
        if (high == 0) return 0;
        if (freeHigh)
        {
            pcp.High = Math.Max(high - ((long)batch << KernelProfile.BatchScaleMax), pcp.HighMin);
            return 0;
        }
        if (pcp.HighMin == pcp.HighMax) return high;
        if (_belowHigh)
        {
            pcp.High = Math.Max(high - Math.Max(pcp.FreeCount, batch), pcp.HighMin);
            return Math.Max(pcp.Count, pcp.HighMin);
        }
        if (pcp.Count >= high)
        {
            var needed = pcp.FreeCount + batch;
            if (pcp.High < needed) pcp.High = Math.Min(Math.Max(needed, pcp.HighMin), pcp.HighMax);
        }
        return high;
    }

    /// <summary>
    /// Returns up to <paramref name="count"/> pages to the buddy lists: lists taken round-robin from
    /// <paramref name="startIndex"/>, each emptied from its tail (the oldest first) until the count
    /// is met; each block is freed by R2, R3. Returns the largest merged order, or -1.
    /// </summary>
    private int Flush(PerCpuLists pcp, long count, int startIndex)
    {
        count = Math.Min(pcp.Count, count);
        var index = startIndex - 1;
        var highest = -1;
        // In a bulk free the list's newest pages may still be passing (not yet linked in).
        if (IsPassing(pcp, startIndex)) count = FlushPassing(pcp, count, startIndex, ref highest);
        while (count > 0)
        {
            do { if (++index >= PerCpuLists.ListCount) index = 0; } while (pcp.Heads[index] == NoPage);
            var order = PerCpuLists.OrderOf(index);
            do
            {
                var pfn = StartPfn + pcp.Tails[index];
                RemoveTail(pcp, index);
                count -= 1L << order;
                pcp.Count -= 1L << order;
                PerCpuPages -= 1L << order;
                ClearHead(pfn);
                var merged = PutFree(pfn, order, fromReport: false, FlushTypeOf(index, pfn));
                if (merged.Order > highest) highest = merged.Order;
            } while (count > 0 && pcp.Heads[index] != NoPage);
        }
        return highest;
    }

    /// <summary>6.12 frees with the pageblock's type now; 6.1 with the type the page had when it was freed (its list's).</summary>
    private Migratetype FlushTypeOf(int index, long pfn)
    {
        var now = PageblockTypeOf(pfn);
        if (_tunesHigh || now >= Migratetype.HighAtomic) return now;
        return PerCpuLists.TypeOf(index) ?? now;
    }

    // ---- Allocation (R22) ----

    private AllocationResult AllocateFromPerCpu(int order, Migratetype type, PerCpuLists pcp)
    {
        var tunes = _tunesHigh;
        if (tunes) pcp.FreeCount >>= 1; else pcp.FreeFactor >>= 1;
        var index = PerCpuLists.IndexOf(order, type);
        if (pcp.Heads[index] == NoPage)
        {
            var count = tunes ? RefillCount612(pcp, order) : pcp.Batch > 1 ? Math.Max(pcp.Batch >> order, 2) : pcp.Batch;
            for (var i = 0; i < count; i++)
            {
                if (!TakeBuddyBlock(order, type, out var taken)) break;
                SetHead(taken, PageKind.PerCpu, order, reported: false);
                PushTail(pcp, index, taken);
                pcp.Count += 1L << order;
                PerCpuPages += 1L << order;
            }
            if (pcp.Heads[index] == NoPage) return new(default, AllocationFailureReason.OutOfMemory);
        }
        var pfn = StartPfn + pcp.Heads[index];
        RemoveHead(pcp, index);
        pcp.Count -= 1L << order;
        PerCpuPages -= 1L << order;
        SetHead(pfn, PageKind.Allocated, order, reported: false);
        AllocatedPages += 1L << order;
        return new(new Block(pfn, order), null);
    }

    /// <summary>6.12: a run of refills without frees doubles the order-0 refill up to 32 batches, kept below high; each refill raises high by the refill.</summary>
    private long RefillCount612(PerCpuLists pcp, int order)
    {
        var baseBatch = pcp.Batch;
        var high = pcp.High = Math.Min(Math.Max(pcp.High, pcp.HighMin), pcp.HighMax);
        if (high < baseBatch) return 1;
        long batch = order == 0 ? (long)baseBatch << pcp.AllocFactor : baseBatch;
        if (pcp.HighMin != pcp.HighMax && !_belowHigh)
            high = pcp.High = Math.Min(high + batch, pcp.HighMax);
        if (order == 0)
        {
            var most = Math.Max(high - pcp.Count - baseBatch, baseBatch);
            if (batch <= most && pcp.AllocFactor < KernelProfile.BatchScaleMax) pcp.AllocFactor++;
            batch = Math.Min(batch, most);
        }
        if (batch > 1) batch = Math.Max(batch >> order, 2);
        return batch;
    }

    // ---- List links (the buddy lists' arrays; a page is on one kind of list at a time) ----

    private void PushHead(PerCpuLists pcp, int index, long pfn)
    {
        var page = (int)(pfn - StartPfn);
        var order = PerCpuLists.OrderOf(index);
        var head = pcp.Heads[index];
        _links.Set(page, order, head, NoPage);
        if (head == NoPage) pcp.Tails[index] = page; else _links.SetPrev(head, order, page);
        pcp.Heads[index] = page;
    }

    private void PushTail(PerCpuLists pcp, int index, long pfn)
    {
        var page = (int)(pfn - StartPfn);
        var order = PerCpuLists.OrderOf(index);
        var tail = pcp.Tails[index];
        _links.Set(page, order, NoPage, tail);
        if (tail == NoPage) pcp.Heads[index] = page; else _links.SetNext(tail, order, page);
        pcp.Tails[index] = page;
    }

    private void RemoveHead(PerCpuLists pcp, int index)
    {
        var page = pcp.Heads[index];
        var order = PerCpuLists.OrderOf(index);
        var next = _links.Next(page, order);
        pcp.Heads[index] = next;
        if (next == NoPage) pcp.Tails[index] = NoPage; else _links.SetPrev(next, order, NoPage);
        _links.SetNext(page, order, NoPage);
    }

    private void RemoveTail(PerCpuLists pcp, int index)
    {
        var page = pcp.Tails[index];
        var order = PerCpuLists.OrderOf(index);
        var prev = _links.Prev(page, order);
        pcp.Tails[index] = prev;
        if (prev == NoPage) pcp.Heads[index] = NoPage; else _links.SetNext(prev, order, NoPage);
        _links.SetPrev(page, order, NoPage);
    }

    /// <summary>I1 for the per-CPU lists: every entry a per-CPU block of its list's order, counts matching. Returns the pages on the lists, or a violation.</summary>
    private (long Pages, string? Error) CheckPerCpuLists()
    {
        if (_perCpu is null) return (0, null);
        long total = 0;
        for (var cpu = 0; cpu < _perCpu.Length; cpu++)
        {
            var pcp = _perCpu[cpu];
            long pages = 0;
            for (var index = 0; index < PerCpuLists.ListCount; index++)
            {
                var order = PerCpuLists.OrderOf(index);
                long prev = NoPage, length = 0;
                for (var p = pcp.Heads[index]; p != NoPage; p = _links.Next(p, order))
                {
                    var s = _state[p];
                    if (KindOf(s) != PageKind.PerCpu || (s & OrderMask) != order)
                        return (0, $"I1: cpu {cpu} list {index} holds pfn {StartPfn + p}, which is not a per-CPU block of order {order}");
                    if (_links.Prev(p, order) != prev) return (0, $"cpu {cpu} list {index} has a broken back link at pfn {StartPfn + p}");
                    prev = p;
                    pages += 1L << order;
                    if (++length > Pages) return (0, $"cpu {cpu} list {index} has a cycle");
                }
                if (pcp.Tails[index] != prev) return (0, $"cpu {cpu} list {index} tail is wrong");
            }
            if (pages != pcp.Count) return (0, $"I1: cpu {cpu} counts {pcp.Count} per-CPU pages but its lists hold {pages}");
            total += pages;
        }
        if (total != PerCpuPages) return (0, $"I1: per-CPU page count {PerCpuPages} but the lists hold {total}");
        return (total, null);
    }
}
