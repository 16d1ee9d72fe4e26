using Akka.Actor;
using PageReportingActors.Devices;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using PageReportingActors.Tests.Actors;
using PageReportingActors.Tests.Faults;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.RedTeam;

/// <summary>
/// The embedding API used against itself: one device registered by two guests, and report handlers
/// that call back into the guest that is reporting to them. Every page stays accounted for: none
/// isolated after the pass, none reported that the device did not acknowledge, I1-I4 hold.
/// </summary>
public class EmbeddingAttackTests(ITestOutputHelper output) : FaultTestBase(output)
{
    [Fact]
    public async Task A_device_registered_by_two_guests_reports_for_the_first_and_the_second_gets_its_batches_back()
    {
        var handler = new InstantHandler();
        var device = DeviceActor(handler);
        var first = StartGuest([Zone64M], Cap4);
        var second = await FaultyGuests.StartAsync(Sys, [Zone64M], Cap4, "second");
        var events = EventsProbe();
        Register(first, device);
        Register(second, device);

        Advance(first, Delay);
        var reported = new List<ReportFinished>();
        var passes = new List<PassFinished>();
        while (passes.Count < 2)
        {
            switch (events.ExpectMsg<object>(TimeSpan.FromSeconds(10)))
            {
                case ReportFinished r: reported.Add(r); break;
                case PassFinished p: passes.Add(p); break;
            }
        }

        var firstZone = Status(first.Zones[0]);
        var secondZone = Status(second.Zones[0]);
        Output?.WriteLine($"reports {string.Join(", ", reported.Select(r => $"{r.Success}/{r.ErrorCode}"))}; first reported {firstZone.ReportedPages}, second {secondZone.ReportedPages}");
        Assert.Equal(8 * 1024, firstZone.ReportedPages);
        Assert.Equal(0, secondZone.ReportedPages);
        Assert.Equal(0, secondZone.IsolatedPages);
        Assert.Equal(16384, secondZone.FreePages);
        // Only the first guest's blocks reached the handler.
        Assert.Equal(2, handler.Reports.Count);
        AssertInvariants(first);
        AssertInvariants(second);
    }

    /// <summary>
    /// A handler that, while its report runs, frees the blocks it was lent, allocates from the zone,
    /// lowers the reporting order and asks the reporter how it is: the frees are refused (the blocks
    /// are lent, R4), the allocation is served from other blocks (R14), and the report still flags
    /// exactly the blocks it carried.
    /// </summary>
    [Fact]
    public async Task A_handler_that_calls_back_into_its_guest_mid_report_changes_no_lent_block()
    {
        PageReportingGuest guest = null!;
        var answers = new List<object>();
        var handler = new FuncHandler(async (pages, _) =>
        {
            var zone = guest.Zones[0];
            foreach (var block in pages.ToBlocks())
                answers.Add(await zone.Ask<object>(new Free(block.Pfn, block.Order), TimeSpan.FromSeconds(5)));
            answers.Add(await zone.Ask<object>(new Allocate(9), TimeSpan.FromSeconds(5)));
            answers.Add(await guest.Registry.Ask<object>(new SetReportingOrder(9), TimeSpan.FromSeconds(5)));
            answers.Add(await guest.Reporter.Ask<object>(GetReporterStatus.Instance, TimeSpan.FromSeconds(5)));
            return ReportOutcome.Success;
        });
        var device = DeviceActor(handler);
        (guest, var events) = Registered(device);
        await Task.Yield();

        Advance(guest, Delay);
        var (reports, pass) = CollectPass(events);

        Assert.Equal(2, reports.Count);
        Assert.All(reports, r => Assert.True(r.Success));
        Assert.False(pass.Failed);
        var frees = answers.OfType<FreeRejected>().ToList();
        Assert.Equal(8, frees.Count);
        Assert.All(frees, f => Assert.Equal(FreeRejectionReason.Isolated, f.Reason));
        var taken = answers.OfType<Allocated>().Select(a => a.Block).ToList();
        Assert.Equal(2, taken.Count);
        var lent = reports.SelectMany(r => r.Pages.ToBlocks()).ToList();
        Assert.All(taken, t => Assert.DoesNotContain(lent, b => t.Pfn >= b.Pfn && t.Pfn < b.Pfn + b.Pages));
        var zone = Status(guest.Zones[0]);
        Assert.Equal(0, zone.IsolatedPages);
        Assert.Equal(8 * 1024, zone.ReportedPages);
        Assert.Equal(2 * 512, zone.AllocatedPages);
        Assert.Equal(16384 - 2 * 512, zone.FreePages);
        AssertInvariants(guest);
    }

    /// <summary>
    /// A handler that unregisters its own device and waits for the answer before it answers the
    /// report: the unregistration waits for the report (R19), the report for the handler. The
    /// device's timeout breaks the wait: the report fails, its batch comes back unflagged, and the
    /// unregistration is answered.
    /// </summary>
    [Fact]
    public async Task A_handler_that_waits_for_its_own_unregistration_is_timed_out_and_loses_no_block()
    {
        PageReportingGuest guest = null!;
        IActorRef device = null!;
        Task<object>? unregistered = null;
        var handler = new FuncHandler(async (_, ct) =>
        {
            unregistered = guest.Registry.Ask<object>(new UnregisterDevice(device), TimeSpan.FromSeconds(30));
            await unregistered.WaitAsync(ct);
            return ReportOutcome.Success;
        });
        device = DeviceActor(handler, TimeSpan.FromSeconds(1));
        (guest, var events) = Registered(device);
        var before = Status(guest.Zones[0]);

        Advance(guest, Delay);
        AwaitCalls(() => handler.Calls, 1);
        AwaitBatchOut(guest.Zones[0]);
        AwaitCondition(() => unregistered is not null, TimeSpan.FromSeconds(5));
        Assert.False(unregistered!.IsCompleted);
        Clock.Advance(TimeSpan.FromSeconds(1));
        var (reports, pass) = CollectPass(events);

        var failed = Assert.Single(reports);
        Assert.Equal(ReportErrors.TimedOut, failed.ErrorCode);
        Assert.True(pass.Failed);
        Assert.IsType<DeviceUnregistered>(await unregistered.WaitAsync(TimeSpan.FromSeconds(5)));
        AssertBatchBackUnflagged(guest.Zones[0], before, failed.Pages);
        Assert.Null(AskFor<RegistrationStatus>(guest.Registry, GetRegistration.Instance).Device);
    }

    /// <summary>
    /// The guest's wiring, sent by a stranger: owners for the zone and the reporter naming the
    /// stranger, and notifications turned off or pointed at it. Each is ignored: a free that merges
    /// to the reporting order still notifies the guest's own reporter, and the stranger hears nothing.
    /// </summary>
    [Fact]
    public void Wiring_from_a_stranger_redirects_no_notification()
    {
        var device = CreateTestProbe();
        var (guest, events) = Registered(device.Ref);
        var zone = guest.Zones[0];
        DrainPasses(guest, device);
        ExpectPassFinished(events);
        var stranger = CreateTestProbe();

        stranger.Send(zone, new ZoneOwners(stranger.Ref, stranger.Ref));
        stranger.Send(guest.Reporter, new ReporterOwner(stranger.Ref));
        stranger.Send(zone, new EnableNotification(stranger.Ref, 0));
        stranger.Send(zone, DisableNotification.Instance);
        Assert.Equal(9, Status(zone).NotifyOrder);

        var block = AllocateBlock(zone, 10);
        FreeBlock(zone, block);
        AwaitCondition(() => Reporter(guest).State == ReporterState.Requested, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(5));
        stranger.ExpectNoMsg(NoMsg);
        // The registry is still the reporter's: it can still detach the device.
        AskFor<DeviceUnregistered>(guest.Registry, new UnregisterDevice(device.Ref));
        Assert.False(Reporter(guest).DeviceAttached);
    }
}
