using System.Text.Json;
using PageReportingActors.Host.Replay;
using PageReportingActors.Host.Simulation;
using PageReportingActors.Hypervisor;
using PageReportingActors.Memory;
using PageReportingActors.Replay;
using PageReportingActors.Host.Measurement;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Replay;

/// <summary>
/// The reference trace replayed through the host: zone, reporter, registry and device actors on
/// virtual time, the trace's events applied by the zone actors, against the measured host memory.
/// </summary>
public sealed class HostReplayTests(ITestOutputHelper output)
{
    /// <summary>
    /// The trace's allocations are the guest's writes: on either backing the drops match. The program
    /// writes 512 MiB: on 4 KiB pages that is one fault per 4 KiB page not yet resident, on thp one per
    /// 2 MiB frame (and one per 4 KiB page of the frames its order-5 reports split). It frees what it
    /// wrote and nothing writes a reported page again before the stop, so no fault is a refault.
    /// </summary>
    [Fact]
    public void Reference_trace_through_the_host_gives_the_measured_drops_on_4KiB_and_on_thp()
    {
        var small = Replay(HostBacking.Pages4KiB).Host!;
        var thp = Replay(HostBacking.Thp).Host!;

        Assert.InRange(small.HostFaults * 4096, 256L << 20, 1L << 30);
        Assert.True(thp.HostFaults * 20 < small.HostFaults, $"thp {thp.HostFaults} faults, 4KiB {small.HostFaults}");
        Assert.True(thp.SplitFrames > 0, "order-5 entries split frames");
        Assert.Equal(0, small.SplitFrames);
        Assert.Equal((0L, 0L), (small.Refaults, thp.Refaults));
        Assert.Equal(small.DiscardedBytes, thp.DiscardedBytes);
    }

    private RunResult Replay(HostBacking backing)
    {
        var @case = MeasurementCase.Load(ReplayKit.DataPath("case.json"));
        var guest = ReplayGuest.LoadFile(ReplayKit.DataPath(@case.Guest!));
        guest = guest with { Scenario = guest.Scenario with { Host = guest.Scenario.Host with { Backing = backing } } };
        var snapshot = KpageflagsSnapshot.Load(ReplayKit.KpageflagsPath, guest.Scenario.Zones.Max(z => z.StartPfn + z.Pages));

        var result = ReplayRunner.Run(guest, () => TraceReader.Open(ReplayKit.TracePath), snapshot,
            new RunOptions(TimeSpan.FromMilliseconds(50), Path.GetTempPath()));

        var comparison = MeasurementComparison.Compare(
            MeasurementComparison.ReadMeasured(ReplayKit.DataPath("measured.csv")),
            result.Timeline.Select(r => new ResidentSample(r.T, r.HostResidentBytes / (double)(1 << 20))).ToList(),
            @case.Trigger, @case.From);
        var replay = result.Replay!;
        output.WriteLine($"passes {result.Summary.Passes} reports {result.Summary.ReportCalls} messages {replay.Messages} waited {replay.WaitedForDevice} wall {result.Summary.WallSeconds:0.00}s");
        output.WriteLine("replayed: " + string.Join("  ", comparison.Run.Select(d => $"{d.T:0.00}s/{d.Mib:0.0}")));
        output.WriteLine("measured: " + string.Join("  ", comparison.Measured.Select(d => $"{d.T:0.00}s/{d.Mib:0.0}")));
        foreach (var problem in comparison.Problems) output.WriteLine("miss: " + problem);

        Assert.Equal(10, comparison.Measured.Count);
        Assert.True(comparison.Matches, string.Join("; ", comparison.Problems));
        // Every event of the trace up to the guest's stop was read and applied by a zone; none lost.
        Assert.Equal(652_710, replay.TotalEvents);
        Assert.Equal(0, replay.Malformed);
        Assert.Equal(0, replay.OutsideGuest + replay.Misaligned);
        Assert.Equal(replay.TotalEvents, replay.Applied + replay.Reserved);
        // Fewer messages than events by far: batched up to the next thing due on the clock.
        Assert.InRange(replay.Messages, 1, replay.TotalEvents / 10);
        Assert.Contains(result.Timeline, r => r.PcpBytes > 0);
        Assert.Equal(backing, result.Host!.Backing);
        Assert.Equal(result.Summary.ReportedBytes, result.Host.DiscardedBytes);
        Assert.Equal(result.Timeline[^1].HostFaults, result.Host.HostFaults);
        return result;
    }

    [Fact]
    public void The_guest_file_keeps_its_zones_and_steps_and_says_which_zones_keep_per_cpu_pages()
    {
        var guest = ReplayGuest.LoadFile(ReplayKit.DataPath("guest.json"));

        Assert.Equal(["DMA", "DMA32"], guest.Scenario.Zones.Select(z => z.Name));
        Assert.Equal(235_528, guest.Scenario.Zones[1].FreePages);
        // DMA's pcp.high is 0: the kernel keeps no per-CPU pages there.
        Assert.Equal([false, true], guest.ZoneHasCpuLists);
        Assert.Equal(TimeSpan.FromSeconds(3.634), guest.Scenario.Workload[0].At);
        Assert.Equal(5, guest.Scenario.Reporting.Order);
    }
}
