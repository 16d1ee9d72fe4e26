using System.Collections.Immutable;
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
    // Reused from step to step: a churn's choice and drop work on arrays as large as what it holds,
    // which would otherwise be fresh large-object allocations every round.
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
                AllocateBlocks(guest, a.Id, a.SizeBytes, a.Order, a.Migratetype, HeldList(a.Id));
                break;
            case FreeStep f:
                FreeHeld(guest, f.Id, f.Fraction, f.Pattern);
                break;
            case ChurnStep c:
                AllocateBlocks(guest, c.Id, c.SizeBytes, c.Order, Migratetype.Movable, HeldList(c.Id));
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
            FreeIndexes(guest, churn.Id, chosen);
            AllocateBlocks(guest, churn.Id, (long)count << (churn.Order + PageGeometry.PageShift), churn.Order, Migratetype.Movable, held);
            ScheduleChurn(churn, at + churn.Period);
        });
    }

    /// <summary>The blocks an allocation id holds, made empty on first use.</summary>
    private List<(int Zone, Block Block)> HeldList(string id)
    {
        if (!_held.TryGetValue(id, out var held)) _held[id] = held = new List<(int, Block)>();
        return held;
    }

    /// <summary>
    /// Takes blocks from the highest zone that stays above its low watermark, then, when none does,
    /// again from the highest against min; what cannot be had is recorded, not thrown.
    /// </summary>
    /// <param name="into">Where the blocks go, after what it holds already.</param>
    private static void AllocateBlocks(SimulatedGuest guest, string id, long sizeBytes, int order, Migratetype type, List<(int Zone, Block Block)> into)
    {
        var zones = guest.Actors.Zones;
        var blockBytes = PageGeometry.BytesOfPages(1L << order);
        // An allocation may ask for more than the guest has (what it cannot get is a shortfall), so
        // the count may not assume it will all come.
        var wanted = sizeBytes / blockBytes;
        var got = 0L;
        AllocationFailureReason? lastFailure = null;
        foreach (var floor in new[] { WatermarkLevel.Low, WatermarkLevel.Min })
        {
            for (var zone = zones.Count - 1; zone >= 0 && got < wanted; zone--)
            {
                // In pieces, so that one step of a large guest cannot hold off a stop (Ctrl+C) for long:
                // the same blocks in the same order as one request, since nothing else runs between them.
                while (got < wanted)
                {
                    var count = (int)Math.Min(wanted - got, AllocationPiece);
                    var reply = guest.Ask<object>(zones[zone], new AllocateMany(order, count, type, floor));
                    if (reply is not AllocatedMany many) break;
                    into.EnsureCapacity(into.Count + many.Blocks.Length);
                    foreach (var block in many.Blocks)
                    {
                        into.Add((zone, block));
                        guest.Hypervisor.MarkResident(block);
                    }
                    got += many.Blocks.Length;
                    lastFailure = many.StoppedBecause ?? lastFailure;
                    if (many.Blocks.Length < count) break;
                }
            }
            if (got == wanted) break;
        }
        if (got < wanted)
            guest.Log.Shortfalls.Add(new AllocationShortfall(guest.Now.TotalSeconds, id, sizeBytes, got * blockBytes,
                lastFailure?.ToString() ?? "no zone could serve it"));
    }

    private void FreeHeld(SimulatedGuest guest, string id, double fraction, FreePattern pattern)
    {
        if (!_held.TryGetValue(id, out var held)) return;
        var count = (int)Math.Round(fraction * held.Count);
        var chosen = pattern switch
        {
            FreePattern.All => Enumerable.Range(0, count).ToList(),
            FreePattern.EveryOther => Enumerable.Range(0, held.Count).Where(i => i % 2 == 0)
                .Concat(Enumerable.Range(0, held.Count).Where(i => i % 2 == 1)).Take(count).ToList(),
            _ => RandomIndexes(held.Count, count),
        };
        FreeIndexes(guest, id, chosen);
    }

    /// <summary>A seeded choice of <paramref name="count"/> distinct indexes, kept in ascending order.</summary>
    /// <remarks>The list is reused by the next call.</remarks>
    private List<int> RandomIndexes(int total, int count)
    {
        if (_shuffle.Length < total) _shuffle = new int[total];
        var all = _shuffle.AsSpan(0, total);
        for (var i = 0; i < total; i++) all[i] = i;
        _random.Shuffle(all);
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

    /// <summary>Frees the chosen held blocks in the order given, batching runs that share a zone.</summary>
    private void FreeIndexes(SimulatedGuest guest, string id, List<int> indexes)
    {
        var held = _held[id];
        var i = 0;
        while (i < indexes.Count)
        {
            var zone = held[indexes[i]].Zone;
            var end = i;
            while (end < indexes.Count && held[indexes[end]].Zone == zone) end++;
            var batch = ImmutableArray.CreateBuilder<Block>(end - i);
            while (i < end) batch.Add(held[indexes[i++]].Block);
            var freed = guest.Ask<FreedMany>(guest.Actors.Zones[zone], new FreeMany(batch.MoveToImmutable()));
            if (freed.Rejected.Length > 0)
                throw new InvalidOperationException($"zone {freed.Zone} refused {freed.Rejected.Length} frees of {id}: {freed.Rejected[0].Detail}");
        }
        // Drop the freed ones in place, keeping the others in their order.
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
    }
}
