using Akka.Actor;
using PageReportingActors.Tests.Actors;
using System.Runtime.InteropServices;
using PageReportingActors.Devices;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Faults;

/// <summary>A handler that writes its own addresses into the array behind the scatterlist it was lent, then succeeds.</summary>
internal sealed class RewritingHandler : IPageReportHandler
{
    public Task<ReportOutcome> ReportAsync(Scatterlist pages, CancellationToken cancellationToken)
    {
        var entries = ImmutableCollectionsMarshal.AsArray(pages.Entries)!;
        for (var i = 0; i < entries.Length; i++) entries[i] = entries[i] with { Address = 0, Length = 4096 };
        return Task.FromResult(ReportOutcome.Success);
    }
}

/// <summary>Whatever a device does with what it was lent, the zone gets back exactly the blocks it isolated.</summary>
public class StrandedBatchTests(ITestOutputHelper output) : FaultTestBase(output)
{
    [Fact]
    public void R11_a_device_that_rewrites_its_scatterlist_strands_nothing_the_zone_gets_its_blocks_back_flagged()
    {
        var device = DeviceActor(new RewritingHandler());
        var (guest, events) = Registered(device);
        var zone = guest.Zones[0];
        Advance(guest, Delay);
        var (reports, pass) = CollectPass(events);

        // Capacity 4, 16 free order-10 blocks, budget 1: two full reports, both acknowledged and drained.
        Assert.False(pass.Failed);
        Assert.Equal(2, reports.Count);
        Assert.All(reports, r => Assert.True(r.Success));
        var status = Status(zone);
        Assert.Equal(0, status.IsolatedPages);
        Assert.Equal(2 * 4 * 1024, status.ReportedPages);
        Assert.Equal(16384, status.FreePages);
        Assert.False(status.WalkInProgress);
        AssertInvariants(guest);
    }
}

/// <summary>A zone that stopped does not hold up the others: the next pass skips it at once.</summary>
public class StoppedZoneTests(ITestOutputHelper output) : FaultTestBase(output)
{
    [Fact]
    public void R7_a_pass_skips_a_stopped_zone_at_once_and_reports_the_next_one()
    {
        var guest = StartGuest([SmallZone("A", pages: 16384), SmallZone("B", startPfn: 16384, pages: 16384)], Cap4);
        var events = EventsProbe();
        var device = CreateTestProbe();
        Register(guest, device.Ref);
        Watch(guest.Zones[0]);
        guest.Zones[0].Tell(PoisonPill.Instance);
        ExpectTerminated(guest.Zones[0]);

        // No report timeout passes: the first report comes from B one delay after registration.
        Advance(guest, Delay);
        var report = device.ExpectMsg<ReportPages>();
        Assert.All(report.Pages.Entries, e => Assert.True(e.Pfn >= 16384));
        device.Reply(ReportCompleted.Ok(report.ReportId));
        ProbeDevice.AnswerAll(device, guest.Reporter);
        var pass = ExpectPassFinished(events);
        Assert.False(pass.Failed);
        Assert.Equal(2, pass.Reports);
        Assert.Equal(0, Status(guest.Zones[1]).IsolatedPages);
    }
}
