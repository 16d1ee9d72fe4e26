using PageReportingActors.Host.Replay;
using PageReportingActors.Replay;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Replay;

/// <summary>The traced 6.12 reference guest: the whole trace applied to the snapshot's layout.</summary>
public sealed class ReferenceTraceTests(ITestOutputHelper output)
{
    [Fact]
    public void Whole_trace_parses_from_xz_and_applies_to_the_snapshot_layout_keeping_the_invariants()
    {
        var zones = ReplayKit.ZonesFromSnapshot();
        var guest = ReplayKit.GuestZones();
        var engine = new ReplayEngine(zones);
        using var reader = TraceReader.Open(ReplayKit.TracePath);
        long maxPcp = 0, events = 0, last = 0;
        var counts = ReplayKit.ApplyAll(reader, engine, (e, _) =>
        {
            Assert.True(e.TimestampNanos >= last);
            last = e.TimestampNanos;
            maxPcp = Math.Max(maxPcp, engine.PcpPages(1));
            // I1-I4 every 200,000 events (a full check scans the whole guest).
            if (++events % 200_000 == 0) Assert.Null(engine.CheckInvariants());
        });
        foreach (var k in Enum.GetValues<ReplayConflictKind>()) output.WriteLine($"conflict {k} {engine.Conflicts(k)}");
        foreach (var x in engine.Examples) output.WriteLine(x.ToString());
        output.WriteLine($"max per-CPU pages {maxPcp}, at the end {engine.TotalPcpPages}, free {zones.Sum(z => z.FreePages)}");

        Assert.Null(engine.CheckInvariants());
        // The README's count (652,710 events, none lost) and the per-kind counts of grep over the text.
        Assert.Equal(652_710, counts.TotalEvents);
        Assert.Equal(133_311, counts.Events(TraceEventKind.Alloc));
        Assert.Equal(133_371, counts.Events(TraceEventKind.Free));
        Assert.Equal(132_274, counts.Events(TraceEventKind.FreeBatched));
        Assert.Equal(122_714, counts.Events(TraceEventKind.PcpuDrain));
        Assert.Equal(131_040, counts.Events(TraceEventKind.AllocZoneLocked));
        Assert.Equal((12L, 0L, 0L), (counts.OtherLines, counts.OtherEvents, counts.Malformed));
        Assert.Equal(63_460_136_000, last);
        Assert.Equal(counts.TotalEvents, engine.Applied);
        Assert.Equal(0, engine.OutsideGuest);
        Assert.False(engine.HasDeferred(0) || engine.HasDeferred(1));
        // The trace's per-CPU list never holds more than the kernel lets it: high, plus the batch
        // a free may add before the list is trimmed (zoneinfo: high 13858, batch 63).
        var dma32 = guest[1];
        Assert.InRange(maxPcp, dma32.PcpCount, dma32.PcpHigh + 63);
        // The snapshot's pages found on a per-CPU list aside, contradictions are rare: frees of pages
        // taken by untraced bulk allocations and frees that bypassed a busy per-CPU list.
        var contradictions = engine.TotalConflicts - engine.Conflicts(ReplayConflictKind.InUseAtStart);
        Assert.InRange(contradictions, 0, counts.TotalEvents / 1000);
    }
}
