using Akka.Actor;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using PageReportingActors.Tests.Faults;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.RedTeam;

/// <summary>
/// The reporter actor against a zone that refuses a drain (as a zone did when a device rewrote its
/// scatterlist, or when pfns wrapped into other addresses): it tells the zone to abandon the walk, so the
/// zone returns whatever it still holds isolated, and the pass stops failed (R12).
/// </summary>
public class RejectedDrainTests(ITestOutputHelper output) : FaultTestBase(output)
{
    [Fact]
    public void R11_R12_a_rejected_drain_makes_the_reporter_abandon_the_walk_and_end_the_pass_failed()
    {
        var zone = CreateTestProbe();
        var device = CreateTestProbe();
        var events = EventsProbe();
        // The test actor is the reporter's parent, so it names the registry (itself) as the guardian would.
        var reporter = ChildActorOf(ReporterActor.Props([zone.Ref], Cap4, ["Z"]));
        reporter.Tell(new ReporterOwner(TestActor));
        reporter.Tell(new AttachDevice(device.Ref, 9));
        ExpectMsg<DeviceAttached>();
        AskFor<ReporterStatus>(reporter, GetReporterStatus.Instance);
        Clock.Advance(Delay);

        var begin = zone.ExpectMsg<BeginZoneWalk>();
        var batch = Scatterlist.FromBlocks([new Block(0, 10), new Block(1024, 10), new Block(2048, 10), new Block(3072, 10)]);
        zone.Reply(ZoneWalkStep.ToReport(begin.PassId, "Z", 1, batch, isLeftover: false, requestAnotherPass: false, flaggedLastBatch: 0));
        var report = device.ExpectMsg<ReportPages>();
        Assert.Equal(batch, report.Pages);
        device.Reply(ReportCompleted.Ok(report.ReportId));

        var drain = zone.ExpectMsg<CompleteZoneReport>();
        Assert.Equal(1, drain.BatchId);
        Assert.True(drain.Success);
        zone.Reply(new ZoneWalkRejected("Z", drain.PassId, drain.BatchId, "the blocks named are not the 4 blocks of batch 1"));

        // The zone is told to give back what it holds, and the pass ends failed without another request.
        Assert.Equal(begin.PassId, zone.ExpectMsg<AbandonZoneWalk>().PassId);
        var finished = ExpectPassFinished(events);
        Assert.True(finished.Failed);
        Assert.False(finished.RequestedAgain);
        Assert.Equal(ReporterState.Idle, AskFor<ReporterStatus>(reporter, GetReporterStatus.Instance).State);
        zone.ExpectNoMsg(NoMsg);
    }
}
