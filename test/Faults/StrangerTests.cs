using System.Collections.Immutable;
using Akka.Actor;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using PageReportingActors.Tests.Actors;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Faults;

/// <summary>
/// Internal commands from an actor they do not belong to (as a forged message over a wire would come):
/// refused, logged, and nothing changes.
/// </summary>
public class StrangerTests(ITestOutputHelper output) : FaultTestBase(output)
{
    [Fact]
    public void R4_a_walk_begun_by_a_stranger_is_rejected_and_isolates_nothing()
    {
        var guest = StartGuest([Zone64M], Cap4);
        var zone = guest.Zones[0];
        var before = Status(zone);
        var stranger = CreateTestProbe();
        EventFilter.Warning(contains: "is not the zone's reporter").ExpectOne(() => stranger.Send(zone, new BeginZoneWalk(1, 9, 4)));
        Assert.Contains("is not the zone's reporter", stranger.ExpectMsg<ZoneWalkRejected>().Reason);
        var after = Status(zone);
        Assert.Equal(0, after.IsolatedPages);
        Assert.False(after.WalkInProgress);
        AssertSameStatus(before, after);
    }

    [Fact]
    public void R5_notification_orders_from_a_stranger_are_ignored()
    {
        var guest = StartGuest([Zone64M], Cap4);
        var zone = guest.Zones[0];
        var stranger = CreateTestProbe();
        EventFilter.Warning(contains: "is not the guest's registry").ExpectOne(() => stranger.Send(zone, new EnableNotification(stranger.Ref, 0)));
        Assert.Null(Status(zone).NotifyOrder);
        // A free that would notify at order 0 tells no one.
        FreeBlock(zone, AllocateBlock(zone, 0));
        stranger.ExpectNoMsg(NoMsg);
    }

    [Fact]
    public void R17_an_attach_from_a_stranger_is_ignored_and_a_real_registration_still_gets_the_reports()
    {
        var guest = StartGuest([Zone64M], Cap4);
        var stranger = CreateTestProbe();
        EventFilter.Warning(contains: "is not the guest's registry").ExpectOne(() => stranger.Send(guest.Reporter, new AttachDevice(stranger.Ref, 9)));
        stranger.ExpectNoMsg(NoMsg);
        var status = Reporter(guest);
        Assert.False(status.DeviceAttached);
        Assert.Equal(ReporterState.Idle, status.State);

        var device = CreateTestProbe();
        Register(guest, device.Ref);
        Advance(guest, Delay);
        Assert.Equal(4, device.ExpectMsg<ReportPages>().Pages.Count);
        stranger.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void R19_R20_detach_and_order_changes_from_a_stranger_change_nothing()
    {
        var guest = StartGuest([Zone64M], Cap4);
        var device = CreateTestProbe();
        Register(guest, device.Ref);
        var stranger = CreateTestProbe();
        EventFilter.Warning(contains: "is not the guest's registry").ExpectOne(() => stranger.Send(guest.Reporter, new DetachDevice(device.Ref)));
        EventFilter.Warning(contains: "is not the guest's registry").ExpectOne(() => stranger.Send(guest.Reporter, new ChangeReportingOrder(3)));
        stranger.ExpectNoMsg(NoMsg);
        var status = Reporter(guest);
        Assert.True(status.DeviceAttached);
        Assert.Equal(9, status.ReportingOrder);
        Assert.Equal(ReporterState.Requested, status.State);
        Advance(guest, Delay);
        Assert.All(device.ExpectMsg<ReportPages>().Pages.Entries, e => Assert.Equal(10, e.Order));
    }

    [Fact]
    public void R19_a_detach_answer_from_a_stranger_does_not_acknowledge_an_unregistration_while_a_report_is_out()
    {
        var guest = StartGuest([Zone64M], Cap4);
        var device = CreateTestProbe();
        Register(guest, device.Ref);
        Advance(guest, Delay);
        var report = device.ExpectMsg<ReportPages>();
        AwaitBatchOut(guest.Zones[0]);

        var client = CreateTestProbe();
        client.Send(guest.Registry, new UnregisterDevice(device.Ref));
        var stranger = CreateTestProbe();
        EventFilter.Warning(contains: "is not the guest's reporter").ExpectOne(() => stranger.Send(guest.Registry, new DeviceDetached(device.Ref)));
        client.ExpectNoMsg(NoMsg);
        Assert.Equal(ReporterState.Active, Reporter(guest).State);

        // The pass ends (its batches drained), then the unregistration is acknowledged.
        device.Send(guest.Reporter, ReportCompleted.Ok(report.ReportId));
        ProbeDevice.AnswerAll(device, guest.Reporter);
        Assert.Equal(new DeviceUnregistered(device.Ref), client.ExpectMsg<DeviceUnregistered>(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, Status(guest.Zones[0]).IsolatedPages);
        AssertInvariants(guest);
    }

    [Fact]
    public void R16_a_report_with_a_default_scatterlist_is_answered_invalid_not_a_crash()
    {
        var device = DeviceActor(new InstantHandler());
        device.Tell(new DeviceOwner(TestActor));
        device.Tell(new ReportPages(1, new Scatterlist(default(ImmutableArray<ScatterEntry>))));
        var answer = ExpectMsg<ReportCompleted>();
        Assert.False(answer.Success);
        Assert.Equal(ReportErrors.Invalid, answer.ErrorCode);
        // The actor is still there and works.
        device.Tell(new ReportPages(2, Scatterlist.FromBlocks([new Block(0, 10)])));
        Assert.True(ExpectMsg<ReportCompleted>().Success);
    }
}
