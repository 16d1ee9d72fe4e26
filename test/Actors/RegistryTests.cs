using Akka.Actor;
using Akka.TestKit;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Actors;

/// <summary>A TestProbe standing in for a device: answers what it receives, until it is quiet.</summary>
internal static class ProbeDevice
{
    public static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Answers every report the probe receives until none comes for <see cref="Quiet"/> and the
    /// reporter is no longer Active (on a loaded machine the next report of a pass can be slow).
    /// </summary>
    public static List<ReportPages> AnswerAll(TestProbe device, IActorRef reporter, bool success = true)
    {
        var reports = new List<ReportPages>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (device.ReceiveOne(Quiet) is not ReportPages report)
            {
                var state = reporter.Ask<ReporterStatus>(GetReporterStatus.Instance, TimeSpan.FromSeconds(10)).Result.State;
                if (state != ReporterState.Active && !device.HasMessages) return reports;
                continue;
            }
            reports.Add(report);
            device.Reply(success
                ? ReportCompleted.Ok(report.ReportId)
                : ReportCompleted.Failed(report.ReportId, ReportErrors.Invalid, "test"));
        }
        throw new TimeoutException("the pass did not end within 20 s");
    }
}

/// <summary>Registration, the order it resolves, unregistration and run-time order changes (R17-R20).</summary>
public class RegistryTests(ITestOutputHelper output) : ActorTestBase(output)
{
    // 64 MiB: 16 free order-10 blocks, all Movable.
    // Capacity 4: gate 32 + (4 << 9) = 2080 pages; order-10 budget ceil(16 / 64) = 1, so a pass sends 2 reports of 4.
    // Capacity 16: budget ceil(16 / 256) = 1; 15 blocks are isolated, then the 16th would leave the zone at
    // 1024 free pages, not above min 16 + 1024: the list stops there, and the leftover report has 15 entries.
    private static readonly ZoneSpec Zone64M = SmallZone(pages: 16384);
    private static readonly PageReportingSettings Cap4 = PageReportingSettings.Default with { Capacity = 4 };
    private static readonly PageReportingSettings Cap16 = PageReportingSettings.Default with { Capacity = 16 };
    private static readonly TimeSpan Ms1 = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan NoMsg = TimeSpan.FromMilliseconds(150);

    private (PageReportingGuest Guest, TestProbe Device) Registered(PageReportingSettings? settings = null, int? deviceOrder = null)
    {
        var guest = StartGuest([Zone64M], settings ?? Cap4);
        var device = CreateTestProbe();
        Register(guest, device.Ref, deviceOrder);
        return (guest, device);
    }

    private RegistrationStatus Registration(PageReportingGuest guest) => AskFor<RegistrationStatus>(guest.Registry, GetRegistration.Instance);

    // ---------------------------------------------------------------- R17

    [Fact]
    public void R17_second_registration_is_Busy_and_changes_nothing()
    {
        var (guest, first) = Registered();
        var zone = guest.Zones[0];
        var second = CreateTestProbe();

        var rejected = AskFor<RegistrationRejected>(guest.Registry, new RegisterDevice(second.Ref, 5));
        Assert.Equal(RegistrationRejection.Busy, rejected.Reason);
        Assert.Equal(second.Ref, rejected.Device);
        Assert.Contains(first.Ref.Path.ToString(), rejected.Detail);

        // The same device registering twice is Busy too.
        Assert.Equal(RegistrationRejection.Busy, AskFor<RegistrationRejected>(guest.Registry, new RegisterDevice(first.Ref)).Reason);

        var registration = Registration(guest);
        Assert.Equal(first.Ref, registration.Device);
        Assert.Equal(9, registration.ReportingOrder); // the rejected device's order 5 was not used
        Assert.Equal(9, Status(zone).NotifyOrder);
        var reporter = Reporter(guest);
        Assert.True(reporter.DeviceAttached);
        Assert.Equal(9, reporter.ReportingOrder);
        Assert.Equal(ReporterState.Requested, reporter.State);

        Advance(guest, Delay);
        var report = first.ExpectMsg<ReportPages>();
        Assert.Equal(4, report.Pages.Count);
        second.ExpectNoMsg(NoMsg);
    }

    [Fact]
    public void R17_RegisterDevice_null_or_Nobody_is_rejected_InvalidDevice()
    {
        var guest = StartGuest([Zone64M], Cap4);
        var rejected = AskFor<RegistrationRejected>(guest.Registry, new RegisterDevice(null!));
        Assert.Equal(RegistrationRejection.InvalidDevice, rejected.Reason);
        Assert.Null(rejected.Device);
        Assert.Equal("no device was named", rejected.Detail);

        Assert.Equal(RegistrationRejection.InvalidDevice,
            AskFor<RegistrationRejected>(guest.Registry, new RegisterDevice(ActorRefs.Nobody, 5)).Reason);

        var registration = Registration(guest);
        Assert.Null(registration.Device);
        Assert.Null(registration.ReportingOrder); // nothing was resolved
        Assert.Null(Status(guest.Zones[0]).NotifyOrder);
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);
    }

    // ---------------------------------------------------------------- R18

    [Fact]
    public void R18_configured_order_wins_over_the_device_order()
    {
        var (guest, _) = Registered(Cap4 with { ReportingOrder = 7 }, deviceOrder: 5);
        Assert.Equal(7, Registration(guest).ReportingOrder);
        Assert.Equal(7, Status(guest.Zones[0]).NotifyOrder);
        Assert.Equal(7, Reporter(guest).ReportingOrder);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 5)]
    [InlineData(10, 10)]
    [InlineData(0, 9)]
    [InlineData(11, 9)]
    [InlineData(-3, 9)]
    [InlineData(null, 9)]
    public void R18_device_order_in_1_to_10_is_used_else_the_pageblock_order(int? deviceOrder, int expected)
    {
        var guest = StartGuest([Zone64M], Cap4);
        var device = CreateTestProbe();
        var registered = AskFor<DeviceRegistered>(guest.Registry, new RegisterDevice(device.Ref, deviceOrder));
        Assert.Equal(device.Ref, registered.Device);
        Assert.Equal(expected, registered.ReportingOrder);
        Assert.Equal(expected, Registration(guest).ReportingOrder);
        Assert.Equal(expected, Status(guest.Zones[0]).NotifyOrder);
        Assert.Equal(expected, Reporter(guest).ReportingOrder);
    }

    [Fact]
    public void R18_order_is_resolved_once_a_later_device_keeps_it()
    {
        var (guest, first) = Registered(deviceOrder: 5);
        AskFor<DeviceUnregistered>(guest.Registry, new UnregisterDevice(first.Ref));
        Assert.Equal(5, Registration(guest).ReportingOrder);

        var second = CreateTestProbe();
        Assert.Equal(5, Register(guest, second.Ref, deviceOrder: 7));
        var third = CreateTestProbe();
        AskFor<DeviceUnregistered>(guest.Registry, new UnregisterDevice(second.Ref));
        Assert.Equal(5, Register(guest, third.Ref)); // no device order: still 5, not 9
        Assert.Equal(5, Status(guest.Zones[0]).NotifyOrder);
        Assert.Equal(5, Reporter(guest).ReportingOrder);
    }

    [Fact]
    public void R18_first_report_comes_exactly_one_delay_after_registration()
    {
        var guest = StartGuest([Zone64M], Cap4);
        var events = EventsProbe();
        var device = CreateTestProbe();
        var registeredAt = Clock.Now;
        Register(guest, device.Ref);
        Assert.Equal(ReporterState.Requested, Reporter(guest).State);

        Advance(guest, Delay - Ms1);
        device.ExpectNoMsg(NoMsg);

        Advance(guest, Ms1);
        var report = device.ExpectMsg<ReportPages>();
        Assert.Equal(4, report.Pages.Count);
        var started = events.ExpectMsg<PassStarted>();
        Assert.Equal(Delay, started.At - registeredAt);
    }

    // ---------------------------------------------------------------- R19

    [Fact]
    public void R19_unregistration_waits_for_the_batch_then_no_report_reaches_the_old_device_and_flags_survive()
    {
        var guest = StartGuest([Zone64M], Cap16);
        var zone = guest.Zones[0];
        var old = CreateTestProbe();
        Register(guest, old.Ref);
        Advance(guest, Delay);
        var report = old.ExpectMsg<ReportPages>();
        Assert.Equal(15, report.Pages.Count);
        Assert.Equal(15 * 1024, Status(zone).IsolatedPages);

        // The batch is at the device: the unregistration is not acknowledged yet.
        var client = CreateTestProbe();
        client.Send(guest.Registry, new UnregisterDevice(old.Ref));
        client.ExpectNoMsg(NoMsg);
        Assert.Equal(old.Ref, Registration(guest).Device);
        Assert.Null(Status(zone).NotifyOrder); // notifications stopped first
        Assert.Equal(15 * 1024, Status(zone).IsolatedPages);

        old.Reply(ReportCompleted.Ok(report.ReportId));
        Assert.Equal(old.Ref, client.ExpectMsg<DeviceUnregistered>().Device);

        // The batch was drained and flagged; nothing is isolated; the device is gone everywhere.
        var after = Status(zone);
        Assert.Equal(15 * 1024, after.ReportedPages);
        Assert.Equal(0, after.IsolatedPages);
        Assert.Equal(16384, after.FreePages);
        Assert.Equal(new RegistrationStatus(null, 9), Registration(guest));
        var reporter = Reporter(guest);
        Assert.False(reporter.DeviceAttached);
        Assert.Equal(ReporterState.Idle, reporter.State);

        // Frees and several delays later, the old device still hears nothing. The list head is the
        // unreported 16th block U, then the reported ones: take U and one reported block R, free both.
        var u = AllocateBlock(zone, 10);
        var r = AllocateBlock(zone, 10);
        Assert.Equal(14 * 1024, Status(zone).ReportedPages);
        Assert.Equal(10, FreeBlock(zone, u).Merged.Order);
        Assert.Equal(10, FreeBlock(zone, r).Merged.Order);
        for (var i = 0; i < 3; i++) Advance(guest, Delay);
        old.ExpectNoMsg(NoMsg);
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);
        Assert.Equal(14 * 1024, Status(zone).ReportedPages); // the 14 untouched blocks kept their flags

        // A new device (asking for order 5) keeps order 9 and gets only the two blocks not yet reported.
        var next = CreateTestProbe();
        Assert.Equal(9, Register(guest, next.Ref, deviceOrder: 5));
        Advance(guest, Delay);
        var resumed = next.ExpectMsg<ReportPages>();
        Assert.Equal(new[] { r, u }, resumed.Pages.ToBlocks().ToArray()); // R was freed last: it leads the list
        next.Reply(ReportCompleted.Ok(resumed.ReportId));
        next.ExpectNoMsg(NoMsg);
        old.ExpectNoMsg(TimeSpan.Zero);
        Assert.Equal(16384, Status(zone).ReportedPages);
        AssertInvariants(guest);
    }

    [Fact]
    public void R19_unregistration_of_a_Requested_reporter_cancels_its_timer()
    {
        var (guest, old) = Registered();
        var registeredAt = Clock.Now;
        Assert.Equal(ReporterState.Requested, Reporter(guest).State);
        Advance(guest, TimeSpan.FromSeconds(1));

        // Idle at the device: acknowledged at once.
        AskFor<DeviceUnregistered>(guest.Registry, new UnregisterDevice(old.Ref));
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);

        // A new device registers at +1.5 s; the old timer (+2 s) must not fire a pass for it.
        Advance(guest, TimeSpan.FromMilliseconds(500));
        var next = CreateTestProbe();
        Register(guest, next.Ref);
        Advance(guest, TimeSpan.FromMilliseconds(500));
        Assert.Equal(Delay, Clock.Now - registeredAt);
        next.ExpectNoMsg(NoMsg);
        old.ExpectNoMsg(TimeSpan.Zero);

        // Its own first pass comes one delay after its registration: +3.5 s.
        Advance(guest, TimeSpan.FromMilliseconds(1500) - Ms1);
        next.ExpectNoMsg(NoMsg);
        Advance(guest, Ms1);
        Assert.Equal(4, next.ExpectMsg<ReportPages>().Pages.Count);
        old.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void R19_unregistering_a_device_that_is_not_registered_is_rejected_and_changes_nothing()
    {
        var guest = StartGuest([Zone64M], Cap4);
        var stranger = CreateTestProbe();

        // No device at all.
        var none = AskFor<UnregistrationRejected>(guest.Registry, new UnregisterDevice(stranger.Ref));
        Assert.Equal(stranger.Ref, none.Device);
        Assert.Equal($"{stranger.Ref.Path} is not the registered device", none.Detail);
        Assert.Equal(new RegistrationStatus(null, null), Registration(guest));

        var device = CreateTestProbe();
        Register(guest, device.Ref);
        var rejected = AskFor<UnregistrationRejected>(guest.Registry, new UnregisterDevice(stranger.Ref));
        Assert.Equal(stranger.Ref, rejected.Device);
        Assert.Equal($"{stranger.Ref.Path} is not the registered device", rejected.Detail);
        var unnamed = AskFor<UnregistrationRejected>(guest.Registry, new UnregisterDevice(null!));
        Assert.Equal("no device was named", unnamed.Detail);

        Assert.Equal(new RegistrationStatus(device.Ref, 9), Registration(guest));
        Assert.Equal(9, Status(guest.Zones[0]).NotifyOrder);
        var reporter = Reporter(guest);
        Assert.True(reporter.DeviceAttached);
        Assert.Equal(ReporterState.Requested, reporter.State);
        Advance(guest, Delay);
        Assert.Equal(4, device.ExpectMsg<ReportPages>().Pages.Count);
    }

    [Fact]
    public void R19_registration_sent_while_an_unregistration_waits_is_answered_after_it()
    {
        var guest = StartGuest([Zone64M], Cap16);
        var zone = guest.Zones[0];
        var old = CreateTestProbe();
        Register(guest, old.Ref);
        Advance(guest, Delay);
        var report = old.ExpectMsg<ReportPages>();

        var client = CreateTestProbe();
        var next = CreateTestProbe();
        client.Send(guest.Registry, new UnregisterDevice(old.Ref));
        client.Send(guest.Registry, new RegisterDevice(next.Ref, 3));
        client.ExpectNoMsg(NoMsg); // both wait: the registration is stashed behind the unregistration

        old.Reply(ReportCompleted.Ok(report.ReportId));
        Assert.Equal(old.Ref, client.ExpectMsg<DeviceUnregistered>().Device);
        var registered = client.ExpectMsg<DeviceRegistered>();
        Assert.Equal(next.Ref, registered.Device);
        Assert.Equal(9, registered.ReportingOrder);
        Assert.Equal(new RegistrationStatus(next.Ref, 9), Registration(guest));

        // The new device gets the next report: one re-freed order-10 block.
        var block = AllocateBlock(zone, 10);
        FreeBlock(zone, block);
        Advance(guest, Delay);
        var resumed = next.ExpectMsg<ReportPages>();
        Assert.Equal(new[] { block }, resumed.Pages.ToBlocks().ToArray());
        old.ExpectNoMsg(NoMsg);
    }

    // ---------------------------------------------------------------- R20

    [Theory]
    [InlineData(11)]
    [InlineData(-1)]
    public void R20_order_outside_0_to_10_is_rejected_with_a_clear_detail(int order)
    {
        var (guest, _) = Registered();
        var rejected = AskFor<ReportingOrderRejected>(guest.Registry, new SetReportingOrder(order));
        Assert.Equal(order, rejected.Order);
        Assert.Equal($"reporting order {order} is outside 0..10", rejected.Detail);
        Assert.Equal(9, Registration(guest).ReportingOrder);
        Assert.Equal(9, Status(guest.Zones[0]).NotifyOrder);
        Assert.Equal(9, Reporter(guest).ReportingOrder);
    }

    [Fact]
    public void R20_lower_order_at_run_time_notifies_on_the_next_free_and_the_next_pass_reports_it()
    {
        var (guest, device) = Registered();
        var zone = guest.Zones[0];
        Assert.Equal(2, DrainPasses(guest, device));
        Assert.Equal(16384, Status(zone).ReportedPages);

        // Split one reported order-10 block at pfn P: A = P (5), B = P+32 (5), C = P+64 (5).
        // Free halves left: P+96 (5), P+128 (7), P+256 (8), P+512 (9), all unflagged.
        var a = AllocateBlock(zone, 5);
        var b = AllocateBlock(zone, 5);
        var c = AllocateBlock(zone, 5);
        var p = a.Pfn;
        Assert.Equal(new Block(p + 32, 5), b);
        Assert.Equal(new Block(p + 64, 5), c);
        Assert.Equal(15 * 1024, Status(zone).ReportedPages);

        // At order 9 a free that merges only to 5 does not notify.
        Assert.Equal(new Block(p + 32, 5), FreeBlock(zone, b).Merged); // buddy A is allocated
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);
        b = AllocateBlock(zone, 5);
        Assert.Equal(new Block(p + 32, 5), b);

        Assert.Equal(new ReportingOrderSet(5), AskFor<ReportingOrderSet>(guest.Registry, new SetReportingOrder(5)));
        Assert.Equal(5, Registration(guest).ReportingOrder);
        Assert.Equal(5, Status(zone).NotifyOrder);
        Assert.Equal(5, Reporter(guest).ReportingOrder);
        Assert.Equal(15 * 1024, Status(zone).ReportedPages); // flags are untouched by the change

        // Now a free that merges to order 5 notifies.
        Assert.Equal(new Block(p, 5), FreeBlock(zone, a).Merged); // buddy B is allocated
        Assert.Equal(ReporterState.Requested, Reporter(guest).State);

        Advance(guest, Delay);
        var reports = ProbeDevice.AnswerAll(device, guest.Reporter);
        var blocks = reports.SelectMany(r => r.Pages.ToBlocks()).ToList();
        // Capacity 4: [5, 5, 7, 8] with the order-9 block waiting, then the leftover [9].
        Assert.Equal([4, 1], reports.Select(r => r.Pages.Count).ToArray());
        Assert.Equal(
            [new Block(p, 5), new Block(p + 96, 5), new Block(p + 128, 7), new Block(p + 256, 8), new Block(p + 512, 9)],
            blocks.OrderBy(x => x.Pfn).ToArray());
        // The 15 order-10 blocks flagged before the change stay flagged and are not reported again.
        var status = Status(zone);
        Assert.Equal(15 * 1024 + 32 + 32 + 128 + 256 + 512, status.ReportedPages);
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);
        AssertInvariants(guest);
    }
}
