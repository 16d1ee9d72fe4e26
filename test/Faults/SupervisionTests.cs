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
/// A fault inside a zone, the reporter or the registry (idle, while a batch is at the device, or on the
/// one message that carries an answer): the actor resumes with its state, a lost message is covered by
/// the reporter's timeouts, no block stays isolated, the free lists stay intact, and later passes and
/// allocations work.
/// </summary>
public class SupervisionTests(ITestOutputHelper output) : FaultTestBase(output)
{
    private (PageReportingGuest Guest, TestProbe Events, TestProbe Device) Guest()
    {
        var device = CreateTestProbe();
        var (guest, events) = Registered(device.Ref);
        return (guest, events, device);
    }

    private void Fault(IActorRef actor, Type? onNext = null)
    {
        if (onNext is null) EventFilter.Exception<SimulatedFaultException>().ExpectOne(() => actor.Tell(new SimulatedFault()));
        else actor.Tell(new SimulatedFault(onNext));
    }

    /// <summary>Allocations and frees of every order still work, and I1-I4 hold.</summary>
    private void AllocationsWork(PageReportingGuest guest)
    {
        var zone = guest.Zones[0];
        var before = Status(zone);
        var blocks = Enumerable.Range(0, 11).Select(o => AllocateBlock(zone, o)).ToList();
        foreach (var block in blocks) FreeBlock(zone, block);
        var after = Status(zone);
        Assert.Equal(before.FreePages, after.FreePages);
        Assert.Equal(before.AllocatedPages, after.AllocatedPages);
        AssertInvariants(guest);
    }

    /// <summary>The first batch at the probe device.</summary>
    private (ReportPages Report, ZoneStatus BeforePass) FirstBatchOut(PageReportingGuest guest, TestProbe device)
    {
        var before = Status(guest.Zones[0]);
        Advance(guest, Delay);
        var report = device.ExpectMsg<ReportPages>();
        AwaitBatchOut(guest.Zones[0]);
        return (report, before);
    }

    private void AfterwardsEverythingWorks(PageReportingGuest guest, TestProbe events, TestProbe device)
    {
        AllocationsWork(guest);
        AssertLaterPassWorks(guest, events, () => ProbeDevice.AnswerAll(device, guest.Reporter));
        AllocationsWork(guest);
    }

    // ---------------------------------------------------------------- zone

    [Fact]
    public void Zone_fault_while_idle_resumes_with_its_free_lists_and_reporting_goes_on()
    {
        var (guest, events, device) = Guest();
        var zone = guest.Zones[0];
        var before = Status(zone);
        Fault(zone);
        AssertSameStatus(before, Status(zone));
        AssertInvariants(guest);

        // The registration's first pass: two full reports, the first of which fails.
        Advance(guest, Delay);
        var report = device.ExpectMsg<ReportPages>();
        device.Reply(ReportCompleted.Failed(report.ReportId, ReportErrors.Invalid, "fails"));
        var (reports, pass) = CollectPass(events);
        AssertFailedPass(reports, pass, report.Pages, ReportErrors.Invalid);
        AssertBatchBackUnflagged(zone, before, report.Pages);
        AfterwardsEverythingWorks(guest, events, device);
    }

    [Fact]
    public void Zone_fault_while_a_batch_is_at_the_device_keeps_the_walk_and_the_device_answer_decides()
    {
        var (guest, events, device) = Guest();
        var zone = guest.Zones[0];
        var (report, before) = FirstBatchOut(guest, device);
        var atDevice = Status(zone);
        Fault(zone);
        AssertSameStatus(atDevice, Status(zone)); // resumed: the batch is still isolated, the walk still waits

        // R14: it serves allocations and frees while the batch is out, without touching it.
        var block = AllocateBlock(zone, 10);
        Assert.DoesNotContain(block, report.Pages.ToBlocks());
        FreeBlock(zone, block);

        device.Reply(ReportCompleted.Failed(report.ReportId, ReportErrors.Invalid, "fails"));
        var (reports, pass) = CollectPass(events);
        var failed = Assert.Single(reports);
        Assert.Equal(ReportErrors.Invalid, failed.ErrorCode);
        Assert.True(pass.Failed);
        Assert.True(pass.RequestedAgain); // R6, R13: the order-10 free above notified during the pass
        AssertBatchBackUnflagged(zone, before, report.Pages);
        EventFilter.Warning(contains: "ignored: no report is outstanding").ExpectOne(
            () => device.Send(guest.Reporter, ReportCompleted.Ok(report.ReportId)));
        AfterwardsEverythingWorks(guest, events, device);
    }

    [Fact]
    public void Zone_fault_on_the_drain_loses_it_and_the_zone_timeout_abandons_the_walk_unflagged()
    {
        var (guest, events, device) = Guest();
        var zone = guest.Zones[0];
        var (report, before) = FirstBatchOut(guest, device);
        Fault(zone, typeof(CompleteZoneReport));

        // The device succeeds, but the zone throws on the drain: the batch stays isolated, nothing is flagged.
        EventFilter.Exception<SimulatedFaultException>().ExpectOne(() => device.Reply(ReportCompleted.Ok(report.ReportId)));
        Assert.Equal(4 * 1024, Status(zone).IsolatedPages);
        Assert.Equal(0, Status(zone).ReportedPages);
        device.ExpectNoMsg(NoMsg); // the walk cannot go on without the drain

        // The reporter's zone timeout (ReportTimeout) abandons the walk: the batch comes back unflagged and
        // the pass stops failed (R12). The zone's late answer to the abandon is ignored and logged.
        Advance(guest, ReportTimeout - TimeSpan.FromMilliseconds(1));
        Assert.Equal(4 * 1024, Status(zone).IsolatedPages);
        EventFilter.Warning(contains: "ignored: no pass runs").ExpectOne(() => Advance(guest, TimeSpan.FromMilliseconds(1)));
        var (reports, pass) = CollectPass(events);
        Assert.True(Assert.Single(reports).Success); // the device did its part
        Assert.True(pass.Failed);
        Assert.False(pass.RequestedAgain);
        AssertBatchBackUnflagged(zone, before, report.Pages);
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);
        EventFilter.Warning(contains: "ignored: no report is outstanding").ExpectOne(
            () => device.Send(guest.Reporter, ReportCompleted.Ok(report.ReportId)));
        AfterwardsEverythingWorks(guest, events, device);
    }

    // ---------------------------------------------------------------- reporter

    [Fact]
    public void Reporter_fault_while_idle_resumes_Requested_with_its_timer_and_device()
    {
        var (guest, events, device) = Guest();
        var status = Reporter(guest);
        Assert.Equal(ReporterState.Requested, status.State);
        Fault(guest.Reporter);
        Assert.Equal(status, Reporter(guest));

        var (report, before) = FirstBatchOut(guest, device);
        device.Reply(ReportCompleted.Failed(report.ReportId, ReportErrors.Invalid, "fails"));
        var (reports, pass) = CollectPass(events);
        AssertFailedPass(reports, pass, report.Pages, ReportErrors.Invalid);
        AssertBatchBackUnflagged(guest.Zones[0], before, report.Pages);
        EventFilter.Warning(contains: "ignored: no report is outstanding").ExpectOne(
            () => device.Send(guest.Reporter, ReportCompleted.Ok(report.ReportId)));

        Fault(guest.Reporter);
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);
        AfterwardsEverythingWorks(guest, events, device);
    }

    [Fact]
    public void Reporter_fault_mid_pass_keeps_the_outstanding_batch_and_the_device_answer_decides()
    {
        var (guest, events, device) = Guest();
        var (report, before) = FirstBatchOut(guest, device);
        Fault(guest.Reporter);
        Assert.Equal(ReporterState.Active, Reporter(guest).State);

        device.Reply(ReportCompleted.Failed(report.ReportId, ReportErrors.Invalid, "fails"));
        var (reports, pass) = CollectPass(events);
        AssertFailedPass(reports, pass, report.Pages, ReportErrors.Invalid);
        AssertBatchBackUnflagged(guest.Zones[0], before, report.Pages);
        EventFilter.Warning(contains: "ignored: no report is outstanding").ExpectOne(
            () => device.Send(guest.Reporter, ReportCompleted.Ok(report.ReportId)));
        AfterwardsEverythingWorks(guest, events, device);
    }

    [Fact]
    public void Reporter_fault_on_the_device_answer_loses_it_and_the_report_timeout_fails_the_report()
    {
        var (guest, events, device) = Guest();
        var (report, before) = FirstBatchOut(guest, device);
        Fault(guest.Reporter, typeof(ReportCompleted));
        EventFilter.Exception<SimulatedFaultException>().ExpectOne(() => device.Reply(ReportCompleted.Ok(report.ReportId)));
        Assert.Equal(4 * 1024, Status(guest.Zones[0]).IsolatedPages);

        Advance(guest, ReportTimeout - TimeSpan.FromMilliseconds(1));
        events.ExpectMsg<PassStarted>();
        events.ExpectNoMsg(NoMsg);
        Advance(guest, TimeSpan.FromMilliseconds(1));
        var (reports, pass) = CollectPass(events);
        AssertFailedPass(reports, pass, report.Pages, ReportErrors.TimedOut);
        AssertBatchBackUnflagged(guest.Zones[0], before, report.Pages);
        EventFilter.Warning(contains: "ignored: no report is outstanding").ExpectOne(
            () => device.Send(guest.Reporter, ReportCompleted.Ok(report.ReportId)));
        AfterwardsEverythingWorks(guest, events, device);
    }

    [Fact]
    public void Reporter_fault_on_the_walk_step_loses_the_batch_and_the_zone_timeout_returns_it_unflagged()
    {
        var (guest, events, device) = Guest();
        var zone = guest.Zones[0];
        var before = Status(zone);
        Fault(guest.Reporter, typeof(ZoneWalkStep));
        EventFilter.Exception<SimulatedFaultException>().ExpectOne(() => Advance(guest, Delay));
        Assert.Equal(4 * 1024, Status(zone).IsolatedPages); // isolated by the zone, never handed to the device
        device.ExpectNoMsg(NoMsg);

        EventFilter.Warning(contains: "ignored: no pass runs").ExpectOne(() => Advance(guest, ReportTimeout));
        var (reports, pass) = CollectPass(events);
        Assert.Empty(reports);
        Assert.True(pass.Failed);
        var after = Status(zone);
        Assert.Equal(0, after.IsolatedPages);
        Assert.Equal(before.FreePages, after.FreePages);
        Assert.Equal(0, after.ReportedPages);
        AssertInvariants(guest);
        device.ExpectNoMsg(NoMsg);
        AfterwardsEverythingWorks(guest, events, device);
    }

    // ---------------------------------------------------------------- registry

    [Fact]
    public void Registry_fault_keeps_the_registration_and_unregistration_and_registration_still_work()
    {
        var (guest, events, device) = Guest();
        Fault(guest.Registry);
        Assert.Equal(new RegistrationStatus(device.Ref, 9), AskFor<RegistrationStatus>(guest.Registry, GetRegistration.Instance));

        // A fault while an unregistration waits for the batch at the device.
        var (report, before) = FirstBatchOut(guest, device);
        var client = CreateTestProbe();
        client.Send(guest.Registry, new UnregisterDevice(device.Ref));
        Fault(guest.Registry);
        client.ExpectNoMsg(NoMsg);
        device.Reply(ReportCompleted.Failed(report.ReportId, ReportErrors.Invalid, "fails"));
        Assert.Equal(device.Ref, client.ExpectMsg<DeviceUnregistered>().Device);
        var (reports, pass) = CollectPass(events);
        AssertFailedPass(reports, pass, report.Pages, ReportErrors.Invalid);
        AssertBatchBackUnflagged(guest.Zones[0], before, report.Pages);

        var next = CreateTestProbe();
        Register(guest, next.Ref);
        Advance(guest, Delay);
        Assert.Equal(2, ProbeDevice.AnswerAll(next, guest.Reporter).Count);
        Assert.False(CollectPass(events).Pass.Failed);
        device.ExpectNoMsg(TimeSpan.Zero);
        AfterwardsEverythingWorks(guest, events, next);
    }

    [Fact]
    public void Registry_fault_on_the_detach_answer_does_not_wedge_the_registry()
    {
        var (guest, events, device) = Guest();
        Fault(guest.Registry, typeof(DeviceDetached));
        var client = CreateTestProbe();
        client.Send(guest.Registry, new UnregisterDevice(device.Ref));
        var next = CreateTestProbe();
        client.Send(guest.Registry, new RegisterDevice(next.Ref));
        client.ExpectNoMsg(NoMsg); // the reporter's answer was lost

        // The registry asks again after ReportTimeout; the reporter answers again.
        Clock.Advance(ReportTimeout);
        Assert.Equal(device.Ref, client.ExpectMsg<DeviceUnregistered>().Device);
        Assert.Equal(next.Ref, client.ExpectMsg<DeviceRegistered>().Device);
        Advance(guest, Delay);
        Assert.Equal(2, ProbeDevice.AnswerAll(next, guest.Reporter).Count);
        device.ExpectNoMsg(TimeSpan.Zero);
        AfterwardsEverythingWorks(guest, events, next);
    }
}
