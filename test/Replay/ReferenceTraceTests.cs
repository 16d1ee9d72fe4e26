using PageReportingActors.Allocator;
using PageReportingActors.Replay;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Replay;

/// <summary>The traced 6.12 reference guest: the whole trace and snapshot, parsed and applied.</summary>
public sealed class ReferenceTraceTests(ITestOutputHelper output)
{
    [Fact]
    public void Whole_trace_applies_to_the_snapshot_layout_keeping_the_invariants()
    {
        var zones = ReplayKit.ZonesFromSnapshot();
        var engine = new ReplayEngine(zones);
        using var reader = TraceReader.Open(ReplayKit.TracePath);
        var counts = ReplayKit.ApplyAll(reader, engine);
        output.WriteLine($"lines {counts.Lines} other {counts.OtherLines} otherEvents {counts.OtherEvents} malformed {counts.Malformed}");
        foreach (var k in Enum.GetValues<TraceEventKind>()) output.WriteLine($"{k} {counts.Events(k)}");
        foreach (var k in Enum.GetValues<ReplayConflictKind>()) output.WriteLine($"conflict {k} {engine.Conflicts(k)}");
        foreach (var x in engine.Examples) output.WriteLine(x.ToString());
        output.WriteLine($"outside {engine.OutsideGuest} pcp {engine.TotalPcpPages} free {zones.Sum(z => z.FreePages)}");
        Assert.Null(engine.CheckInvariants());
    }
}
