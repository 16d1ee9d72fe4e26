using Akka.Actor;
using Akka.TestKit;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using PageReportingActors.Tests.Actors;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Faults;

/// <summary>
/// Unregistration and a new registration racing a batch at the device (R14, R19): the old device is
/// released only after it answered, never hears from the guest again, the new device resumes with the
/// blocks not yet reported, and the zone serves allocations and frees all along.
/// </summary>
public class RaceTests(ITestOutputHelper output) : FaultTestBase(output)
{
    /// <summary>Allocates blocks of several orders and frees them again: every request is answered at once.</summary>
    private void ZoneServesAllocationsAndFrees(PageReportingGuest guest)
    {
        var zone = guest.Zones[0];
        var before = Status(zone);
        var held = new List<Block>();
        foreach (var order in new[] { 0, 3, 9, 0, 10 })
            held.Add(AllocateBlock(zone, order));
        var during = Status(zone);
        Assert.Equal(before.IsolatedPages, during.IsolatedPages); // R4: the batch is not touched
        Assert.Equal(before.AllocatedPages + held.Sum(b => b.Pages), during.AllocatedPages);
        foreach (var block in Enumerable.Reverse(held)) FreeBlock(zone, block);
        var after = Status(zone);
        Assert.Equal(before.FreePages, after.FreePages);
        Assert.Equal(before.IsolatedPages, after.IsolatedPages);
        AssertInvariants(guest);
    }

    [Fact]
    public void R19_unregister_and_register_during_a_report_release_the_old_device_only_after_it_answered()
    {
        var old = CreateTestProbe();
        var (guest, events) = Registered(old.Ref);
        var zone = guest.Zones[0];
        Advance(guest, Delay);
        var first = old.ExpectMsg<ReportPages>();
        AwaitBatchOut(zone);

        // Both commands at once: the registration waits behind the unregistration.
        var client = CreateTestProbe();
        var next = CreateTestProbe();
        client.Send(guest.Registry, new UnregisterDevice(old.Ref));
        client.Send(guest.Registry, new RegisterDevice(next.Ref));
        ZoneServesAllocationsAndFrees(guest);
        client.ExpectNoMsg(NoMsg);
        Assert.Equal(old.Ref, AskFor<RegistrationStatus>(guest.Registry, GetRegistration.Instance).Device);
        Assert.Null(Status(zone).NotifyOrder); // R19: notifications stop first

        // The running pass goes on with the old device until it ends (the kernel's pass keeps its device).
        old.Reply(ReportCompleted.Ok(first.ReportId));
        var second = old.ExpectMsg<ReportPages>();
        var beforeSecond = Status(zone);
        ZoneServesAllocationsAndFrees(guest);
        client.ExpectNoMsg(NoMsg);

        // The second report fails: its batch comes back unflagged, the pass stops (R12), then the ack.
        old.Reply(ReportCompleted.Failed(second.ReportId, ReportErrors.Invalid, "fails"));
        Assert.Equal(old.Ref, client.ExpectMsg<DeviceUnregistered>().Device);
        Assert.Equal(next.Ref, client.ExpectMsg<DeviceRegistered>().Device);
        var (reports, pass) = CollectPass(events);
        Assert.Equal([true, false], reports.Select(r => r.Success).ToArray());
        Assert.True(pass.Failed);
        var afterPass = Status(zone);
        Assert.Equal(0, afterPass.IsolatedPages);
        Assert.Equal(beforeSecond.ReportedPages, afterPass.ReportedPages);
        Assert.Equal(4 * 1024, afterPass.ReportedPages);
        foreach (var block in second.Pages.ToBlocks())
            Assert.Equal(FreeRejectionReason.AlreadyFree, AskFor<FreeRejected>(zone, new Free(block.Pfn, block.Order)).Reason);
        AssertInvariants(guest);

        EventFilter.Warning(contains: "ignored").ExpectOne(
            () => old.Send(guest.Reporter, ReportCompleted.Ok(second.ReportId)));
        Assert.Equal(4 * 1024, Status(zone).ReportedPages);

        // R19: the new device resumes; it is told only of blocks the old one did not report.
        var flaggedByOld = first.Pages.ToBlocks().ToHashSet();
        var reportedToNext = new List<Block>();
        for (var i = 0; i < 10 && Reporter(guest).State != ReporterState.Idle; i++)
        {
            Advance(guest, Delay);
            reportedToNext.AddRange(ProbeDevice.AnswerAll(next, guest.Reporter).SelectMany(r => r.Pages.ToBlocks()));
        }
        Assert.Empty(reportedToNext.Intersect(flaggedByOld));
        Assert.Equal(reportedToNext.Count, reportedToNext.Distinct().Count());
        Assert.Equal(12 * 1024, reportedToNext.Sum(b => b.Pages));
        Assert.Equal(16384, Status(zone).ReportedPages);
        old.ExpectNoMsg(NoMsg);
        AssertInvariants(guest);
    }

    [Fact]
    public void R19_unregister_and_reregister_the_same_device_during_a_report_loses_no_block()
    {
        var device = CreateTestProbe();
        var (guest, events) = Registered(device.Ref);
        var zone = guest.Zones[0];
        var before = Status(zone);
        Advance(guest, Delay);
        var report = device.ExpectMsg<ReportPages>();
        var client = CreateTestProbe();
        client.Send(guest.Registry, new UnregisterDevice(device.Ref));
        client.Send(guest.Registry, new RegisterDevice(device.Ref));
        client.Send(guest.Registry, new SetReportingOrder(10));
        ZoneServesAllocationsAndFrees(guest);
        client.ExpectNoMsg(NoMsg);

        device.Reply(ReportCompleted.Failed(report.ReportId, ReportErrors.Invalid, "fails"));
        Assert.IsType<DeviceUnregistered>(client.ExpectMsg<object>());
        Assert.IsType<DeviceRegistered>(client.ExpectMsg<object>());
        Assert.Equal(new ReportingOrderSet(10), client.ExpectMsg<ReportingOrderSet>());
        var (reports, pass) = CollectPass(events);
        AssertFailedPass(reports, pass, report.Pages, ReportErrors.Invalid);
        AssertBatchBackUnflagged(zone, before, report.Pages);
        EventFilter.Warning(contains: "ignored").ExpectOne(
            () => device.Send(guest.Reporter, ReportCompleted.Ok(report.ReportId)));
        // The re-registration requested a pass; it runs at order 10 (R20).
        Advance(guest, Delay);
        Assert.NotEmpty(ProbeDevice.AnswerAll(device, guest.Reporter));
        Assert.False(CollectPass(events).Pass.Failed);
        Assert.Equal(8 * 1024, Status(zone).ReportedPages);
        AssertInvariants(guest);
    }
}
