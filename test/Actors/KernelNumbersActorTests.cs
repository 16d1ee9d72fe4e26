using System.Collections.Immutable;
using Akka.TestKit;
using PageReportingActors.Guest;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Actors;

/// <summary>The numbers a real kernel shows, reproduced through the actors on virtual time.</summary>
public class KernelNumbersActorTests(ITestOutputHelper output) : ActorTestBase(output)
{
    private readonly ITestOutputHelper _output = output;

    /// <summary>Collects one pass's report events up to its PassFinished.</summary>
    private static (List<ReportFinished> Reports, PassFinished Pass) CollectPass(TestProbe events)
    {
        var reports = new List<ReportFinished>();
        while (true)
        {
            switch (events.ExpectMsg<object>(TimeSpan.FromSeconds(20)))
            {
                case ReportFinished report: reports.Add(report); break;
                case PassFinished pass: return (reports, pass);
            }
        }
    }

    [Fact]
    public void R9_R13_idle_64GiB_guest_is_fully_reported_in_16_passes_over_32_seconds()
    {
        var specs = X86GuestLayout.ForMemory(64L << 30);
        var guest = StartGuest(specs);
        var handler = new InstantHandler();
        var device = Sys.ActorOf(PageReporting.DeviceProps(handler));
        var events = EventsProbe();
        var registeredAt = Clock.Now;
        Assert.Equal(9, Register(guest, device));

        var passes = new List<PassFinished>();
        PassFinished pass;
        do
        {
            Advance(guest, Delay);
            (_, pass) = CollectPass(events);
            passes.Add(pass);
            _output.WriteLine($"pass {pass.PassId}: {pass.Reports} reports, {pass.ReportedBytes >> 20} MiB, ends at +{(pass.End - registeredAt).TotalSeconds} s, again {pass.RequestedAgain}");
        } while (pass.RequestedAgain && passes.Count < 40);

        Assert.Equal(16, passes.Count);
        Assert.Equal(TimeSpan.FromSeconds(32), pass.End - registeredAt);
        Assert.All(passes, p => Assert.False(p.Failed));
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);

        var gate = 32L << 9;
        foreach (var zone in guest.Zones)
        {
            var status = Status(zone);
            var gateOpen = status.FreePages > status.Watermarks.Low + gate;
            var expected = gateOpen ? status.NrFree[9] * 512 + status.NrFree[10] * 1024 : 0;
            _output.WriteLine($"{status.Zone}: free {status.FreePages}, reported {status.ReportedPages}, gate open {gateOpen}, nrFree[9] {status.NrFree[9]}, nrFree[10] {status.NrFree[10]}");
            Assert.Equal(expected, status.ReportedPages);
        }
        Assert.Equal(["DMA", "DMA32", "Normal"], guest.ZoneNames);
        Assert.Equal(0, Status(guest.Zone("DMA")).ReportedPages); // 4096 pages cannot pass low + 16384
        Assert.True(Status(guest.Zone("Normal")).ReportedPages > 0);
        Assert.Equal(passes.Sum(p => p.ReportedBytes), handler.Reports.Sum(r => r.TotalBytes));
        AssertInvariants(guest);
    }

    [Fact]
    public void R9_qemu_1g_guest_frees_512MiB_and_gets_it_back_in_two_passes_2s_apart()
    {
        ZoneSpec[] zones =
        [
            new("DMA", 0, 4096, 3808, new Watermarks(178, 222, 266)),
            new("DMA32", 4096, 258016, 231892, new Watermarks(11085, 13856, 16627)),
        ];
        var guest = StartGuest(zones);
        var dma32 = guest.Zone("DMA32");
        var handler = new InstantHandler();
        var device = Sys.ActorOf(PageReporting.DeviceProps(handler));
        var events = EventsProbe();
        Assert.Equal(9, Register(guest, device));

        // Boot: report the idle guest until the reporter rests.
        var bootPasses = 0;
        while (Reporter(guest).State != ReporterState.Idle && bootPasses < 40)
        {
            Advance(guest, Delay);
            var (reports, pass) = CollectPass(events);
            bootPasses++;
            _output.WriteLine($"boot pass {pass.PassId}: {string.Join(" ", reports.Select(r => $"{r.Zone}:{r.Entries}"))}, {pass.ReportedBytes >> 20} MiB, again {pass.RequestedAgain}");
        }
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);
        var before = Status(dma32);
        _output.WriteLine($"DMA32 before: free {before.FreePages}, reported {before.ReportedPages}, nrFree [{string.Join(' ', before.NrFree)}]");

        // The workload: touch 512 MiB page by page, then unmap it all at once.
        var allocated = AskFor<AllocatedMany>(dma32, new AllocateMany(0, 131072, Migratetype.Movable));
        Assert.Null(allocated.StoppedBecause);
        Assert.Equal(131072, allocated.Blocks.Length);
        var freeAt = Clock.Now;
        var freed = AskFor<FreedMany>(dma32, new FreeMany(allocated.Blocks));
        Assert.Equal(131072, freed.Freed);
        Assert.Empty(freed.Rejected);
        var after = Status(dma32);
        _output.WriteLine($"DMA32 after free: free {after.FreePages}, reported {after.ReportedPages}, nrFree [{string.Join(' ', after.NrFree)}]");
        Assert.Equal(ReporterState.Requested, Reporter(guest).State);
        var reportsBefore = handler.Reports.Count;

        // Pass 1, 2 s after the free.
        Advance(guest, Delay);
        var (first, firstPass) = CollectPass(events);
        var firstLists = handler.Reports.Skip(reportsBefore).ToList();
        Describe("pass 1", firstPass, first, firstLists, freeAt);
        // Pass 2, 2 s after that.
        Advance(guest, Delay);
        var (second, secondPass) = CollectPass(events);
        var secondLists = handler.Reports.Skip(reportsBefore + firstLists.Count).ToList();
        Describe("pass 2", secondPass, second, secondLists, freeAt);
        var state = Reporter(guest).State;
        _output.WriteLine($"reporter after pass 2: {state}");

        // R1 takes the smallest blocks first, so the hog also used the order 5..9 pieces at the end of
        // DMA32; freed, they merge back into one unreported order-9 block, which the first pass (order 9
        // before 10, one shared batch) reports beside 31 order-10 blocks: 254 MiB, not 256.
        Assert.Equal(TimeSpan.FromSeconds(2), firstPass.Start - freeAt);
        Assert.Equal(2, first.Count);
        Assert.All(first, r => Assert.Equal(("DMA32", 32, true), (r.Zone, r.Entries, r.Success)));
        Assert.True(firstLists.SelectMany(l => l.Entries).Count(e => e.Order == 10) >= 63);
        Assert.InRange(firstPass.ReportedBytes, 254L << 20, 256L << 20);
        Assert.True(firstPass.RequestedAgain);

        Assert.Equal(TimeSpan.FromSeconds(4), secondPass.Start - freeAt);
        Assert.Equal(256L << 20, secondPass.ReportedBytes);
        Assert.Equal(2, second.Count);
        Assert.All(second, r => Assert.Equal(("DMA32", 32, true), (r.Zone, r.Entries, r.Success)));
        Assert.All(secondLists.SelectMany(l => l.Entries), e => Assert.Equal(10, e.Order));

        // What is left is at most the one order-10 block the order-9 one displaced.
        if (state == ReporterState.Requested)
        {
            Advance(guest, Delay);
            var (third, thirdPass) = CollectPass(events);
            Describe("pass 3", thirdPass, third, handler.Reports.Skip(reportsBefore + firstLists.Count + secondLists.Count).ToList(), freeAt);
            Assert.InRange(thirdPass.ReportedBytes, 0, 4L << 20);
        }
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);
        AssertInvariants(guest);
    }

    private void Describe(string name, PassFinished pass, List<ReportFinished> reports, List<Scatterlist> lists, DateTimeOffset freeAt)
    {
        _output.WriteLine($"{name}: starts +{(pass.Start - freeAt).TotalSeconds} s, {pass.Reports} reports, {pass.ReportedBytes} bytes ({pass.ReportedBytes >> 20} MiB), failed {pass.Failed}, again {pass.RequestedAgain}");
        for (var i = 0; i < reports.Count; i++)
        {
            var orders = i < lists.Count
                ? string.Join(" ", lists[i].Entries.GroupBy(e => e.Order).OrderBy(g => g.Key).Select(g => $"{g.Count()}x order {g.Key}"))
                : "?";
            _output.WriteLine($"  report {reports[i].ReportId} {reports[i].Zone}: {reports[i].Entries} entries, {reports[i].Bytes} bytes: {orders}");
        }
    }
}
