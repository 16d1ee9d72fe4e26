using PageReportingActors.Guest;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors.Host.Simulation;

/// <summary>
/// Plays a scenario's workload steps: registration, allocations (written, so resident on the host),
/// frees by fraction and pattern, churn and order changes. Random choices come from the scenario's
/// seed, so a scenario plays the same every time.
/// </summary>
internal sealed class ScenarioWorkload : IWorkload
{
    private readonly Scenario _scenario;
    private readonly Random _random;
    private readonly Dictionary<string, List<(int Zone, Block Block)>> _held = new();
    // The page-table pages each allocation id's mapped memory took (R24), freed when it is unmapped.
    private readonly Dictionary<string, List<(int Zone, Block Block)>> _pageTables = new();
    private readonly PriorityQueue<Action<SimulatedGuest>, (long Ticks, long Sequence)> _actions = new();
    private long _sequence;
    // Reused from step to step: a churn's choice works on arrays as large as what it holds, which
    // would otherwise be fresh large-object allocations every round.
    private int[] _shuffle = [];
    private bool[] _marks = [];
    private readonly List<int> _chosen = new();

    /// <summary>Blocks asked of a zone at once: 256 MiB of order-0 pages.</summary>
    private const int AllocationPiece = 1 << 16;

    /// <param name="stopAt">Steps after this time are not played (see <see cref="StopTime"/>).</param>
    public ScenarioWorkload(Scenario scenario, TimeSpan stopAt)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        _scenario = scenario;
        _random = new Random(scenario.Seed);
        foreach (var step in scenario.Workload.Where(s => s.At <= stopAt))
            Schedule(step.At, guest => Execute(guest, step));
    }

    /// <summary>The scenario's first <c>stop</c>, or its last step's time when it has none.</summary>
    public static TimeSpan StopTime(Scenario scenario) =>
        scenario.Workload.OfType<StopStep>().Select(s => s.At).DefaultIfEmpty(
            scenario.Workload.Count == 0 ? TimeSpan.Zero : scenario.Workload.Max(s => s.At)).Min();

    public TimeSpan? NextAt => _actions.TryPeek(out _, out var key) ? TimeSpan.FromTicks(key.Ticks) : null;

    public void RunNext(SimulatedGuest guest) => _actions.Dequeue()(guest);

    /// <summary>Blocks an allocation id holds now, in the order they were allocated.</summary>
    public IReadOnlyList<Block> Held(string id) =>
        _held.TryGetValue(id, out var held) ? held.Select(h => h.Block).ToList() : [];

    private void Schedule(TimeSpan at, Action<SimulatedGuest> action) => _actions.Enqueue(action, (at.Ticks, _sequence++));

    private void Execute(SimulatedGuest guest, WorkloadStep step)
    {
        switch (step)
        {
            case RegisterStep:
                guest.Register(_scenario.Device.Order);
                break;
            case UnregisterStep:
                guest.Unregister();
                break;
            case SetOrderStep s:
                guest.TellRegistry(new SetReportingOrder(s.Value));
                break;
            case AllocateStep a:
                AllocateSpread(guest, a);
                break;
            case FreeStep f:
                FreeHeld(guest, f);
                break;
            case ChurnStep c:
                AllocateMapped(guest, c.Id, 0, c.SizeBytes / PageGeometry.BytesOfPages(1L << c.Order), c.Order, Migratetype.Movable, c.Cpu);
                ScheduleChurn(c, c.At + c.Period);
                break;
            case StopStep:
                break;
        }
    }

    private void ScheduleChurn(ChurnStep churn, TimeSpan at)
    {
        if (churn.Period <= TimeSpan.Zero || at > churn.Until) return;
        Schedule(at, guest =>
        {
            // Free a random part (up to half) of what the churn holds, then take as much back.
            var held = _held[churn.Id];
            var count = (int)Math.Round(_random.NextDouble() * 0.5 * held.Count);
            var chosen = RandomIndexes(held.Count, count);
            FreeBlocks(guest, churn.Id, TakeHeld(churn.Id, chosen), churn.Cpu);
            Hold(churn.Id, AllocateBlocks(guest, churn.Id, (long)count << (churn.Order + PageGeometry.PageShift), churn.Order, Migratetype.Movable, churn.Cpu));
            ScheduleChurn(churn, at + churn.Period);
        });
    }

    private void Hold(string id, List<(int Zone, Block Block)> blocks)
    {
        if (!_held.TryGetValue(id, out var held)) _held[id] = held = new List<(int, Block)>();
        held.AddRange(blocks);
    }

    /// <summary>
    /// An allocation, all at its time or spread over <c>over</c>: block i at <c>at + i * over / n</c>,
    /// taken to the millisecond (the blocks of one millisecond go in one message).
    /// </summary>
    private void AllocateSpread(SimulatedGuest guest, AllocateStep a)
    {
        var blockBytes = PageGeometry.BytesOfPages(1L << a.Order);
        var total = a.SizeBytes / blockBytes;
        foreach (var (offset, first, count) in Slices(a.Over, total))
        {
            if (offset == TimeSpan.Zero && first == 0) AllocateMapped(guest, a.Id, first, count, a.Order, a.Migratetype, a.Cpu);
            else Schedule(a.At + offset, g => AllocateMapped(g, a.Id, first, count, a.Order, a.Migratetype, a.Cpu));
        }
    }

    /// <summary>Pages one page-table page maps: 512 entries of 4 KiB, 2 MiB (PTRS_PER_PTE).</summary>
    internal const int PagesPerPageTable = 1 << PageGeometry.PageblockOrder;

    // kernel: do_anonymous_page, __pte_alloc, pte_alloc_one (R24)
    /// <summary>
    /// Allocates blocks [first, first + count) of an allocation. A program's order-0 movable
    /// memory is mapped by page tables: the first fault in each 2 MiB of it takes a page-table page
    /// (order 0, unmovable, on the same CPU) before its own page, and the id holds it until the
    /// memory is unmapped (R24).
    /// </summary>
    private void AllocateMapped(SimulatedGuest guest, string id, long first, long count, int order, Migratetype type, int cpu)
    {
        var blockBytes = PageGeometry.BytesOfPages(1L << order);
        if (!MappedByPageTables(order, type))
        {
            Hold(id, AllocateBlocks(guest, id, count * blockBytes, order, type, cpu));
            return;
        }
        long got = 0;
        for (long i = first, end = first + count; i < end;)
        {
            // A page table the kernel cannot get is no shortfall of the program's; its pages are.
            if (i % PagesPerPageTable == 0)
                HoldPageTables(id, TakeBlocks(guest, PageGeometry.PageSize, 0, Migratetype.Unmovable, cpu, out _));
            var upTo = Math.Min(end, (i / PagesPerPageTable + 1) * PagesPerPageTable);
            var piece = TakeBlocks(guest, (upTo - i) * blockBytes, order, type, cpu, out var failure);
            Hold(id, piece);
            got += piece.Count;
            if (piece.Count < upTo - i)
            {
                // Once the guest has no more, the rest of the step would not get any either.
                RecordShortfall(guest, id, count * blockBytes, got * blockBytes, failure);
                return;
            }
            i = upTo;
        }
    }

    /// <summary>
    /// Memory a program maps page by page: order 0, movable (anonymous pages). Larger blocks and
    /// other migratetypes stand for kernel memory or huge pages, which no page table of this kind maps.
    /// </summary>
    internal static bool MappedByPageTables(int order, Migratetype type) => order == 0 && type == Migratetype.Movable;

    private void HoldPageTables(string id, List<(int Zone, Block Block)> blocks)
    {
        if (!_pageTables.TryGetValue(id, out var held)) _pageTables[id] = held = new List<(int, Block)>();
        held.AddRange(blocks);
    }

    /// <summary>
    /// Items 0..n-1 spread evenly over <paramref name="over"/>, grouped by the millisecond they fall
    /// in: (offset from the step, first item, count), in order.
    /// </summary>
    internal static IEnumerable<(TimeSpan Offset, long First, long Count)> Slices(TimeSpan over, long n)
    {
        if (n <= 0) yield break;
        if (over <= TimeSpan.Zero)
        {
            yield return (TimeSpan.Zero, 0, n);
            yield break;
        }
        long first = 0, slice = 0;
        for (long i = 1; i <= n; i++)
        {
            var ms = i == n ? -1 : (long)((Int128)over.Ticks * i / n / TimeSpan.TicksPerMillisecond);
            if (ms == slice) continue;
            yield return (TimeSpan.FromMilliseconds(slice), first, i - first);
            first = i;
            slice = ms;
        }
    }

    /// <summary>
    /// Takes blocks as the kernel chooses a zone (see <see cref="TakeBlocks"/>); what cannot be had
    /// is recorded, not thrown.
    /// </summary>
    private List<(int Zone, Block Block)> AllocateBlocks(SimulatedGuest guest, string id, long sizeBytes, int order, Migratetype type, int cpu)
    {
        var got = TakeBlocks(guest, sizeBytes, order, type, cpu, out var failure);
        var blockBytes = PageGeometry.BytesOfPages(1L << order);
        if (got.Count < sizeBytes / blockBytes) RecordShortfall(guest, id, sizeBytes, got.Count * blockBytes, failure);
        return got;
    }

    private static void RecordShortfall(SimulatedGuest guest, string id, long requestedBytes, long allocatedBytes, AllocationFailureReason? failure) =>
        guest.Log.Shortfalls.Add(new AllocationShortfall(guest.Now.TotalSeconds, id, requestedBytes, allocatedBytes,
            failure?.ToString() ?? "no zone could serve it"));

    /// <summary>
    /// Takes blocks as the kernel chooses a zone: from the highest zone that stays above its low
    /// watermark plus its lowmem_reserve against user memory, then, when none does, again from the
    /// highest against min. Returns what it got; <paramref name="lastFailure"/> says why it stopped short.
    /// </summary>
    private List<(int Zone, Block Block)> TakeBlocks(SimulatedGuest guest, long sizeBytes, int order, Migratetype type, int cpu, out AllocationFailureReason? lastFailure)
    {
        var zones = guest.Actors.Zones;
        var blockBytes = PageGeometry.BytesOfPages(1L << order);
        // An allocation may ask for more than the guest has (what it cannot get is a shortfall), so
        // neither the count nor the list's first capacity may assume it will all come.
        var wanted = sizeBytes / blockBytes;
        var got = new List<(int Zone, Block Block)>((int)Math.Min(wanted, AllocationPiece));
        lastFailure = null;
        foreach (var floor in new[] { WatermarkLevel.Low, WatermarkLevel.Min })
        {
            for (var zone = zones.Count - 1; zone >= 0 && got.Count < wanted; zone--)
            {
                // In pieces, so that one step of a large guest cannot hold off a stop (Ctrl+C) for long:
                // the same blocks in the same order as one request, since nothing else runs between them.
                while (got.Count < wanted)
                {
                    var count = (int)Math.Min(wanted - got.Count, AllocationPiece);
                    var reply = guest.Ask<object>(zones[zone], new AllocateMany(order, count, type, floor, cpu, Reserve(zone)));
                    if (reply is not AllocatedMany many) break;
                    foreach (var block in many.Blocks)
                    {
                        got.Add((zone, block));
                        guest.Hypervisor.Touch(block);
                    }
                    lastFailure = many.StoppedBecause ?? lastFailure;
                    if (many.Blocks.Length < count) break;
                }
            }
            if (got.Count == wanted) break;
        }
        return got;
    }

    /// <summary>The zone's lowmem_reserve against user memory, whose highest zone is Movable.</summary>
    private long Reserve(int zone) =>
        zone < _scenario.Protection.Count ? ZoneChoice.ReserveOf(_scenario.Protection[zone], ZoneChoice.MovableZoneIndex) : 0;

    /// <summary>
    /// Chooses what a free returns: the held blocks in runs of <c>chunk</c> (single blocks without
    /// one), the pattern choosing among the runs (all of them, every second one, or a seeded random
    /// choice) and the fraction how many of those. The blocks leave the allocation now
    /// and are freed at once or spread over <c>over</c>, to the millisecond, in the order chosen.
    /// </summary>
    private void FreeHeld(SimulatedGuest guest, FreeStep f)
    {
        if (!_held.TryGetValue(f.Id, out var held) || held.Count == 0) return;
        var blockBytes = PageGeometry.BytesOfPages(1L << held[0].Block.Order);
        var perRun = f.ChunkBytes > 0 ? (int)Math.Max(1, f.ChunkBytes / blockBytes) : 1;
        var runs = (held.Count + perRun - 1) / perRun;
        // every-other: the 1st, 3rd, 5th, ... run, as a program that releases every other piece of its memory.
        var candidates = f.Pattern == FreePattern.EveryOther ? (runs + 1) / 2 : runs;
        var count = (int)Math.Round(f.Fraction * candidates);
        var chosenRuns = f.Pattern switch
        {
            FreePattern.All => Enumerable.Range(0, count).ToList(),
            FreePattern.EveryOther => Enumerable.Range(0, count).Select(i => 2 * i).ToList(),
            _ => RandomIndexes(runs, count),
        };
        var chosen = chosenRuns.SelectMany(r => Enumerable.Range(r * perRun, Math.Min(perRun, held.Count - r * perRun))).ToList();
        var blocks = TakeHeld(f.Id, chosen);
        // One zap per madvise'd chunk; without a chunk, a whole free is one munmap and a partial one
        // frees block by block.
        var unmaps = f.ChunkBytes == 0 && f.Pattern == FreePattern.All && f.Fraction >= 1;
        var zapLength = f.ChunkBytes > 0 ? perRun : unmaps ? blocks.Count : 1;
        var gather = new GatherPages();
        // An unmap also frees the page tables that mapped the memory (R24), at the end of its zap.
        if (unmaps && _pageTables.Remove(f.Id, out var tables)) gather.Tables = tables;
        foreach (var (offset, first, n) in Slices(f.Over, blocks.Count))
        {
            if (offset == TimeSpan.Zero && first == 0) FreeZapped(guest, f, blocks, zapLength, (int)first, (int)n, gather);
            else Schedule(f.At + offset, g => FreeZapped(g, f, blocks, zapLength, (int)first, (int)n, gather));
        }
    }

    /// <summary>The page-table batch pages one zap holds (mm/mmu_gather.c), from its start to its end.</summary>
    private sealed class GatherPages
    {
        public List<(int Zone, Block Block)> Held = [];
        /// <summary>Page-table pages the zap's unmap frees after its pages (free_pgtables), before the batch pages.</summary>
        public List<(int Zone, Block Block)> Tables = [];
    }

    /// <summary>Pages an mmu_gather keeps in itself before it needs a batch page (MMU_GATHER_BUNDLE).</summary>
    internal const int GatherBundlePages = 8;

    /// <summary>Pages one batch page holds: (4096 - 16) / 8 pointers (MAX_GATHER_BATCH).</summary>
    internal const int GatherBatchPages = 510;

    /// <summary>Most batch pages one gather takes before it flushes and reuses them (MAX_GATHER_BATCH_COUNT = 10000 / 510).</summary>
    internal const int GatherMaxBatches = 19;

    /// <summary>
    /// The batch pages a zap of <paramref name="pages"/> entries allocates: none while the bundle
    /// holds them, then one per 510, at most 19 (tlb_next_batch refuses more and the gather flushes).
    /// </summary>
    internal static int GatherBatchesFor(int pages) =>
        pages <= GatherBundlePages ? 0 : Math.Min(GatherMaxBatches, (pages - GatherBundlePages + GatherBatchPages - 1) / GatherBatchPages);

    // kernel: zap_pte_range, tlb_next_batch, tlb_flush_mmu, free_pgtables, tlb_finish_mmu (R24)
    /// <summary>
    /// R24: frees blocks [first, first + n) of a free step as the zaps that unmap them do: at a zap's
    /// start its batch pages are taken (order 0, unmovable, GFP_NOWAIT, on the same CPU, before any
    /// of its pages is freed: tlb_next_batch while zap_pte_range gathers), then its pages are freed
    /// (tlb_flush_mmu), at an unmap's end the page tables (free_pgtables), and last the batch pages
    /// (tlb_finish_mmu, tlb_batch_list_free).
    /// </summary>
    private void FreeZapped(SimulatedGuest guest, FreeStep f, List<(int Zone, Block Block)> blocks, int zapLength, int first, int n, GatherPages gather)
    {
        var i = first;
        var end = first + n;
        while (i < end)
        {
            var zapStart = i / zapLength * zapLength;
            var zapEnd = Math.Min(zapStart + zapLength, blocks.Count);
            if (i == zapStart)
            {
                var batches = GatherBatchesFor(zapEnd - zapStart);
                if (batches > 0)
                    // A gather that gets no batch page flushes sooner; the program asked for nothing.
                    gather.Held = TakeBlocks(guest, PageGeometry.BytesOfPages(batches), 0, Migratetype.Unmovable, f.Cpu, out _);
            }
            var upTo = Math.Min(zapEnd, end);
            FreeBlocks(guest, f.Id, blocks.GetRange(i, upTo - i), f.Cpu);
            i = upTo;
            if (i == zapEnd && gather.Tables.Count > 0)
            {
                FreeBlocks(guest, f.Id, gather.Tables, f.Cpu);
                gather.Tables = [];
            }
            if (i == zapEnd && gather.Held.Count > 0)
            {
                FreeBlocks(guest, f.Id, gather.Held, f.Cpu);
                gather.Held = [];
            }
        }
    }

    /// <summary>A seeded choice of <paramref name="count"/> distinct indexes, kept in ascending order.</summary>
    /// <remarks>The list is reused by the next call.</remarks>
    private List<int> RandomIndexes(int total, int count)
    {
        if (_shuffle.Length < total) _shuffle = new int[total];
        var all = _shuffle.AsSpan(0, total);
        for (var i = 0; i < total; i++) all[i] = i;
        // Random.Shuffle's steps (position i swapped with a draw from i..total-1): a position is
        // final after its own step, so past the first count only the draws are made, which keeps
        // the seeded sequence what a whole shuffle leaves.
        for (var i = 0; i < total - 1; i++)
        {
            var j = _random.Next(i, total);
            if (i < count) (all[i], all[j]) = (all[j], all[i]);
        }
        // The first count of the shuffle, in ascending order: mark them, then read the marks in order.
        var picked = Marks(total);
        for (var i = 0; i < count; i++) picked[all[i]] = true;
        _chosen.Clear();
        for (var i = 0; i < total; i++)
        {
            if (!picked[i]) continue;
            _chosen.Add(i);
            picked[i] = false;
        }
        return _chosen;
    }

    /// <summary>A reused array of at least <paramref name="length"/> marks, all false; whoever marks clears them again.</summary>
    private bool[] Marks(int length)
    {
        if (_marks.Length < length) _marks = new bool[length];
        return _marks;
    }

    /// <summary>Takes the chosen blocks out of what <paramref name="id"/> holds, in the order given.</summary>
    private List<(int Zone, Block Block)> TakeHeld(string id, List<int> indexes)
    {
        var held = _held[id];
        var taken = new List<(int Zone, Block Block)>(indexes.Count);
        foreach (var index in indexes) taken.Add(held[index]);
        // Drop the taken ones in place, keeping the others in their order (no fresh list per round).
        var removed = Marks(held.Count);
        foreach (var index in indexes) removed[index] = true;
        var kept = 0;
        for (var index = 0; index < held.Count; index++)
        {
            if (removed[index])
            {
                removed[index] = false;
                continue;
            }
            held[kept++] = held[index];
        }
        held.RemoveRange(kept, held.Count - kept);
        return taken;
    }

    /// <summary>Frees blocks in the order given on <paramref name="cpu"/>, batching runs that share a zone.</summary>
    private static void FreeBlocks(SimulatedGuest guest, string id, List<(int Zone, Block Block)> blocks, int cpu)
    {
        var i = 0;
        while (i < blocks.Count)
        {
            var zone = blocks[i].Zone;
            var batch = new List<Block>();
            while (i < blocks.Count && blocks[i].Zone == zone) batch.Add(blocks[i++].Block);
            var freed = guest.Ask<FreedMany>(guest.Actors.Zones[zone], new FreeMany([.. batch], cpu));
            if (freed.Rejected.Length > 0)
                throw new InvalidOperationException($"zone {freed.Zone} refused {freed.Rejected.Length} frees of {id}: {freed.Rejected[0].Detail}");
        }
    }
}
