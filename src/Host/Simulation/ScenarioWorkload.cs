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
public sealed class ScenarioWorkload : IWorkload
{
    private readonly Scenario _scenario;
    private readonly Random _random;
    private readonly Dictionary<string, List<(int Zone, Block Block)>> _held = new();
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
                Hold(c.Id, AllocateBlocks(guest, c.Id, c.SizeBytes, c.Order, Migratetype.Movable, c.Cpu));
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
            var slice = count;
            if (offset == TimeSpan.Zero && first == 0)
                Hold(a.Id, AllocateBlocks(guest, a.Id, slice * blockBytes, a.Order, a.Migratetype, a.Cpu));
            else
                Schedule(a.At + offset, g => Hold(a.Id, AllocateBlocks(g, a.Id, slice * blockBytes, a.Order, a.Migratetype, a.Cpu)));
        }
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
    /// Takes blocks as the kernel chooses a zone: from the highest zone that stays above its low
    /// watermark plus its lowmem_reserve against user memory, then, when none does, again from the
    /// highest against min; what cannot be had is recorded, not thrown.
    /// </summary>
    private List<(int Zone, Block Block)> AllocateBlocks(SimulatedGuest guest, string id, long sizeBytes, int order, Migratetype type, int cpu, bool recordShortfall = true)
    {
        var zones = guest.Actors.Zones;
        var blockBytes = PageGeometry.BytesOfPages(1L << order);
        // An allocation may ask for more than the guest has (what it cannot get is a shortfall), so
        // neither the count nor the list's first capacity may assume it will all come.
        var wanted = sizeBytes / blockBytes;
        var got = new List<(int Zone, Block Block)>((int)Math.Min(wanted, AllocationPiece));
        AllocationFailureReason? lastFailure = null;
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
        // A gather that gets no batch page flushes sooner; the program asked for nothing.
        if (got.Count < wanted && recordShortfall)
            guest.Log.Shortfalls.Add(new AllocationShortfall(guest.Now.TotalSeconds, id, sizeBytes, got.Count * blockBytes,
                lastFailure?.ToString() ?? "no zone could serve it"));
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
        var zapLength = f.ChunkBytes > 0 ? perRun : f.Pattern == FreePattern.All && f.Fraction >= 1 ? blocks.Count : 1;
        var gather = new GatherPages();
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

    /// <summary>
    /// Frees blocks [first, first + n) of a free step as the zaps that unmap them do: at a zap's
    /// start its batch pages are taken (order 0, unmovable, GFP_NOWAIT, on the same CPU, before any
    /// of its pages is freed: tlb_next_batch while zap_pte_range gathers), then its pages are freed
    /// (tlb_flush_mmu), and at its end the batch pages are freed (tlb_finish_mmu, tlb_batch_list_free).
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
                    gather.Held = AllocateBlocks(guest, f.Id, PageGeometry.BytesOfPages(batches), 0, Migratetype.Unmovable, f.Cpu, recordShortfall: false);
            }
            var upTo = Math.Min(zapEnd, end);
            FreeBlocks(guest, f.Id, blocks.GetRange(i, upTo - i), f.Cpu);
            i = upTo;
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
