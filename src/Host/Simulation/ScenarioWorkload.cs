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
                Hold(a.Id, AllocateBlocks(guest, a.Id, a.SizeBytes, a.Order, a.Migratetype));
                break;
            case FreeStep f:
                FreeHeld(guest, f.Id, f.Fraction, f.Pattern);
                break;
            case ChurnStep c:
                Hold(c.Id, AllocateBlocks(guest, c.Id, c.SizeBytes, c.Order, Migratetype.Movable));
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
            Hold(churn.Id, AllocateBlocks(guest, churn.Id, (long)count << (churn.Order + PageGeometry.PageShift), churn.Order, Migratetype.Movable));
            ScheduleChurn(churn, at + churn.Period);
        });
    }

    private void Hold(string id, List<(int Zone, Block Block)> blocks)
    {
        if (!_held.TryGetValue(id, out var held)) _held[id] = held = new List<(int, Block)>();
        held.AddRange(blocks);
    }

    /// <summary>
    /// Takes blocks from the highest zone that stays above its low watermark, then, when none does,
    /// again from the highest against min; what cannot be had is recorded, not thrown.
    /// </summary>
    private static List<(int Zone, Block Block)> AllocateBlocks(SimulatedGuest guest, string id, long sizeBytes, int order, Migratetype type)
    {
        var zones = guest.Actors.Zones;
        var blockBytes = PageGeometry.BytesOfPages(1L << order);
        var wanted = (int)(sizeBytes / blockBytes);
        var got = new List<(int Zone, Block Block)>(wanted);
        AllocationFailureReason? lastFailure = null;
        foreach (var floor in new[] { WatermarkLevel.Low, WatermarkLevel.Min })
        {
            for (var zone = zones.Count - 1; zone >= 0 && got.Count < wanted; zone--)
            {
                var reply = guest.Ask<object>(zones[zone], new AllocateMany(order, wanted - got.Count, type, floor));
                if (reply is not AllocatedMany many) continue;
                foreach (var block in many.Blocks)
                {
                    got.Add((zone, block));
                    guest.Hypervisor.MarkResident(block);
                }
                lastFailure = many.StoppedBecause ?? lastFailure;
            }
            if (got.Count == wanted) break;
        }
        if (got.Count < wanted)
            guest.Log.Shortfalls.Add(new AllocationShortfall(guest.Now.TotalSeconds, id, sizeBytes, got.Count * blockBytes,
                lastFailure?.ToString() ?? "no zone could serve it"));
        return got;
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
    private List<int> RandomIndexes(int total, int count)
    {
        var all = new int[total];
        for (var i = 0; i < total; i++) all[i] = i;
        _random.Shuffle(all);
        var chosen = all.AsSpan(0, count);
        chosen.Sort();
        var list = new List<int>(count);
        list.AddRange(chosen);
        return list;
    }

    /// <summary>Frees the chosen held blocks in the order given, batching runs that share a zone.</summary>
    private void FreeIndexes(SimulatedGuest guest, string id, List<int> indexes)
    {
        var held = _held[id];
        var i = 0;
        while (i < indexes.Count)
        {
            var zone = held[indexes[i]].Zone;
            var batch = new List<Block>();
            while (i < indexes.Count && held[indexes[i]].Zone == zone) batch.Add(held[indexes[i++]].Block);
            var freed = guest.Ask<FreedMany>(guest.Actors.Zones[zone], new FreeMany([.. batch]));
            if (freed.Rejected.Length > 0)
                throw new InvalidOperationException($"zone {freed.Zone} refused {freed.Rejected.Length} frees of {id}: {freed.Rejected[0].Detail}");
        }
        var removed = new bool[held.Count];
        foreach (var index in indexes) removed[index] = true;
        var kept = new List<(int Zone, Block Block)>(Math.Max(0, held.Count - indexes.Count));
        for (var index = 0; index < held.Count; index++)
            if (!removed[index]) kept.Add(held[index]);
        _held[id] = kept;
    }
}
