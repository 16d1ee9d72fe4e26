using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit;
using PageReportingActors.Devices;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Actors;

/// <summary>A handler that runs a function per report and counts its calls.</summary>
internal sealed class FuncHandler(Func<Scatterlist, CancellationToken, Task<ReportOutcome>> report) : IPageReportHandler
{
    private int _calls;
    public int Calls => Volatile.Read(ref _calls);

    public Task<ReportOutcome> ReportAsync(Scatterlist pages, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return report(pages, cancellationToken);
    }
}

/// <summary>A handler that answers only when the test says so; it records the token of its last report.</summary>
internal sealed class PendingHandler : IPageReportHandler
{
    private readonly object _gate = new();
    private TaskCompletionSource<ReportOutcome>? _pending;
    private CancellationToken _token;
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);
    public CancellationToken Token { get { lock (_gate) return _token; } }

    public Task<ReportOutcome> ReportAsync(Scatterlist pages, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _token = cancellationToken;
            // The continuation must not run inside the test's Answer call on the test thread's stack.
            _pending = new TaskCompletionSource<ReportOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Increment(ref _calls);
            return _pending.Task;
        }
    }

    public void Answer(ReportOutcome outcome)
    {
        lock (_gate) _pending!.SetResult(outcome);
    }
}

/// <summary>The device actor around an application's handler (R16), and a failing or vanishing device in a guest (R12, R19).</summary>
public class DeviceActorTests(ITestOutputHelper output) : ActorTestBase(output)
{
    private static readonly TimeSpan NoMsg = TimeSpan.FromMilliseconds(150);
    private static readonly TimeSpan HandlerTimeout = TimeSpan.FromSeconds(5);
    private static readonly ZoneSpec Zone64M = SmallZone(pages: 16384);
    private static readonly PageReportingSettings Cap4 = PageReportingSettings.Default with { Capacity = 4 };

    private static readonly Scatterlist TwoBlocks = Scatterlist.FromBlocks([new Block(0, 10), new Block(1024, 9)]);

    private IActorRef Device(IPageReportHandler handler, TimeSpan? timeout = null) =>
        Sys.ActorOf(PageReporting.DeviceProps(handler, timeout ?? HandlerTimeout));

    /// <summary>A device that reports for the test actor, as it would for the reporter that registered it.</summary>
    private IActorRef ClaimedDevice(IPageReportHandler handler, TimeSpan? timeout = null)
    {
        var device = Device(handler, timeout);
        device.Tell(new DeviceOwner(TestActor));
        return device;
    }

    private void AwaitCalls(Func<int> calls, int count) =>
        AwaitCondition(() => calls() >= count, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10));

    /// <summary>Collects one pass's report events up to its PassFinished.</summary>
    private static (List<ReportFinished> Reports, PassFinished Pass) CollectPass(TestProbe events)
    {
        var reports = new List<ReportFinished>();
        while (true)
        {
            switch (events.ExpectMsg<object>(TimeSpan.FromSeconds(10)))
            {
                case ReportFinished report: reports.Add(report); break;
                case PassFinished pass: return (reports, pass);
            }
        }
    }

    // ---------------------------------------------------------------- the device actor alone

    [Fact]
    public void R16_handler_success_answers_ReportCompleted_Ok()
    {
        var handler = new InstantHandler();
        var device = ClaimedDevice(handler);
        device.Tell(new ReportPages(7, TwoBlocks));
        Assert.Equal(ReportCompleted.Ok(7), ExpectMsg<ReportCompleted>());
        Assert.Equal(TwoBlocks, Assert.Single(handler.Reports));
    }

    [Fact]
    public void R16_handler_error_code_answers_failed_with_that_code()
    {
        var handler = new FuncHandler((_, _) => Task.FromResult(ReportOutcome.Error(42)));
        var device = ClaimedDevice(handler);
        device.Tell(new ReportPages(3, TwoBlocks));
        var answer = ExpectMsg<ReportCompleted>();
        Assert.Equal(3, answer.ReportId);
        Assert.False(answer.Success);
        Assert.Equal(42, answer.ErrorCode);
        Assert.Equal("the handler answered error 42", answer.Detail);
    }

    [Fact]
    public void R16_handler_that_throws_synchronously_fails_the_report_Faulted()
    {
        var handler = new FuncHandler((_, _) => throw new InvalidOperationException("sync boom"));
        var device = ClaimedDevice(handler);
        device.Tell(new ReportPages(1, TwoBlocks));
        var answer = ExpectMsg<ReportCompleted>();
        Assert.False(answer.Success);
        Assert.Equal(ReportErrors.Faulted, answer.ErrorCode);
        Assert.Equal("the handler threw InvalidOperationException: sync boom", answer.Detail);

        // The device is free again: the next report runs.
        device.Tell(new ReportPages(2, TwoBlocks));
        Assert.Equal(ReportErrors.Faulted, ExpectMsg<ReportCompleted>().ErrorCode); // not Busy
        Assert.Equal(2, handler.Calls);
    }

    [Fact]
    public void R16_handler_that_throws_asynchronously_fails_the_report_Faulted()
    {
        var handler = new FuncHandler(async (_, _) =>
        {
            await Task.Yield();
            throw new IOException("async boom");
        });
        var device = ClaimedDevice(handler);
        device.Tell(new ReportPages(1, TwoBlocks));
        var answer = ExpectMsg<ReportCompleted>();
        Assert.Equal(1, answer.ReportId);
        Assert.False(answer.Success);
        Assert.Equal(ReportErrors.Faulted, answer.ErrorCode);
        Assert.Equal("the handler threw IOException: async boom", answer.Detail);
    }

    [Fact]
    public void R16_handler_that_never_answers_times_out_and_its_late_answer_is_ignored()
    {
        var handler = new PendingHandler();
        var device = ClaimedDevice(handler);
        device.Tell(new ReportPages(9, TwoBlocks));
        AwaitCalls(() => handler.Calls, 1); // the handler runs after the timeout timer is armed

        Clock.Advance(HandlerTimeout - TimeSpan.FromMilliseconds(1));
        ExpectNoMsg(NoMsg);
        Assert.False(handler.Token.IsCancellationRequested);

        Clock.Advance(TimeSpan.FromMilliseconds(1));
        var answer = ExpectMsg<ReportCompleted>();
        Assert.Equal(9, answer.ReportId);
        Assert.False(answer.Success);
        Assert.Equal(ReportErrors.TimedOut, answer.ErrorCode);
        Assert.True(handler.Token.IsCancellationRequested);

        EventFilter.Warning(contains: "Late answer").ExpectOne(() => handler.Answer(ReportOutcome.Success));
        ExpectNoMsg(NoMsg);

        // The device takes the next report.
        device.Tell(new ReportPages(10, TwoBlocks));
        AwaitCalls(() => handler.Calls, 2);
        handler.Answer(ReportOutcome.Success);
        Assert.Equal(ReportCompleted.Ok(10), ExpectMsg<ReportCompleted>());
    }

    [Fact]
    public void R14_second_report_while_one_runs_is_rejected_Busy()
    {
        var handler = new PendingHandler();
        var device = ClaimedDevice(handler);
        device.Tell(new ReportPages(1, TwoBlocks));
        AwaitCalls(() => handler.Calls, 1);

        device.Tell(new ReportPages(2, TwoBlocks));
        var busy = ExpectMsg<ReportCompleted>();
        Assert.Equal(2, busy.ReportId);
        Assert.False(busy.Success);
        Assert.Equal(ReportErrors.Busy, busy.ErrorCode);
        Assert.Equal("report 1 is still running", busy.Detail);
        Assert.Equal(1, handler.Calls);

        handler.Answer(ReportOutcome.Success);
        Assert.Equal(ReportCompleted.Ok(1), ExpectMsg<ReportCompleted>());
        ExpectNoMsg(NoMsg);
    }

    [Fact]
    public void R16_empty_scatterlist_or_one_without_an_end_mark_is_rejected_Invalid()
    {
        var handler = new InstantHandler();
        var device = ClaimedDevice(handler);

        device.Tell(new ReportPages(1, new Scatterlist(ImmutableArray<ScatterEntry>.Empty)));
        var empty = ExpectMsg<ReportCompleted>();
        Assert.Equal(1, empty.ReportId);
        Assert.False(empty.Success);
        Assert.Equal(ReportErrors.Invalid, empty.ErrorCode);

        var unterminated = new Scatterlist([new ScatterEntry(0, 4L << 20, IsEnd: false)]);
        device.Tell(new ReportPages(2, unterminated));
        Assert.Equal(ReportErrors.Invalid, ExpectMsg<ReportCompleted>().ErrorCode);

        Assert.Empty(handler.Reports);
    }

    // ---------------------------------------------------------------- with a guest

    [Fact]
    public void R12_device_that_fails_the_first_report_leaves_blocks_unflagged_and_a_later_pass_works()
    {
        var guest = StartGuest([Zone64M], Cap4);
        var zone = guest.Zones[0];
        var handler = new InstantHandler(1);
        var device = Device(handler);
        var events = EventsProbe();
        Register(guest, device);

        Advance(guest, Delay);
        var (reports, pass) = CollectPass(events);
        var failed = Assert.Single(reports);
        Assert.False(failed.Success);
        Assert.Equal(ReportErrors.Invalid, failed.ErrorCode);
        Assert.Equal(4, failed.Entries);
        Assert.True(pass.Failed);
        Assert.Equal(1, pass.Reports);
        Assert.Equal(0, pass.ReportedBytes);
        Assert.False(pass.RequestedAgain); // R12: a failure alone requests nothing

        var status = Status(zone);
        Assert.Equal(0, status.ReportedPages);
        Assert.Equal(0, status.IsolatedPages);
        Assert.Equal(16384, status.FreePages);
        var reporter = Reporter(guest);
        Assert.Equal(ReporterState.Idle, reporter.State);
        Assert.Equal(1, reporter.FailedReports);
        AssertInvariants(guest);

        // A new notification: the next pass works (budget 1: two full reports of 4, then Requested).
        var block = AllocateBlock(zone, 10);
        FreeBlock(zone, block);
        Advance(guest, Delay);
        (reports, pass) = CollectPass(events);
        Assert.Equal(2, reports.Count);
        Assert.All(reports, r => Assert.True(r.Success));
        Assert.False(pass.Failed);
        Assert.Equal(2, pass.Reports);
        Assert.Equal(8 * (4L << 20), pass.ReportedBytes);
        Assert.True(pass.RequestedAgain);
        Assert.Equal(8 * 1024, Status(zone).ReportedPages);
        Assert.Equal(3, handler.Reports.Count);
        AssertInvariants(guest);
    }

    [Fact]
    public void R19_device_stopped_during_a_report_fails_it_unregisters_and_a_new_device_gets_reports()
    {
        var guest = StartGuest([Zone64M], Cap4);
        var zone = guest.Zones[0];
        var handler = new PendingHandler();
        var device = Device(handler, TimeSpan.FromSeconds(10));
        var events = EventsProbe();
        Register(guest, device);

        Advance(guest, Delay);
        AwaitCalls(() => handler.Calls, 1);
        Assert.Equal(4 * 1024, Status(zone).IsolatedPages);

        Watch(device);
        Sys.Stop(device);
        ExpectTerminated(device);

        var (reports, pass) = CollectPass(events);
        var gone = Assert.Single(reports);
        Assert.False(gone.Success);
        Assert.Equal(ReportErrors.Gone, gone.ErrorCode);
        Assert.True(pass.Failed);
        Assert.Equal(0, pass.ReportedBytes);
        Assert.True(handler.Token.IsCancellationRequested); // the stopped device cancelled its handler

        var status = Status(zone);
        Assert.Equal(0, status.ReportedPages);
        Assert.Equal(0, status.IsolatedPages);
        Assert.Equal(16384, status.FreePages);
        AwaitAssert(() => Assert.Equal(new RegistrationStatus(null, 9), AskFor<RegistrationStatus>(guest.Registry, GetRegistration.Instance)),
            TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20));
        Assert.Null(Status(zone).NotifyOrder);
        Assert.False(Reporter(guest).DeviceAttached);
        AssertInvariants(guest);

        var next = CreateTestProbe();
        Assert.Equal(9, Register(guest, next.Ref));
        Advance(guest, Delay);
        var report = next.ExpectMsg<ReportPages>();
        Assert.Equal(4, report.Pages.Count);
        next.Reply(ReportCompleted.Ok(report.ReportId));
        Assert.Equal(4, next.ExpectMsg<ReportPages>().Pages.Count);
    }
}
