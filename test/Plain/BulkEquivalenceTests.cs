using System.Diagnostics;
using CsCheck;
using PageReportingActors.Allocator;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using Xunit;
using Xunit.Abstractions;
using static PageReportingActors.Memory.PageGeometry;
using static PageReportingActors.Tests.Plain.PlainZoneKit;

namespace PageReportingActors.Tests.Plain;

/// <summary>
/// The bulk paths (<see cref="ZoneFreeArea.AllocateMany"/>, <see cref="ZoneFreeArea.FreeMany"/>)
/// against one call per block, step by step: two zones built alike, one driven in bulk and one a
/// block at a time through the same random workload (no kernel, 6.1 and 6.12; one or two CPUs;
/// orders 0-10; allocations of many blocks; frees of everything, every other run or a random
/// choice of runs of a chunk, in the held order or reversed, with refused blocks among them; the
/// workload's per-chunk batch page; per-CPU ticks and drains; reporting walks). After every step
/// both zones must answer alike and show the same blocks on the same lists in the same order, the
/// same per-CPU lists, counts and tuning. <c>BULK_EQUIVALENCE_ITER</c> sets how many workloads
/// (default 300); CsCheck prints the seed of a failure, <c>CsCheck_Seed</c> replays it.
/// </summary>
public class BulkEquivalenceTests(ITestOutputHelper output)
{
    private static readonly string FixedSeed = new PCG(7, 20261203).ToString();

    // 4096 pages at pfn 4096: 32 reserved, 600 allocated, 3464 free.
    private static readonly ZoneSpec Spec = new("B", 4096, 4096, 3464, new Watermarks(128, 256, 512), ReservedPages: 32);

    private readonly record struct Op(int Kind, int Order, int Count, int Pick)
    {
        public override string ToString() => $"{Kind}/{Order}/{Count}/{Pick}";
    }

    /// <param name="Kernel">0: no per-CPU lists; 1: Linux 6.1; 2: Linux 6.12.</param>
    /// <param name="Sizing">0: small lists (batch 4, high 16..64), 1: a real guest's (batch 63, high 252..1260).</param>
    private sealed record Case(int Kernel, int Cpus, int Sizing, (int Pageblock, int Type)[] Pageblocks, Op[] Ops);

    private static readonly Gen<int> GenOrder = Gen.Frequency((6, Gen.Const(0)), (1, Gen.Int[1, 3]), (1, Gen.Const(PageblockOrder)), (1, Gen.Int[0, MaxOrder]));

    private static readonly Gen<Op> GenOp = Gen.Select(Gen.Int[0, 99], GenOrder, Gen.Frequency((3, Gen.Int[1, 64]), (2, Gen.Int[64, 1200])), Gen.Int[0, 1 << 20],
        (kind, order, count, pick) => new Op(kind, order, count, pick));

    private static readonly Gen<Case> GenCase = Gen.Select(
        Gen.Int[0, 2], Gen.Int[1, 2], Gen.Int[0, 1],
        Gen.Select(Gen.Int[0, 7], Gen.Frequency((4, Gen.Int[0, 2]), (1, Gen.Int[0, MigratetypeCount - 1]))).Array[0, 3],
        GenOp.Array[1, 40],
        (kernel, cpus, sizing, pageblocks, ops) => new Case(kernel, cpus, sizing, pageblocks, ops));

    private static ZoneFreeArea ZoneFor(Case c)
    {
        if (c.Kernel == 0) return new ZoneFreeArea(Spec);
        var profile = c.Kernel == 1 ? KernelProfile.Linux6_1 : KernelProfile.Linux6_12;
        var sizing = c.Sizing == 0
            ? new PerCpuSizing(4, 16, profile.TunesHigh ? 64 : 16, 16)
            : new PerCpuSizing(63, 252, profile.TunesHigh ? 1260 : 252, 252);
        return new ZoneFreeArea(Spec with { Kernel = new ZoneKernelSpec(profile, c.Cpus, sizing, InitialPerCpuPages: 20) });
    }

    private enum Seen { BulkAllocated, StoppedShort, BulkFreed, Refused, Flushed, Walked, Chunked }

    private static readonly long[] Coverage = new long[Enum.GetValues<Seen>().Length];

    private static void Saw(Seen what, long count = 1) => Interlocked.Add(ref Coverage[(int)what], count);

    [Fact]
    public void Bulk_allocations_and_frees_leave_the_zone_as_one_block_at_a_time_does()
    {
        var iterations = long.TryParse(Environment.GetEnvironmentVariable("BULK_EQUIVALENCE_ITER"), out var n) ? n : 300;
        var watch = Stopwatch.StartNew();
        GenCase.Sample(c => new Pair(c).Run(), writeLine: output.WriteLine, seed: FixedSeed, iter: iterations, print: Describe);
        output.WriteLine($"{iterations} workloads in {watch.Elapsed.TotalSeconds:F1} s; coverage {string.Join(", ", Coverage.Select((k, i) => $"{(Seen)i} {k}"))}");
        Assert.All(Coverage, k => Assert.True(k >= 20, $"coverage {string.Join(", ", Coverage.Select((v, i) => $"{(Seen)i} {v}"))} is too thin"));
    }

    private static string Describe(Case c) =>
        $"kernel {c.Kernel}, cpus {c.Cpus}, sizing {c.Sizing}, pageblocks [{string.Join(' ', c.Pageblocks)}], ops (kind/order/count/pick) [{string.Join(' ', c.Ops)}]";

    /// <summary>The two zones and what the workload holds of each (the same blocks, as long as they agree).</summary>
    private sealed class Pair(Case c)
    {
        private readonly ZoneFreeArea _bulk = ZoneFor(c);
        private readonly ZoneFreeArea _single = ZoneFor(c);
        private readonly List<Block> _held = [];
        private int _reportingOrder = PageblockOrder;

        public void Run()
        {
            foreach (var (pageblock, type) in c.Pageblocks)
            {
                var pfn = Spec.StartPfn + ((long)pageblock << PageblockOrder);
                _bulk.SetPageblockType(pfn, (Migratetype)type);
                _single.SetPageblockType(pfn, (Migratetype)type);
            }
            _held.AddRange(_single.Blocks().Where(b => b.Kind == PageKind.Allocated).Select(b => b.Block));
            Compare("setup");
            for (var i = 0; i < c.Ops.Length; i++)
            {
                var op = c.Ops[i];
                var what = Apply(op);
                Compare($"step {i} ({op}: {what})");
            }
        }

        private string Apply(Op op) => op.Kind switch
        {
            < 40 => AllocateBoth(op),
            < 75 => FreeBoth(op),
            < 85 => Chunked(op),
            < 92 => Walk(op),
            _ when c.Kernel != 0 => Tick(op),
            _ => Walk(op),
        };

        private string AllocateBoth(Op op)
        {
            var type = (Migratetype)(op.Pick % 8 < 5 ? 1 : op.Pick % 5);
            var floor = (WatermarkLevel)(op.Pick / 8 % 4);
            var cpu = op.Pick / 32 % (c.Cpus + (op.Pick % 61 == 0 ? 1 : 0));
            var into = new Block[op.Count];
            var bulk = _bulk.AllocateMany(op.Order, into, type, floor, cpu);
            var single = new List<Block>();
            AllocationFailureReason? stopped = null;
            for (var i = 0; i < op.Count; i++)
            {
                var result = _single.Allocate(op.Order, type, floor, cpu);
                if (!result.Succeeded)
                {
                    stopped = result.Failure;
                    break;
                }
                single.Add(result.Block);
            }
            Assert.Equal(stopped, bulk.StoppedBecause);
            Assert.Equal(single, into.Take(bulk.Count));
            _held.AddRange(single);
            Saw(Seen.BulkAllocated, bulk.Count);
            if (stopped is not null) Saw(Seen.StoppedShort);
            return $"allocated {bulk.Count} of {op.Count} order {op.Order} {type} above {floor} on cpu {cpu} ({stopped?.ToString() ?? "all"})";
        }

        /// <summary>Chooses blocks to free as the scenario workload does: runs of a chunk, all, every other or a random choice of runs.</summary>
        private List<Block> Choose(Op op)
        {
            var perRun = new[] { 1, 1, 2, 16, 64 }[op.Pick % 5];
            var runs = (_held.Count + perRun - 1) / perRun;
            var random = new Random(op.Pick);
            var pattern = op.Pick / 5 % 3;
            var chosenRuns = pattern switch
            {
                0 => Enumerable.Range(0, runs).ToList(),
                1 => Enumerable.Range(0, (runs + 1) / 2).Select(i => 2 * i).ToList(),
                _ => Enumerable.Range(0, runs).Where(_ => random.Next(2) == 0).ToList(),
            };
            var fraction = op.Count % 4 == 0 ? 1.0 : (op.Count % 4) / 4.0;
            var chosen = chosenRuns.Take((int)Math.Round(fraction * chosenRuns.Count))
                .SelectMany(r => Enumerable.Range(r * perRun, Math.Min(perRun, _held.Count - r * perRun))).ToList();
            var blocks = chosen.Select(i => _held[i]).ToList();
            var drop = chosen.ToHashSet();
            var kept = _held.Where((_, i) => !drop.Contains(i)).ToList();
            _held.Clear();
            _held.AddRange(kept);
            if (op.Pick / 15 % 4 == 0) blocks.Reverse();
            return blocks;
        }

        private string FreeBoth(Op op)
        {
            var blocks = Choose(op);
            // Refused ones among them: a block freed twice, a pfn outside the zone, a wrong order.
            if (op.Pick / 60 % 3 == 0 && blocks.Count > 0)
            {
                blocks.Insert(op.Pick % (blocks.Count + 1), blocks[op.Pick % blocks.Count]);
                blocks.Insert(op.Pick % blocks.Count, new Block(Spec.StartPfn + Spec.Pages + 1, 0));
                blocks.Insert(op.Pick % blocks.Count, new Block(blocks[0].Pfn, blocks[0].Order == 0 ? 1 : 0));
            }
            var cpu = op.Pick / 180 % (c.Cpus + (op.Pick % 67 == 0 ? 1 : 0));
            return FreeBoth(blocks, cpu);
        }

        private string FreeBoth(List<Block> blocks, int cpu)
        {
            var bulkRejected = new List<(int, FreeRejectionReason)>();
            var bulk = _bulk.FreeMany(blocks.ToArray(), cpu, (i, reason) => bulkRejected.Add((i, reason)));
            var singleRejected = new List<(int, FreeRejectionReason)>();
            var freed = 0;
            var highest = -1;
            for (var i = 0; i < blocks.Count; i++)
            {
                var result = _single.Free(blocks[i].Pfn, blocks[i].Order, cpu);
                if (!result.Succeeded)
                {
                    singleRejected.Add((i, result.Rejection!.Value));
                    continue;
                }
                freed++;
                highest = Math.Max(highest, result.HighestMergedOrder);
            }
            Assert.Equal(singleRejected, bulkRejected);
            Assert.Equal((freed, highest), (bulk.Freed, bulk.HighestMergedOrder));
            Saw(Seen.BulkFreed, freed);
            Saw(Seen.Refused, singleRejected.Count);
            if (c.Kernel != 0 && highest >= 0) Saw(Seen.Flushed);
            return $"freed {freed} of {blocks.Count} on cpu {cpu}, {singleRejected.Count} refused, merged up to {highest}";
        }

        /// <summary>The scenario workload's chunk: an order-0 batch page, the chunk's frees, then the batch page's free, on one CPU.</summary>
        private string Chunked(Op op)
        {
            var blocks = Choose(op);
            var cpu = op.Pick / 180 % c.Cpus;
            var steps = new List<string>();
            for (var first = 0; first < blocks.Count; first += 64)
            {
                var page = _bulk.Allocate(0, Migratetype.Unmovable, WatermarkLevel.None, cpu);
                Assert.Equal(_single.Allocate(0, Migratetype.Unmovable, WatermarkLevel.None, cpu), page);
                steps.Add(FreeBoth(blocks.GetRange(first, Math.Min(64, blocks.Count - first)), cpu));
                if (page.Succeeded) steps.Add(FreeBoth([page.Block], cpu));
                Saw(Seen.Chunked);
            }
            return string.Join("; ", steps);
        }

        private string Walk(Op op)
        {
            if (op.Pick % 3 == 0) _reportingOrder = op.Order;
            var settings = new PassSettings(_reportingOrder, 1 + op.Pick % 32);
            bool Device(IReadOnlyList<Block> batch) => (batch[0].Pfn + op.Pick) % 5 != 0;
            var bulk = RunWalk(_bulk, settings, Device).Reports;
            var single = RunWalk(_single, settings, Device).Reports;
            Assert.Equal(single.Select(Describe), bulk.Select(Describe));
            Saw(Seen.Walked, single.Count);
            return $"walk at order {_reportingOrder}: {single.Count} reports";
        }

        private static string Describe(WalkReport r) => $"{string.Join(',', r.Batch)} {r.IsLeftover} {r.Succeeded}";

        private string Tick(Op op)
        {
            var cpu = op.Pick % c.Cpus;
            if (op.Pick % 4 == 0) return $"drained cpu {cpu}: {(_bulk.DrainPerCpu(cpu), _single.DrainPerCpu(cpu))}";
            return $"ticked cpu {cpu}: {(_bulk.DecayPerCpuHigh(cpu), _single.DecayPerCpuHigh(cpu))}";
        }

        private void Compare(string when)
        {
            Assert.True(_single.CheckInvariants() is null, $"after {when}: one at a time: {_single.CheckInvariants()}");
            Assert.True(_bulk.CheckInvariants() is null, $"after {when}: bulk: {_bulk.CheckInvariants()}");
            var expected = Snapshot(_single);
            var actual = Snapshot(_bulk);
            if (expected != actual) Assert.Fail($"after {when}: the zones differ at\n{Difference(expected, actual)}");
            for (var cpu = 0; cpu < _single.Cpus; cpu++)
                Assert.True(_single.PerCpuTuning(cpu) == _bulk.PerCpuTuning(cpu),
                    $"after {when}: cpu {cpu} tuning {_bulk.PerCpuTuning(cpu)}, one at a time {_single.PerCpuTuning(cpu)}");
        }

        private static string Difference(string expected, string actual)
        {
            var at = 0;
            while (at < expected.Length && at < actual.Length && expected[at] == actual[at]) at++;
            var from = Math.Max(0, at - 80);
            return $"one at a time: ...{expected.Substring(from, Math.Min(200, expected.Length - from))}\nbulk:          ...{actual.Substring(from, Math.Min(200, actual.Length - from))}";
        }
    }
}
