using System.Collections.Immutable;
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
/// Answers and walk commands that are not what the receiver waits for (wrong report, pass or batch,
/// wrong blocks, wrong sender) are refused or ignored, logged, and change nothing; the real answer
/// afterwards still decides.
/// </summary>
public class ForgedAnswerTests(ITestOutputHelper output) : FaultTestBase(output)
{
    /// <summary>A probe device with its first batch (report 1, zone batch 1 of pass 1) out.</summary>
    private (PageReportingGuest Guest, TestProbe Events, TestProbe Device, ReportPages Report, ZoneStatus Out, ZoneStatus BeforePass) BatchOut()
    {
        var device = CreateTestProbe();
        var (guest, events) = Registered(device.Ref);
        var before = Status(guest.Zones[0]);
        Advance(guest, Delay);
        var report = device.ExpectMsg<ReportPages>();
        Assert.Equal(1, events.ExpectMsg<PassStarted>().PassId);
        return (guest, events, device, report, AwaitBatchOut(guest.Zones[0]), before);
    }

    /// <summary>The real device fails the report: the batch comes back unflagged, the pass fails, a later pass works.</summary>
    private void RealFailureStillDecides(PageReportingGuest guest, TestProbe events, TestProbe device, ReportPages report, ZoneStatus beforePass)
    {
        device.Send(guest.Reporter, ReportCompleted.Failed(report.ReportId, ReportErrors.Invalid, "real answer"));
        var (reports, pass) = CollectPass(events);
        AssertFailedPass(reports, pass, report.Pages, ReportErrors.Invalid);
        AssertBatchBackUnflagged(guest.Zones[0], beforePass, report.Pages);
        AssertLaterPassWorks(guest, events, () => ProbeDevice.AnswerAll(device, guest.Reporter));
    }

    [Fact]
    public void R16_answer_for_a_report_that_is_not_outstanding_is_ignored_and_logged()
    {
        var (guest, events, device, report, atDevice, before) = BatchOut();
        var reporter = Reporter(guest);
        foreach (var id in new[] { report.ReportId + 1, report.ReportId - 1, 0L, long.MaxValue })
            EventFilter.Warning(contains: "ignored: not the outstanding report").ExpectOne(
                () => device.Send(guest.Reporter, ReportCompleted.Ok(id)));
        AssertSameStatus(atDevice, Status(guest.Zones[0]));
        Assert.Equal(reporter, Reporter(guest));
        events.ExpectNoMsg(NoMsg);
        RealFailureStillDecides(guest, events, device, report, before);
    }

    [Fact]
    public void R16_answer_from_an_actor_that_is_not_the_registered_device_is_ignored_and_logged()
    {
        var (guest, events, device, report, atDevice, before) = BatchOut();
        var stranger = CreateTestProbe();
        EventFilter.Warning(contains: "ignored: not the outstanding report").ExpectOne(
            () => stranger.Send(guest.Reporter, ReportCompleted.Ok(report.ReportId)));
        EventFilter.Warning(contains: "ignored: not the outstanding report").ExpectOne(
            () => guest.Reporter.Tell(ReportCompleted.Ok(report.ReportId), ActorRefs.NoSender));
        AssertSameStatus(atDevice, Status(guest.Zones[0]));
        events.ExpectNoMsg(NoMsg);
        stranger.ExpectNoMsg(TimeSpan.Zero);
        RealFailureStillDecides(guest, events, device, report, before);
    }

    [Fact]
    public void R11_forged_drains_are_rejected_ZoneWalkRejected_and_the_real_completion_still_works()
    {
        var (guest, events, device, report, atDevice, _) = BatchOut();
        var zone = guest.Zones[0];
        var stranger = CreateTestProbe();
        var blocks = report.Pages.ToBlocks();
        var otherBlocks = Scatterlist.FromBlocks([new Block(blocks[0].Pfn, 9), .. blocks.Skip(1)]);
        var fewer = Scatterlist.FromBlocks(blocks.Take(3).ToArray());
        var more = Scatterlist.FromBlocks([.. blocks, new Block(15 * 1024, 10)]);
        var duplicated = Scatterlist.FromBlocks([blocks[0], blocks[0], blocks[1], blocks[2]]);

        // Each forgery gets its own rejection with a reason, and a warning.
        (object Command, IActorRef From, string Reason)[] forgeries =
        [
            (new CompleteZoneReport(1, 1, report.Pages, true), stranger.Ref, "does not drive this walk"),
            (new CompleteZoneReport(1, 1, report.Pages, false), stranger.Ref, "does not drive this walk"),
            (new AbandonZoneWalk(1), stranger.Ref, "does not drive this walk"),
            (new CompleteZoneReport(2, 1, report.Pages, true), guest.Reporter, "is not the outstanding batch"),
            (new CompleteZoneReport(1, 2, report.Pages, true), guest.Reporter, "is not the outstanding batch"),
            (new CompleteZoneReport(1, 1, otherBlocks, true), guest.Reporter, "are not the 4 blocks"),
            (new CompleteZoneReport(1, 1, fewer, true), guest.Reporter, "are not the 4 blocks"),
            (new CompleteZoneReport(1, 1, more, true), guest.Reporter, "are not the 4 blocks"),
            (new CompleteZoneReport(1, 1, duplicated, true), guest.Reporter, "are not the 4 blocks"),
            (new CompleteZoneReport(1, 1, null!, true), guest.Reporter, "are not the 4 blocks"),
            (new AbandonZoneWalk(7), guest.Reporter, "has no walk here"),
        ];
        foreach (var (command, from, reason) in forgeries)
        {
            var forger = from == stranger.Ref ? stranger : null;
            EventFilter.Warning(contains: "walk command rejected").ExpectOne(() => zone.Tell(command, from));
            if (forger is not null)
            {
                var rejected = forger.ExpectMsg<ZoneWalkRejected>();
                Assert.Equal("Z", rejected.Zone);
                Assert.Contains(reason, rejected.Reason);
            }
            AssertSameStatus(atDevice, Status(zone));
        }

        // Rejections provoked in the reporter's name reach the reporter while its batch is at the device:
        // it must keep waiting for the device, not drop the batch.
        Assert.Equal(ReporterState.Active, Reporter(guest).State);
        events.ExpectNoMsg(NoMsg);
        device.ExpectNoMsg(TimeSpan.Zero);

        // The real answer drains the batch flagged and the pass goes on.
        device.Send(guest.Reporter, ReportCompleted.Ok(report.ReportId));
        var second = device.ExpectMsg<ReportPages>();
        Assert.Equal(4 * 1024, AwaitBatchOut(zone).ReportedPages);
        device.Send(guest.Reporter, ReportCompleted.Failed(second.ReportId, ReportErrors.Invalid, "second fails"));
        var (reports, pass) = CollectPass(events);
        Assert.Equal([true, false], reports.Select(r => r.Success).ToArray());
        Assert.True(pass.Failed);
        var after = Status(zone);
        Assert.Equal(0, after.IsolatedPages);
        Assert.Equal(4 * 1024, after.ReportedPages);
        Assert.Equal(16384, after.FreePages);
        AssertInvariants(guest);

        // A drain now, with no batch outstanding, is refused too (a stranger's first of all for being a stranger).
        EventFilter.Warning(contains: "walk command rejected").ExpectOne(
            () => stranger.Send(zone, new CompleteZoneReport(1, 2, second.Pages, true)));
        Assert.Contains("is not the zone's reporter", stranger.ExpectMsg<ZoneWalkRejected>().Reason);
        Assert.Equal(4 * 1024, Status(zone).ReportedPages);
        AssertLaterPassWorks(guest, events, () => ProbeDevice.AnswerAll(device, guest.Reporter));
    }

    [Fact]
    public void R14_walk_steps_and_rejections_forged_to_the_reporter_are_ignored_and_logged()
    {
        var (guest, events, device, report, atDevice, before) = BatchOut();
        var zone = guest.Zones[0];
        var stranger = CreateTestProbe();
        var fake = Scatterlist.FromBlocks([new Block(15 * 1024, 10)]);
        EventFilter.Warning(contains: "ignored: not expected now").ExpectOne(
            () => stranger.Send(guest.Reporter, ZoneWalkStep.ToReport(1, "Z", 2, fake, isLeftover: false, requestAnotherPass: false, flaggedLastBatch: 0)));
        EventFilter.Warning(contains: "ignored: not expected now").ExpectOne(
            () => guest.Reporter.Tell(ZoneWalkStep.ToReport(1, "Z", 2, fake, isLeftover: false, requestAnotherPass: false, flaggedLastBatch: 0), zone));
        EventFilter.Warning(contains: "ignored").ExpectOne(
            () => stranger.Send(guest.Reporter, ZoneWalkStep.Abandoned(1, "Z", 1)));
        EventFilter.Warning(contains: "ignored").ExpectOne(
            () => stranger.Send(guest.Reporter, new ZoneWalkRejected("Z", 1, 0, "forged")));
        EventFilter.Warning(contains: "ignored").ExpectOne(
            () => guest.Reporter.Tell(new ZoneWalkRejected("Z", 1, 1, "forged in the zone's name"), zone));
        device.ExpectNoMsg(NoMsg); // no second batch went out
        events.ExpectNoMsg(TimeSpan.Zero);
        AssertSameStatus(atDevice, Status(zone));
        Assert.Equal(ReporterState.Active, Reporter(guest).State);
        RealFailureStillDecides(guest, events, device, report, before);
    }
}
