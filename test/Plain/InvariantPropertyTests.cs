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
/// I1-I4 after every step of random operation sequences on one small zone, with reporting walks
/// interleaved: allocations and frees while a batch is out (R14), successes, failures, abandoned walks
/// and reporting-order changes between passes. CsCheck shrinks a failure and prints its seed; set
/// <c>CsCheck_Seed</c> to that value to replay it first.
/// </summary>
public class InvariantPropertyTests(ITestOutputHelper output)
{
    private const long Iterations = 2500;
    // The first case always runs from this seed, so every run covers at least one known sequence.
    private static readonly string FixedSeed = new PCG(1, 20240917).ToString();

    // 4096 pages at pfn 4096: 32 reserved, 600 allocated (pageblocks 8 and 9 Unmovable), 3464 free.
    private static readonly ZoneSpec Spec = new("P", 4096, 4096, 3464, new Watermarks(128, 256, 512), ReservedPages: 32);

    private readonly record struct Op(int Kind, int Order, int Pick)
    {
        public override string ToString() => $"{Kind}/{Order}/{Pick}";
    }

    /// <param name="Kernel">0: no per-CPU lists; 1: Linux 6.1; 2: Linux 6.12 (R21, R22).</param>
    private sealed record Case(int Capacity, int ReportingOrder, (int Pageblock, int Type)[] Pageblocks, Op[] Ops, int Kernel = 0, int Cpus = 1);

    private static readonly Gen<Op> GenOp =
        Gen.Select(Gen.Int[0, 99], Gen.Int[0, MaxOrder], Gen.Int[0, 1 << 20], (kind, order, pick) => new Op(kind, order, pick));

    private static readonly Gen<Case> GenCase = Gen.Select(
        Gen.OneOfConst(1, 2, 4, 8, 32),
        Gen.Int[0, MaxOrder],
        Gen.Select(Gen.Int[0, 7], Gen.Int[0, MigratetypeCount - 1]).Array[0, 3],
        GenOp.Array[1, 150],
        (capacity, order, pageblocks, ops) => new Case(capacity, order, pageblocks, ops));

    // Small per-CPU lists (batch 4, high 16..64) so that flushes, refills and ticks happen often.
    private static readonly Gen<Case> GenKernelCase = Gen.Select(GenCase, Gen.Int[1, 2], Gen.Int[1, 2],
        (c, kernel, cpus) => c with { Kernel = kernel, Cpus = cpus });

    private static ZoneFreeArea ZoneFor(Case c)
    {
        if (c.Kernel == 0) return new ZoneFreeArea(Spec);
        var profile = c.Kernel == 1 ? KernelProfile.Linux6_1 : KernelProfile.Linux6_12;
        var sizing = new PerCpuSizing(4, 16, profile.TunesHigh ? 64 : 16, 16);
        return new ZoneFreeArea(Spec with { Kernel = new ZoneKernelSpec(profile, c.Cpus, sizing, InitialPerCpuPages: 20) });
    }

    [Fact]
    public void I1_to_I4_hold_after_every_step_of_random_allocations_frees_and_walks()
    {
        var watch = Stopwatch.StartNew();
        GenCase.Sample(Run, writeLine: output.WriteLine, seed: FixedSeed, iter: Iterations, print: Describe);
        output.WriteLine($"{Iterations} sequences in {watch.Elapsed.TotalSeconds:F1} s (first seed {FixedSeed})");
        output.WriteLine($"coverage: {string.Join(", ", Coverage.Select((n, i) => $"{(Seen)i} {n}"))}");
        // The sequences must reach what they are meant to test, or the invariants were checked on idle zones.
        Assert.All(Coverage.Take(PerCpuSeen), n => Assert.True(n >= 20, $"coverage {string.Join(", ", Coverage)} is too thin"));
    }

    [Fact]
    public void I1_counts_per_cpu_pages_after_every_step_of_random_allocations_frees_ticks_and_walks()
    {
        Array.Clear(Coverage);
        GenKernelCase.Sample(Run, writeLine: output.WriteLine, seed: FixedSeed, iter: Iterations / 8, print: Describe);
        output.WriteLine($"coverage: {string.Join(", ", Coverage.Select((n, i) => $"{(Seen)i} {n}"))}");
        Assert.All(Coverage, n => Assert.True(n >= 20, $"coverage {string.Join(", ", Coverage.Select((n, i) => $"{(Seen)i} {n}"))} is too thin"));
    }

    private enum Seen { FullReport, Leftover, Flagged, MergedOnReturn, FailedReport, Abandoned, AllocatedWhileOut, FreedWhileOut, OutOfMemory, BelowWatermark, RefusedFree, KeptPerCpu, FlushedPerCpu, Ticked }

    // The kinds from here on only happen with per-CPU lists.
    private const int PerCpuSeen = (int)Seen.KeptPerCpu;

    private static readonly long[] Coverage = new long[Enum.GetValues<Seen>().Length];

    private static void Saw(Seen what, long count = 1) => Interlocked.Add(ref Coverage[(int)what], count);

    private static string Describe(Case c) =>
        $"kernel {c.Kernel}, cpus {c.Cpus}, capacity {c.Capacity}, reportingOrder {c.ReportingOrder}, pageblocks [{string.Join(' ', c.Pageblocks)}], "
        + $"ops (kind/order/pick) [{string.Join(' ', c.Ops)}]";

    private static void Run(Case c) => new Sequence(c).Run();

    /// <summary>One sequence against a fresh zone, with the test's own record of what it holds.</summary>
    private sealed class Sequence(Case c)
    {
        private readonly ZoneFreeArea _zone = ZoneFor(c);
        private readonly List<Block> _held = [];
        private int _reportingOrder = c.ReportingOrder;
        private ZoneReportingWalk? _walk;
        private IReadOnlyList<Block> _batch = [];

        public void Run()
        {
            foreach (var (pageblock, type) in c.Pageblocks)
                _zone.SetPageblockType(Spec.StartPfn + ((long)pageblock << PageblockOrder), (Migratetype)type);
            // The kernel's own blocks are allocated too; the test may free them like its own.
            _held.AddRange(_zone.Blocks().Where(b => b.Kind == PageKind.Allocated).Select(b => b.Block));
            Verify("setup");

            for (var i = 0; i < c.Ops.Length; i++)
            {
                var op = c.Ops[i];
                var what = Apply(op);
                Verify($"step {i} ({op}: {what})");
            }
            Abandon();
            Verify("final abandon");
        }

        private string Apply(Op op) => op.Kind switch
        {
            < 30 => Allocate(op),
            < 55 => FreeHeld(op),
            < 63 => StartWalk(),
            < 77 => Complete(success: true),
            < 83 => Complete(success: false),
            < 88 => Abandon(),
            < 94 => ChangeOrder(op.Order),
            < 97 when c.Kernel != 0 => Tick(op),
            _ => BadFree(op),
        };

        private string Tick(Op op)
        {
            var cpu = op.Pick % c.Cpus;
            var total = _zone.FreePages + _zone.PerCpuPages;
            if (op.Pick % 8 == 0)
            {
                var merged = _zone.DrainPerCpu(cpu);
                Assert.Equal(0, _zone.PerCpuState(cpu).Count);
                Assert.Equal(total, _zone.FreePages + _zone.PerCpuPages);
                return $"drained cpu {cpu} (merged up to {merged})";
            }
            var tick = _zone.DecayPerCpuHigh(cpu);
            var state = _zone.PerCpuState(cpu);
            // 6.12's tick leaves no more than high on the list; high never drops below highMin (it may
            // stay above highMax for a while when huge pages filled the list, as in the kernel).
            Assert.True(state.Count <= state.High || c.Kernel == 1, $"cpu {cpu} holds {state.Count} over high {state.High}");
            Assert.True(state.High >= state.HighMin, $"cpu {cpu}: high {state.High} below highMin {state.HighMin}");
            Assert.Equal(total, _zone.FreePages + _zone.PerCpuPages);
            Saw(Seen.Ticked);
            return $"ticked cpu {cpu}: {state} ({tick})";
        }

        private string Allocate(Op op)
        {
            var type = (Migratetype)(op.Pick % 5);
            var floor = (WatermarkLevel)(op.Pick / 5 % 4);
            var cpu = op.Pick / 20 % c.Cpus;
            var freeBefore = _zone.FreePages;
            var perCpuBefore = _zone.PerCpuPages;
            var allocatedBefore = _zone.AllocatedPages;
            var result = _zone.Allocate(op.Order, type, floor, cpu);
            if (result.Succeeded)
            {
                var block = result.Block;
                Assert.Equal(op.Order, block.Order);
                Assert.Equal(0, block.Pfn & (block.Pages - 1));
                Assert.Equal(op.Order, _zone.AllocatedOrderAt(block.Pfn));
                Assert.Equal(freeBefore + perCpuBefore - block.Pages, _zone.FreePages + _zone.PerCpuPages);
                Assert.DoesNotContain(_batch, b => Overlaps(b, block));
                _held.Add(block);
                if (_batch.Count > 0) Saw(Seen.AllocatedWhileOut);
                return $"allocated {block} as {type}";
            }
            Assert.Equal(freeBefore, _zone.FreePages);
            Assert.Equal(perCpuBefore, _zone.PerCpuPages);
            Assert.Equal(allocatedBefore, _zone.AllocatedPages);
            switch (result.Failure)
            {
                case AllocationFailureReason.OutOfMemory:
                    Saw(Seen.OutOfMemory);
                    // Every type Allocate may take from is empty at this order and above; a kernel
                    // falls back only among Unmovable, Movable and Reclaimable.
                    var types = c.Kernel != 0 && type > Migratetype.Reclaimable
                        ? new[] { type }
                        : new[] { type, Migratetype.Unmovable, Migratetype.Movable, Migratetype.Reclaimable };
                    foreach (var t in types)
                        for (var o = op.Order; o <= MaxOrder; o++)
                            Assert.Equal(0, _zone.ListLength(o, t));
                    if (_zone.HasPerCpuLists)
                        Assert.Empty(_zone.PerCpuListBlocks(cpu, op.Order, type));
                    break;
                case AllocationFailureReason.BelowWatermark:
                    Saw(Seen.BelowWatermark);
                    Assert.True(freeBefore - (1L << op.Order) <= _zone.WatermarkPages(floor));
                    break;
                default:
                    Assert.Fail($"unexpected failure {result.Failure}");
                    break;
            }
            return $"allocation of order {op.Order} {type} above {floor} failed: {result.Failure}";
        }

        private string FreeHeld(Op op)
        {
            if (_held.Count == 0) return "nothing held";
            var index = op.Pick % _held.Count;
            var block = _held[index];
            var total = _zone.FreePages + _zone.PerCpuPages;
            var result = _zone.Free(block.Pfn, block.Order, op.Pick / 7 % c.Cpus);
            Assert.True(result.Succeeded, $"free of held {block} refused: {result.Rejection}");
            Assert.Equal(total + block.Pages, _zone.FreePages + _zone.PerCpuPages);
            var merged = result.Merged;
            _held[index] = _held[^1];
            _held.RemoveAt(_held.Count - 1);
            if (result.OnPerCpuList)
            {
                Assert.Equal(block, merged);
                Saw(result.HighestMergedOrder >= 0 ? Seen.FlushedPerCpu : Seen.KeptPerCpu);
                return $"freed {block} to a per-CPU list (merged up to {result.HighestMergedOrder})";
            }
            Assert.True(merged.Order >= block.Order && merged.Pfn <= block.Pfn && block.Pfn + block.Pages <= merged.Pfn + merged.Pages,
                $"{block} freed into {merged}");
            Assert.True(_zone.IsFreeBlock(merged.Pfn, merged.Order));
            Assert.False(_zone.IsReported(merged.Pfn));
            if (_batch.Count > 0) Saw(Seen.FreedWhileOut);
            return $"freed {block} into {merged}";
        }

        private string StartWalk()
        {
            if (_walk is not null) return "a walk is running";
            _walk = new ZoneReportingWalk(_zone, new PassSettings(_reportingOrder, c.Capacity));
            return "started: " + Take(_walk.Advance());
        }

        private string Complete(bool success)
        {
            if (_walk is null) return "no walk";
            var sent = _batch;
            var (flagged, next) = _walk.Complete(success);
            Assert.InRange(flagged, 0, sent.Count);
            Saw(Seen.Flagged, flagged);
            if (!success)
            {
                Saw(Seen.FailedReport);
                Assert.Equal(0, flagged);
                Assert.Equal(WalkStepKind.Finished, next.Kind);
                Assert.Equal(WalkEnd.ReportFailed, next.End);
            }
            foreach (var block in sent)
            {
                Assert.False(_zone.IsIsolatedBlock(block.Pfn, block.Order), $"{block} still isolated after the drain");
                // A block that is still a free block of its order did not merge: flagged exactly on success.
                if (_zone.IsFreeBlock(block.Pfn, block.Order))
                    Assert.Equal(success, _zone.IsReported(block.Pfn));
                else if (success)
                    Saw(Seen.MergedOnReturn);
            }
            return $"completed {(success ? "ok" : "failed")}, {flagged} flagged, then " + Take(next);
        }

        private string Abandon()
        {
            if (_walk is null) return "no walk";
            var sent = _batch;
            _walk.Abandon();
            _walk = null;
            if (sent.Count > 0) Saw(Seen.Abandoned);
            _batch = [];
            foreach (var block in sent)
                if (_zone.IsFreeBlock(block.Pfn, block.Order))
                    Assert.False(_zone.IsReported(block.Pfn));
            return $"abandoned with {sent.Count} out";
        }

        private string ChangeOrder(int order)
        {
            if (_walk is not null) return "a walk is running";
            _reportingOrder = order;
            return $"reporting order {order}";
        }

        private string BadFree(Op op)
        {
            var pfn = Spec.StartPfn - 8 + op.Pick % (Spec.Pages + 16);
            var order = op.Pick % 13 - 1;
            var reason = _zone.CheckFree(pfn, order);
            if (reason is null)
            {
                // Only the head of an allocated block of that order may be freed, and the test holds them all.
                Assert.Contains(new Block(pfn, order), _held);
                return "picked a held block: " + FreeHeld(op with { Pick = _held.IndexOf(new Block(pfn, order)) });
            }
            var before = Snapshot(_zone);
            var result = _zone.Free(pfn, order);
            Saw(Seen.RefusedFree);
            Assert.Equal(reason, result.Rejection);
            Assert.Equal(before, Snapshot(_zone));
            return $"free of pfn {pfn} order {order} refused: {reason}";
        }

        private string Take(WalkStep step)
        {
            if (step.Kind == WalkStepKind.Finished)
            {
                _walk = null;
                _batch = [];
                return $"walk finished ({step.End})";
            }
            _batch = step.Batch;
            Saw(step.IsLeftover ? Seen.Leftover : Seen.FullReport);
            Assert.InRange(_batch.Count, 1, c.Capacity);
            if (!step.IsLeftover) Assert.Equal(c.Capacity, _batch.Count);
            Assert.All(_batch, b => Assert.InRange(b.Order, _reportingOrder, MaxOrder));
            Assert.Equal(_batch, _walk!.OutstandingBatch);
            return $"report of {_batch.Count}{(step.IsLeftover ? " (leftover)" : "")}";
        }

        private void Verify(string when)
        {
            var error = _zone.CheckInvariants();
            Assert.True(error is null, $"after {when}: {error}");

            long free = 0, isolated = 0, allocated = 0, reserved = 0, perCpu = 0;
            var allocatedBlocks = new HashSet<Block>();
            foreach (var (block, kind, reported) in _zone.Blocks())
            {
                Assert.True(!reported || kind == PageKind.Free, $"after {when}: {kind} {block} is flagged Reported");
                switch (kind)
                {
                    case PageKind.Free: free += block.Pages; break;
                    case PageKind.Isolated: isolated += block.Pages; break;
                    case PageKind.Allocated: allocated += block.Pages; allocatedBlocks.Add(block); break;
                    case PageKind.Reserved: reserved += block.Pages; break;
                    case PageKind.PerCpu: perCpu += block.Pages; break;
                }
            }
            Assert.True(free + perCpu + isolated + allocated + reserved == Spec.Pages, $"after {when}: pages do not add up");
            Assert.Equal(
                (free, perCpu, isolated, allocated, reserved),
                (_zone.FreePages, _zone.PerCpuPages, _zone.IsolatedPages, _zone.AllocatedPages, _zone.ReservedPages));
            var onLists = Enumerable.Range(0, _zone.Cpus).Sum(cpu => _zone.PerCpuState(cpu).Count);
            Assert.Equal(perCpu, onLists);

            // Blocks() tiles the zone, so a held block listed as allocated is covered by no free block.
            Assert.True(allocatedBlocks.SetEquals(_held),
                $"after {when}: the zone's allocated blocks differ from the held ones "
                + $"(missing {string.Join(", ", _held.Except(allocatedBlocks).Take(5))}; "
                + $"extra {string.Join(", ", allocatedBlocks.Except(_held).Take(5))})");

            foreach (var block in _batch)
                Assert.True(_zone.IsIsolatedBlock(block.Pfn, block.Order), $"after {when}: batch {block} is not isolated");
            Assert.Equal(_batch.Sum(b => b.Pages), _zone.IsolatedPages);
            Assert.Equal(_walk is not null, _walk?.IsAwaitingReport ?? false);
        }

        private static bool Overlaps(Block a, Block b) => a.Pfn < b.Pfn + b.Pages && b.Pfn < a.Pfn + a.Pages;
    }
}
