using Akka.Actor;
using PageReportingActors.Devices;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using PageReportingActors.Tests.Actors;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Faults;

/// <summary>A handler whose first report does what <c>first</c> says and whose later reports succeed at once.</summary>
internal sealed class FirstReportHandler(Func<Task<ReportOutcome>> first) : IPageReportHandler
{
    private int _calls;
    public int Calls => Volatile.Read(ref _calls);
    public CancellationToken FirstToken { get; private set; }

    public Task<ReportOutcome> ReportAsync(Scatterlist pages, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _calls) != 1) return Task.FromResult(ReportOutcome.Success);
        FirstToken = cancellationToken;
        return first();
    }
}

/// <summary>
/// A device that throws, errs, hangs, answers twice, stops or crashes while it holds a batch: the batch
/// comes back unflagged, the pass ends failed (R12), the stray answer is ignored and logged, and a later
/// pass works.
/// </summary>
public class DeviceFaultTests(ITestOutputHelper output) : FaultTestBase(output)
{
    private static readonly TimeSpan DeviceTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The first pass against a device actor whose first report fails; returns the failed batch.</summary>
    private (PageReportingGuest Guest, Akka.TestKit.TestProbe Events, IActorRef Device, ReportFinished Failed) FirstReportFails(
        IPageReportHandler handler, int errorCode)
    {
        var device = DeviceActor(handler, DeviceTimeout);
        var (guest, events) = Registered(device);
        var before = Status(guest.Zones[0]);
        Advance(guest, Delay);
        var (reports, pass) = CollectPass(events);
        AssertFailedPass(reports, pass, reports[0].Pages, errorCode);
        AssertBatchBackUnflagged(guest.Zones[0], before, reports[0].Pages);
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);
        return (guest, events, device, reports[0]);
    }

    /// <summary>A second answer to a report that already ended is ignored, logged, and changes nothing.</summary>
    private void DuplicateAnswerIsIgnored(PageReportingGuest guest, IActorRef device, long reportId)
    {
        var before = Status(guest.Zones[0]);
        var reporter = Reporter(guest);
        EventFilter.Warning(contains: "ignored: no report is outstanding").ExpectOne(
            () => TellReporter(guest, ReportCompleted.Ok(reportId), device));
        AssertSameStatus(before, Status(guest.Zones[0]));
        Assert.Equal(reporter, Reporter(guest));
    }

    [Fact]
    public void R12_handler_that_throws_fails_the_report_and_the_batch_comes_back_unflagged()
    {
        var handler = new FirstReportHandler(() => throw new InvalidOperationException("driver bug"));
        var (guest, events, device, failed) = FirstReportFails(handler, ReportErrors.Faulted);
        DuplicateAnswerIsIgnored(guest, device, failed.ReportId);
        AssertLaterPassWorks(guest, events);
        Assert.True(handler.Calls >= 3);
    }

    [Fact]
    public void R12_handler_that_answers_an_error_fails_the_report_and_the_batch_comes_back_unflagged()
    {
        var handler = new FirstReportHandler(() => Task.FromResult(ReportOutcome.Error(42)));
        var (guest, events, device, failed) = FirstReportFails(handler, 42);
        DuplicateAnswerIsIgnored(guest, device, failed.ReportId);
        AssertLaterPassWorks(guest, events);
    }

    [Fact]
    public void R12_handler_that_hangs_past_the_device_timeout_fails_the_report_and_its_late_answer_is_ignored()
    {
        var hanging = new TaskCompletionSource<ReportOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new FirstReportHandler(() => hanging.Task);
        var device = DeviceActor(handler, DeviceTimeout);
        var (guest, events) = Registered(device);
        var zone = guest.Zones[0];
        var before = Status(zone);

        Advance(guest, Delay);
        AwaitCalls(() => handler.Calls, 1);
        var at = AwaitBatchOut(zone);
        Assert.True(at.WalkInProgress);

        Clock.Advance(DeviceTimeout - TimeSpan.FromMilliseconds(1));
        events.ExpectMsg<PassStarted>();
        events.ExpectNoMsg(NoMsg);
        Assert.Equal(4 * 1024, Status(zone).IsolatedPages);

        Clock.Advance(TimeSpan.FromMilliseconds(1));
        var (reports, pass) = CollectPass(events);
        AssertFailedPass(reports, pass, reports[0].Pages, ReportErrors.TimedOut);
        AssertBatchBackUnflagged(zone, before, reports[0].Pages);
        Assert.True(handler.FirstToken.IsCancellationRequested);

        // The handler answers at last: the device logs and drops it, the reporter hears nothing.
        EventFilter.Warning(contains: "Late answer to report").ExpectOne(() => hanging.SetResult(ReportOutcome.Success));
        Assert.Equal(before.ReportedPages, Status(zone).ReportedPages);
        DuplicateAnswerIsIgnored(guest, device, reports[0].ReportId);
        AssertLaterPassWorks(guest, events);
    }

    [Fact]
    public void R12_device_that_answers_failed_then_ok_keeps_the_failure_and_the_second_answer_is_ignored()
    {
        var device = CreateTestProbe();
        var (guest, events) = Registered(device.Ref);
        var zone = guest.Zones[0];
        var before = Status(zone);
        Advance(guest, Delay);
        var report = device.ExpectMsg<ReportPages>();
        device.Reply(ReportCompleted.Failed(report.ReportId, ReportErrors.Invalid, "first answer"));
        var (reports, pass) = CollectPass(events);
        AssertFailedPass(reports, pass, report.Pages, ReportErrors.Invalid);

        EventFilter.Warning(contains: "ignored: no report is outstanding").ExpectOne(
            () => device.Reply(ReportCompleted.Ok(report.ReportId)));
        AssertBatchBackUnflagged(zone, before, report.Pages);
        device.ExpectNoMsg(NoMsg);
        AssertLaterPassWorks(guest, events, () => ProbeDevice.AnswerAll(device, guest.Reporter));
    }

    [Fact]
    public void R12_R14_duplicate_ok_for_the_first_report_does_not_complete_the_second_batch()
    {
        var device = CreateTestProbe();
        var (guest, events) = Registered(device.Ref);
        var zone = guest.Zones[0];
        Advance(guest, Delay);
        var first = device.ExpectMsg<ReportPages>();
        device.Reply(ReportCompleted.Ok(first.ReportId));
        var second = device.ExpectMsg<ReportPages>();
        var whileOut = AwaitBatchOut(zone);
        Assert.Equal(4 * 1024, whileOut.ReportedPages);

        // The first answer again, while the second batch is at the device: it must not end that batch.
        EventFilter.Warning(contains: "ignored: not the outstanding report").ExpectOne(
            () => device.Reply(ReportCompleted.Ok(first.ReportId)));
        AssertSameStatus(whileOut, Status(zone));
        Assert.Equal(ReporterState.Active, Reporter(guest).State);

        device.Reply(ReportCompleted.Failed(second.ReportId, ReportErrors.Invalid, "second fails"));
        var (reports, pass) = CollectPass(events);
        Assert.Equal(2, reports.Count);
        Assert.True(reports[0].Success);
        Assert.False(reports[1].Success);
        Assert.True(pass.Failed);
        Assert.Equal(first.Pages.TotalBytes, pass.ReportedBytes);
        var after = Status(zone);
        Assert.Equal(0, after.IsolatedPages);
        Assert.Equal(4 * 1024, after.ReportedPages); // the second batch came back unflagged
        Assert.Equal(16384, after.FreePages);
        foreach (var block in second.Pages.ToBlocks())
            Assert.Equal(FreeRejectionReason.AlreadyFree, AskFor<FreeRejected>(zone, new Free(block.Pfn, block.Order)).Reason);
        AssertInvariants(guest);
        AssertLaterPassWorks(guest, events, () => ProbeDevice.AnswerAll(device, guest.Reporter));
    }

    [Fact]
    public void R12_R19_device_actor_stopped_mid_report_fails_it_unregisters_and_a_new_device_works()
    {
        var hanging = new TaskCompletionSource<ReportOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new FirstReportHandler(() => hanging.Task);
        var device = DeviceActor(handler, DeviceTimeout);
        var (guest, events) = Registered(device);
        var zone = guest.Zones[0];
        var before = Status(zone);
        Advance(guest, Delay);
        AwaitCalls(() => handler.Calls, 1);
        AwaitBatchOut(zone);

        Watch(device);
        Sys.Stop(device);
        ExpectTerminated(device);
        var (reports, pass) = CollectPass(events);
        AssertFailedPass(reports, pass, reports[0].Pages, ReportErrors.Gone);
        AssertBatchBackUnflagged(zone, before, reports[0].Pages);
        Assert.True(handler.FirstToken.IsCancellationRequested);
        AwaitAssert(() => Assert.Null(AskFor<RegistrationStatus>(guest.Registry, GetRegistration.Instance).Device),
            TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10));

        // An answer in the dead device's name is ignored and logged.
        EventFilter.Warning(contains: "ignored: no report is outstanding").ExpectOne(
            () => TellReporter(guest, ReportCompleted.Ok(reports[0].ReportId), device));
        hanging.SetResult(ReportOutcome.Success); // goes to dead letters
        Assert.Equal(before.ReportedPages, Status(zone).ReportedPages);

        var next = DeviceActor(new InstantHandler(), DeviceTimeout);
        Register(guest, next);
        // Registration requests a first pass; it finds the 16 unreported blocks.
        Advance(guest, Delay);
        var (nextReports, nextPass) = CollectPass(events);
        Assert.Equal(2, nextReports.Count);
        Assert.All(nextReports, r => Assert.True(r.Success));
        Assert.False(nextPass.Failed);
        AssertInvariants(guest);
    }

    [Fact]
    public void R12_device_actor_that_crashes_mid_report_restarts_without_its_report_and_the_report_timeout_fails_it()
    {
        var hanging = new TaskCompletionSource<ReportOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new FirstReportHandler(() => hanging.Task);
        var device = DeviceActor(handler, DeviceTimeout);
        var (guest, events) = Registered(device);
        var zone = guest.Zones[0];
        var before = Status(zone);
        Advance(guest, Delay);
        AwaitCalls(() => handler.Calls, 1);
        AwaitBatchOut(zone);

        // The user guardian restarts the device actor: its running report and its handler timer are gone.
        EventFilter.Exception<SimulatedFaultException>().ExpectOne(() => device.Tell(new SimulatedFault()));
        AwaitCondition(() => handler.FirstToken.IsCancellationRequested, TimeSpan.FromSeconds(5));
        Clock.Advance(DeviceTimeout);
        events.ExpectMsg<PassStarted>();
        events.ExpectNoMsg(NoMsg); // no device answer comes
        Assert.Equal(4 * 1024, Status(zone).IsolatedPages);

        // The reporter's own timeout (armed when the batch went out, one ReportTimeout then) fails the report.
        Clock.Advance(ReportTimeout - DeviceTimeout);
        var (reports, pass) = CollectPass(events);
        AssertFailedPass(reports, pass, reports[0].Pages, ReportErrors.TimedOut);
        AssertBatchBackUnflagged(zone, before, reports[0].Pages);

        EventFilter.Warning(contains: "Late answer to report").ExpectOne(() => hanging.SetResult(ReportOutcome.Success));
        DuplicateAnswerIsIgnored(guest, device, reports[0].ReportId);
        Assert.Equal(device, AskFor<RegistrationStatus>(guest.Registry, GetRegistration.Instance).Device);
        AssertLaterPassWorks(guest, events);
    }
}
