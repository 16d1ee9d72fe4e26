using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Actors;

/// <summary>
/// The whole protocol with every message serialized and deserialized on the way
/// (<c>serialize-messages = on</c>): replies go to TestProbes (actors), so they are verified too.
/// </summary>
public class SerializationTests(ITestOutputHelper output) : ActorTestBase(output, """
    akka.actor.serialize-messages = on
    akka.actor.serialize-creators = off
    """)
{
    private static readonly ZoneSpec Zone64M = SmallZone(pages: 16384);
    private static readonly PageReportingSettings Cap4 = PageReportingSettings.Default with { Capacity = 4 };
    private static readonly TimeSpan NoMsg = TimeSpan.FromMilliseconds(150);

    private T Send<T>(TestProbe client, IActorRef to, object message)
    {
        client.Send(to, message);
        return client.ExpectMsg<T>(TimeSpan.FromSeconds(10));
    }

    /// <summary>A message whose only property cannot be read: it cannot be serialized.</summary>
    public sealed class Unserializable
    {
        public int Value => throw new InvalidOperationException("not serializable");
    }

    [Fact]
    public void Serialization_of_every_message_is_really_on()
    {
        Assert.True(Sys.Settings.SerializeAllMessages);
        Assert.False(Sys.Settings.SerializeAllCreators);
        var probe = CreateTestProbe();
        // The check is live: an unserializable message fails in the receiving actor and never arrives.
        EventFilter.Exception<System.Runtime.Serialization.SerializationException>().ExpectOne(() => probe.Ref.Tell(new Unserializable()));
        probe.ExpectNoMsg(NoMsg);
    }

    [Fact]
    public void Every_message_of_the_protocol_survives_serialization()
    {
        var guest = StartGuest([Zone64M], Cap4);
        var zone = guest.Zones[0];
        var client = CreateTestProbe();
        var device = CreateTestProbe();
        var events = EventsProbe();

        // R17, R18: register a probe device.
        Assert.Equal(new DeviceRegistered(device.Ref, 9), Send<DeviceRegistered>(client, guest.Registry, new RegisterDevice(device.Ref)));
        var other = CreateTestProbe();
        var busy = Send<RegistrationRejected>(client, guest.Registry, new RegisterDevice(other.Ref, 4));
        Assert.Equal(RegistrationRejection.Busy, busy.Reason);
        Assert.Equal(other.Ref, busy.Device);
        Assert.Equal(new RegistrationStatus(device.Ref, 9), Send<RegistrationStatus>(client, guest.Registry, GetRegistration.Instance));

        // A pass: two reports answered (R9 budget 1 with capacity 4), each a serialized scatterlist.
        Advance(guest, Delay);
        Assert.IsType<PassStarted>(events.ExpectMsg<PassStarted>());
        for (var i = 0; i < 2; i++)
        {
            var report = device.ExpectMsg<ReportPages>();
            Assert.Equal(4, report.Pages.Count);
            Assert.All(report.Pages.Entries, e => Assert.Equal(10, e.Order));
            Assert.True(report.Pages.Entries[^1].IsEnd);
            device.Reply(ReportCompleted.Ok(report.ReportId));
            var finished = events.ExpectMsg<ReportFinished>();
            Assert.True(finished.Success);
            Assert.Equal(4, finished.Entries);
            Assert.Equal("Z", finished.Zone);
        }
        var pass = events.ExpectMsg<PassFinished>();
        Assert.Equal(2, pass.Reports);
        Assert.Equal(8 * (4L << 20), pass.ReportedBytes);
        Assert.True(pass.RequestedAgain);
        device.ExpectNoMsg(NoMsg);
        Assert.Equal(8 * 1024, Send<ZoneStatus>(client, zone, GetZoneStatus.Instance).ReportedPages);

        // Allocations and frees, one and many.
        var allocated = Send<Allocated>(client, zone, new Allocate(0, Migratetype.Movable, WatermarkLevel.Low));
        Assert.Equal("Z", allocated.Zone);
        Assert.Equal(0, allocated.Block.Order);
        var freed = Send<Freed>(client, zone, new Free(allocated.Block.Pfn, 0));
        Assert.Equal(allocated.Block, freed.Block);
        Assert.Equal(10, freed.Merged.Order);

        var many = Send<AllocatedMany>(client, zone, new AllocateMany(3, 8, Migratetype.Unmovable, WatermarkLevel.Min));
        Assert.Equal(8, many.Blocks.Length);
        Assert.All(many.Blocks, b => Assert.Equal(3, b.Order));
        Assert.Null(many.StoppedBecause);
        var freedMany = Send<FreedMany>(client, zone, new FreeMany(many.Blocks));
        Assert.Equal(8, freedMany.Freed);
        Assert.Empty(freedMany.Rejected);

        // Bad input: each reply carries its reason.
        var badOrder = Send<AllocationFailed>(client, zone, new Allocate(11));
        Assert.Equal(AllocationFailureReason.InvalidOrder, badOrder.Reason);
        var misaligned = Send<FreeRejected>(client, zone, new Free(1, 3));
        Assert.Equal(FreeRejectionReason.Misaligned, misaligned.Reason);
        var notAllocated = Send<FreeRejected>(client, zone, new Free(0, 0));
        Assert.Equal(FreeRejectionReason.AlreadyFree, notAllocated.Reason);
        var badMany = Send<FreedMany>(client, zone, new FreeMany([new Block(1, 3), new Block(1L << 20, 0)]));
        Assert.Equal(0, badMany.Freed);
        Assert.Equal([FreeRejectionReason.Misaligned, FreeRejectionReason.OutsideZone], badMany.Rejected.Select(r => r.Reason).ToArray());

        // R20.
        Assert.Equal(new ReportingOrderSet(5), Send<ReportingOrderSet>(client, guest.Registry, new SetReportingOrder(5)));
        var rejectedOrder = Send<ReportingOrderRejected>(client, guest.Registry, new SetReportingOrder(11));
        Assert.Equal(11, rejectedOrder.Order);
        Assert.Equal("reporting order 11 is outside 0..10", rejectedOrder.Detail);

        // Status and invariants.
        var status = Send<ZoneStatus>(client, zone, GetZoneStatus.Instance);
        Assert.Equal(16384, status.Pages);
        Assert.Equal(16384, status.FreePages);
        Assert.Equal(11, status.NrFree.Length);
        Assert.Equal(new Watermarks(16, 32, 48), status.Watermarks);
        Assert.Equal(5, status.NotifyOrder);
        Assert.Equal(new ZoneInvariantsChecked("Z", null), Send<ZoneInvariantsChecked>(client, zone, CheckZoneInvariants.Instance));
        var reporter = Send<ReporterStatus>(client, guest.Reporter, GetReporterStatus.Instance);
        Assert.Equal(5, reporter.ReportingOrder);
        Assert.Equal(2, reporter.Reports);

        // R19: unregister (the reporter is Requested, not Active: acknowledged at once), then register again.
        var stranger = CreateTestProbe();
        Assert.Equal(stranger.Ref, Send<UnregistrationRejected>(client, guest.Registry, new UnregisterDevice(stranger.Ref)).Device);
        Assert.Equal(new DeviceUnregistered(device.Ref), Send<DeviceUnregistered>(client, guest.Registry, new UnregisterDevice(device.Ref)));
        Assert.Equal(new RegistrationStatus(null, 5), Send<RegistrationStatus>(client, guest.Registry, GetRegistration.Instance));
        Assert.Equal(new DeviceRegistered(other.Ref, 5), Send<DeviceRegistered>(client, guest.Registry, new RegisterDevice(other.Ref, 8)));

        // The new device gets the next pass's reports at order 5.
        Advance(guest, Delay);
        var next = other.ExpectMsg<ReportPages>();
        Assert.Equal(4, next.Pages.Count);
        other.Reply(ReportCompleted.Failed(next.ReportId, ReportErrors.Invalid, "serialized failure"));
        var failedPass = ExpectPassFinished(events);
        Assert.True(failedPass.Failed);
        device.ExpectNoMsg(NoMsg);
        AssertInvariants(guest);
    }

    [Fact]
    public void Device_actor_messages_survive_serialization()
    {
        var handler = new InstantHandler(2);
        var device = Sys.ActorOf(PageReporting.DeviceProps(handler, TimeSpan.FromSeconds(5)));
        device.Tell(new DeviceOwner(TestActor));
        var pages = Scatterlist.FromBlocks([new Block(0, 10), new Block(1024, 9)]);

        device.Tell(new ReportPages(1, pages));
        Assert.Equal(ReportCompleted.Ok(1), ExpectMsg<ReportCompleted>());
        device.Tell(new ReportPages(2, pages));
        var failed = ExpectMsg<ReportCompleted>();
        Assert.Equal(ReportErrors.Invalid, failed.ErrorCode);
        device.Tell(new ReportPages(3, new Scatterlist(ImmutableArray<ScatterEntry>.Empty)));
        Assert.Equal(ReportErrors.Invalid, ExpectMsg<ReportCompleted>().ErrorCode);
        // Records holding an ImmutableArray compare the array by reference, so compare the entries.
        Assert.Equal(pages.Entries.ToArray(), handler.Reports[0].Entries.ToArray());
        Assert.Equal(2, handler.Reports.Count);
    }

    [Fact]
    public void Every_internal_message_round_trips_through_the_serializer()
    {
        var a = CreateTestProbe().Ref;
        var b = CreateTestProbe().Ref;
        var batch = Scatterlist.FromBlocks([new Block(0, 10), new Block(1024, 9)]);
        object[] messages =
        [
            new RequestReporting("Z"),
            new AttachDevice(a, 9), new DeviceAttached(a),
            new DetachDevice(a), new DeviceDetached(a),
            new ChangeReportingOrder(5), new ReportingOrderChanged(5),
            new ZoneOwners(a, b), new ReporterOwner(b), new DeviceOwner(a), DeviceReleased.Instance,
            new EnableNotification(a, 9), DisableNotification.Instance,
            new BeginZoneWalk(1, 9, 32), new CompleteZoneReport(1, 2, batch, true), new AbandonZoneWalk(1),
            ZoneWalkStep.ToReport(1, "Z", 2, batch, isLeftover: true, requestAnotherPass: true, flaggedLastBatch: 3),
            ZoneWalkStep.Abandoned(1, "Z", 2),
            new ZoneWalkRejected("Z", 1, 2, "why"),
        ];
        foreach (var message in messages)
        {
            var serializer = Sys.Serialization.FindSerializerFor(message);
            var back = Akka.Serialization.Serialization.WithTransport((ExtendedActorSystem)Sys, () =>
                serializer.FromBinary(serializer.ToBinary(message), message.GetType()));
            Assert.Equal(message, back);
        }
    }
}
