using Akka.Actor;
using Akka.TestKit;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Actors;

/// <summary>Notification, the reporter's states and timer, and the pass as seen from a device probe.</summary>
public class ReporterTests(ITestOutputHelper output) : ActorTestBase(output)
{
    // 64 MiB: 16 free order-10 blocks. Capacity 4: gate 32 + (4 << 9) = 2080 pages; budget ceil(16 / 64) = 1.
    private static readonly ZoneSpec Zone64M = SmallZone(pages: 16384);
    private static readonly PageReportingSettings Cap4 = PageReportingSettings.Default with { Capacity = 4 };

    private (PageReportingGuest Guest, TestProbe Device) Registered(PageReportingSettings? settings = null)
    {
        var guest = StartGuest([Zone64M], settings ?? Cap4);
        var device = CreateTestProbe();
        Register(guest, device.Ref);
        return (guest, device);
    }

    [Fact]
    public void R6_first_pass_starts_exactly_one_delay_after_the_request()
    {
        var (guest, device) = Registered();
        Assert.Equal(ReporterState.Requested, Reporter(guest).State);

        Advance(guest, TimeSpan.FromMilliseconds(1999));
        device.ExpectNoMsg(TimeSpan.FromMilliseconds(150));
        Assert.Equal(ReporterState.Requested, Reporter(guest).State);

        Advance(guest, TimeSpan.FromMilliseconds(1));
        var report = device.ExpectMsg<ReportPages>();
        Assert.Equal(4, report.Pages.Count);
        Assert.Equal(ReporterState.Active, Reporter(guest).State);
    }

    [Fact]
    public void R6_notifications_while_Requested_do_not_rearm_the_timer()
    {
        var (guest, device) = Registered();
        DrainPasses(guest, device);
        var zone = guest.Zones[0];
        var a = AllocateBlock(zone, 10);
        var b = AllocateBlock(zone, 10);

        FreeBlock(zone, a);
        Advance(guest, TimeSpan.FromSeconds(1.5));
        FreeBlock(zone, b); // a second request 1.5 s later must not push the pass back
        Assert.Equal(ReporterState.Requested, Reporter(guest).State);
        Advance(guest, TimeSpan.FromSeconds(0.5));
        device.ExpectMsg<ReportPages>();
    }

    [Fact]
    public void R6_R13_notification_during_a_pass_rearms_the_timer_at_its_end()
    {
        var (guest, device) = Registered(Cap4 with { Capacity = 16 }); // budget ceil(16/256) = 1: one pass reports all 16
        var zone = guest.Zones[0];
        Advance(guest, Delay);
        var report = device.ExpectMsg<ReportPages>();

        // The pass is Active with a batch at the device: a free that merges to order 10 arrives.
        var status = Status(zone);
        Assert.True(status.WalkInProgress);
        Assert.Equal(ReporterState.Active, Reporter(guest).State);

        device.Reply(ReportCompleted.Ok(report.ReportId));
        ProbeDevice.AnswerAll(device, guest.Reporter);
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);

        var block = AllocateBlock(zone, 10);
        Advance(guest, Delay);
        var nothing = device.ReceiveOne(TimeSpan.FromMilliseconds(150));
        Assert.Null(nothing);

        // Now notify during a pass: start one, then free while it is Active.
        FreeBlock(zone, block);
        Advance(guest, Delay);
        var second = device.ExpectMsg<ReportPages>();
        var other = AllocateBlock(zone, 10);
        FreeBlock(zone, other);
        Assert.Equal(ReporterState.Active, Reporter(guest).State);
        device.Reply(ReportCompleted.Ok(second.ReportId));
        ProbeDevice.AnswerAll(device, guest.Reporter);
        Assert.Equal(ReporterState.Requested, Reporter(guest).State);
        Advance(guest, TimeSpan.FromMilliseconds(1999));
        device.ExpectNoMsg(TimeSpan.FromMilliseconds(150));
    }

    [Fact]
    public void R5_free_merging_to_reporting_order_notifies_and_lower_orders_do_not()
    {
        var (guest, device) = Registered();
        DrainPasses(guest, device);
        var zone = guest.Zones[0];
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);

        // An order-0 block split from an order-10 block: freeing it merges back to 10, so it notifies.
        var page = AllocateBlock(zone, 0);
        var eight = AllocateBlock(zone, 8);
        var merged = FreeBlock(zone, page).Merged;
        Assert.True(merged.Order < 9, $"merged to {merged.Order}");
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);

        var freed = FreeBlock(zone, eight);
        Assert.Equal(10, freed.Merged.Order);
        Assert.Equal(ReporterState.Requested, Reporter(guest).State);
    }

    [Fact]
    public void R5_no_notification_without_a_registered_device()
    {
        var guest = StartGuest([Zone64M], Cap4);
        var zone = guest.Zones[0];
        var block = AllocateBlock(zone, 10);
        FreeBlock(zone, block);
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);
        Assert.Null(Status(zone).NotifyOrder);
    }

    [Fact]
    public void R13_pass_that_ran_out_of_budget_stays_Requested_and_runs_again_after_delay()
    {
        var (guest, device) = Registered();
        Advance(guest, Delay);
        var first = ProbeDevice.AnswerAll(device, guest.Reporter);
        // Budget 1: two full reports of 4, then the list's budget is below zero.
        Assert.Equal(2, first.Count);
        Assert.Equal(ReporterState.Requested, Reporter(guest).State);
        Advance(guest, TimeSpan.FromMilliseconds(1999));
        device.ExpectNoMsg(TimeSpan.FromMilliseconds(150));
        Advance(guest, TimeSpan.FromMilliseconds(1));
        var second = ProbeDevice.AnswerAll(device, guest.Reporter);
        Assert.Equal(2, second.Count);
        Assert.Equal(16L << 10, Status(guest.Zones[0]).ReportedPages); // 4 blocks per report, two reports per pass, two passes
    }

    [Fact]
    public void R13_pass_without_requests_ends_Idle()
    {
        var (guest, device) = Registered();
        var passes = DrainPasses(guest, device);
        // 16 blocks, 8 per pass; the third pass finds only reported blocks and requests nothing.
        Assert.Equal(2, passes);
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);
        Assert.Equal(16384, Status(guest.Zones[0]).ReportedPages);
        Advance(guest, Delay);
        device.ExpectNoMsg(TimeSpan.FromMilliseconds(150));
    }

    [Fact]
    public void R14_zone_serves_allocations_and_frees_while_a_batch_is_at_the_device()
    {
        var (guest, device) = Registered();
        var zone = guest.Zones[0];
        Advance(guest, Delay);
        var report = device.ExpectMsg<ReportPages>();
        var before = Status(zone);
        Assert.Equal(4 * 1024, before.IsolatedPages);

        var block = AllocateBlock(zone, 0);
        var freed = FreeBlock(zone, block);
        Assert.Equal(block, freed.Block);
        // R4: the isolated blocks were not touched.
        Assert.Equal(4 * 1024, Status(zone).IsolatedPages);
        // R14: one batch at the device at a time.
        device.ExpectNoMsg(TimeSpan.FromMilliseconds(150));
        guest.Reporter.Tell(ReportCompleted.Ok(report.ReportId), device.Ref);
        device.ExpectMsg<ReportPages>();
        AssertInvariants(guest);
    }

    [Fact]
    public void R16_report_hands_the_device_one_entry_per_block_with_the_last_marked_end()
    {
        var (guest, device) = Registered();
        Advance(guest, Delay);
        var report = device.ExpectMsg<ReportPages>();
        var entries = report.Pages.Entries;
        Assert.Equal(4, entries.Length);
        Assert.All(entries, e => Assert.Equal(4L << 20, e.Length));
        Assert.All(entries, e => Assert.Equal(0, e.Address % (4L << 20)));
        Assert.Equal(4, entries.Select(e => e.Address).Distinct().Count());
        Assert.Equal([false, false, false, true], entries.Select(e => e.IsEnd).ToArray());
    }

    [Fact]
    public void R11_R12_failed_report_returns_blocks_unflagged_and_stops_the_pass()
    {
        var (guest, device) = Registered();
        var zone = guest.Zones[0];
        Advance(guest, Delay);
        var report = device.ExpectMsg<ReportPages>();
        device.Reply(ReportCompleted.Failed(report.ReportId, ReportErrors.Invalid, "test"));
        device.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        var status = Status(zone);
        Assert.Equal(0, status.ReportedPages);
        Assert.Equal(0, status.IsolatedPages);
        Assert.Equal(16384, status.FreePages);
        // A failure alone requests nothing: the reporter is Idle.
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);
        Assert.Equal(1, Reporter(guest).FailedReports);
        AssertInvariants(guest);
    }

    [Fact]
    public void R7_zone_below_the_gate_is_skipped_and_the_next_zone_is_reported()
    {
        // Zone A: 4096 pages, gate 32 + 2048 = 2080, free 2000: skipped. Zone B: 16384 free: reported.
        var a = SmallZone("A", startPfn: 0, pages: 4096, allocatedPages: 2096);
        var b = SmallZone("B", startPfn: 4096, pages: 16384);
        var guest = StartGuest([a, b], Cap4);
        var device = CreateTestProbe();
        Register(guest, device.Ref);
        Advance(guest, Delay);
        var reports = ProbeDevice.AnswerAll(device, guest.Reporter);
        Assert.Equal(2, reports.Count);
        Assert.All(reports.SelectMany(r => r.Pages.Entries), e => Assert.True(e.Pfn >= 4096));
        Assert.Equal(0, Status(guest.Zones[0]).ReportedPages);
    }
}
