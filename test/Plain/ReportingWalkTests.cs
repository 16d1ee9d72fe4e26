using PageReportingActors.Allocator;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using Xunit;
using static PageReportingActors.Tests.Plain.PlainZoneKit;

namespace PageReportingActors.Tests.Plain;

/// <summary>One pass over one zone (R7-R12, R14, R15), driven step by step without Akka.</summary>
public class ReportingWalkTests
{
    private static readonly PassSettings Order9 = new(9, 32);

    // ---- R7 ----

    [Theory]
    [InlineData(16484, false)] // 100 + (32 << 9) = 16484: not above
    [InlineData(16485, true)]
    public void R7_zone_is_walked_only_when_free_pages_exceed_low_plus_capacity_shifted_by_order(long freePages, bool open)
    {
        // min 50 and high 150 bracket low 100, so a gate on the wrong watermark shows.
        var zone = new ZoneFreeArea(new ZoneSpec("Z", 0, 32768, freePages, new Watermarks(50, 100, 150)));
        Assert.Equal(open, ZoneReportingWalk.GateIsOpen(zone, Order9));
        var before = Snapshot(zone);

        var (reports, walk, last) = RunWalk(zone, Order9);

        Assert.Equal(open ? WalkEnd.Completed : WalkEnd.GateClosed, last.End);
        if (open)
        {
            // The 16 order-10 blocks 16384..31744 go out as one leftover.
            var report = Assert.Single(reports);
            Assert.True(report.IsLeftover);
            Assert.Equal(Blocks(10, Pfns(16384, 16)), report.Batch);
        }
        else
        {
            Assert.Empty(reports);
            Assert.Equal(0, walk.ReportsMade);
            Assert.Equal(before, Snapshot(zone));
        }
        // At order 10 the same zone needs more than 100 + 32768.
        Assert.False(ZoneReportingWalk.GateIsOpen(zone, new PassSettings(10, 32)));
    }

    [Fact]
    public void R7_a_closed_zone_is_skipped_without_error_and_the_pass_goes_on_to_the_next_zone()
    {
        var closed = new ZoneFreeArea(new ZoneSpec("A", 0, 32768, 16384, NoWatermarks));
        var open = Reportable(20, startPfn: 32768, name: "B");
        var before = Snapshot(closed);

        var outcome = PassRunner.RunPass([closed, open], Order9, (_, _) => true);

        Assert.False(outcome.Failed);
        Assert.Equal(2, outcome.ZonesVisited);
        var report = Assert.Single(outcome.Reports);
        Assert.Equal("B", report.Zone);
        Assert.Equal(Blocks(10, Pfns(32768, 20)), report.Blocks);
        Assert.Equal(before, Snapshot(closed));
    }

    // ---- R8, R10, R15 ----

    /// <summary>
    /// Free blocks 33 (o0) .. 48 (o4), 64 (o6), 128 (o7), 256 (o8) in Unmovable pageblock 0; 512 (o9) Movable;
    /// order 10: Movable 1024, 5120, 7168; Reclaimable 4096; HighAtomic 2048; Cma 3072; Isolate 6144.
    /// </summary>
    private static ZoneFreeArea EveryKindOfList()
    {
        var zone = new ZoneFreeArea(new ZoneSpec("Z", 0, 8192, 8159, NoWatermarks));
        foreach (var (pfn, type) in new[] { (2048L, Migratetype.HighAtomic), (3072L, Migratetype.Cma), (4096L, Migratetype.Reclaimable), (6144L, Migratetype.Isolate) })
        {
            zone.SetPageblockType(pfn, type);
            zone.SetPageblockType(pfn + 512, type);
        }
        Assert.Equal(new long[] { 1024, 5120, 7168 }, List(zone, 10));
        Assert.Equal(new long[] { 256 }, List(zone, 8, Migratetype.Unmovable));
        Assert.Equal(new long[] { 48 }, List(zone, 4, Migratetype.Unmovable));
        return zone;
    }

    [Fact]
    public void R8_walk_visits_orders_from_reporting_order_up_and_types_in_enum_order_into_one_shared_batch()
    {
        var zone = EveryKindOfList();

        var (reports, _, last) = RunWalk(zone, new PassSettings(6, 32));

        Assert.Equal(WalkEnd.Completed, last.End);
        var report = Assert.Single(reports);
        Assert.True(report.IsLeftover);
        Block[] expected =
        [
            new(64, 6), new(128, 7), new(256, 8), new(512, 9),
            new(1024, 10), new(5120, 10), new(7168, 10), // Movable
            new(4096, 10), // Reclaimable
            new(2048, 10), // HighAtomic
            new(3072, 10), // Cma; the Isolate list (6144) is never visited
        ];
        Assert.Equal(expected, report.Batch);
        foreach (var block in expected)
            Assert.True(zone.IsReported(block.Pfn), $"{block} not flagged");
        Assert.False(zone.IsReported(6144));
        foreach (var pfn in new long[] { 33, 34, 36, 40, 48 })
            Assert.False(zone.IsReported(pfn), $"pfn {pfn} is below the reporting order but flagged");
        Assert.Equal(expected.Sum(b => b.Pages), zone.ReportedPages);
    }

    [Fact]
    public void R15_blocks_reported_from_unmovable_and_reclaimable_pageblocks_come_back_on_the_movable_lists()
    {
        var zone = EveryKindOfList();

        RunWalk(zone, new PassSettings(6, 32));

        // Isolating 256 (o8) made pageblock 0 Movable, with every free block in it; 4096 (o10) made 8 and 9 Movable.
        Assert.Equal(Migratetype.Movable, zone.PageblockTypeOf(0));
        Assert.Equal(Migratetype.Movable, zone.PageblockTypeOf(4096));
        Assert.Equal(Migratetype.Movable, zone.PageblockTypeOf(4608));
        Assert.Equal(Migratetype.HighAtomic, zone.PageblockTypeOf(2048));
        Assert.Equal(new long[] { 4096, 7168, 5120, 1024 }, List(zone, 10)); // drained last-isolated first
        Assert.Empty(List(zone, 10, Migratetype.Reclaimable));
        Assert.Equal(new long[] { 64 }, List(zone, 6));
        Assert.Equal(new long[] { 256 }, List(zone, 8));
        Assert.Equal(new long[] { 48 }, List(zone, 4));
        for (var order = 0; order <= 8; order++)
            Assert.Empty(List(zone, order, Migratetype.Unmovable));
    }

    /// <summary>20 free order-9 blocks (buddies allocated) and 44 order-10 blocks, all Movable.</summary>
    private static ZoneFreeArea TwentyOrder9AndFortyFourOrder10()
    {
        var zone = AllFree(65536);
        for (var i = 0; i < 40; i++)
            Assert.Equal(new Block(i * 512L, 9), zone.Allocate(9).Block);
        for (var i = 0; i < 20; i++)
            Assert.Equal(new Block(i * 1024L, 9), zone.Free(i * 1024L, 9).Merged);
        Assert.Equal(20, zone.NrFree(9));
        Assert.Equal(44, zone.NrFree(10));
        return zone;
    }

    [Fact]
    public void R8_a_full_batch_mixes_orders_when_the_waiting_block_is_on_a_later_list()
    {
        var zone = TwentyOrder9AndFortyFourOrder10();

        var (reports, walk, _) = RunWalk(zone, Order9);

        Assert.Equal(2, reports.Count);
        Assert.False(reports[0].IsLeftover);
        // Freed blocks went to the head, so the order-9 list runs from 19456 down to 0.
        Assert.Equal(Blocks(9, Pfns(19456, 20, -1024)).Concat(Blocks(10, Pfns(20480, 12))), reports[0].Batch);
        Assert.True(reports[1].IsLeftover);
        Assert.Equal(Blocks(10, Pfns(32768, 32)), reports[1].Batch);
        Assert.False(walk.RequestAnotherPass);
        Assert.Equal(20 * 512 + 44 * 1024, zone.ReportedPages);
    }

    [Fact]
    public void R10_partial_batch_goes_out_once_after_the_last_list_and_not_at_all_when_empty()
    {
        var zone = Reportable(20);
        zone.SetPageblockType(19456, Migratetype.Cma);
        Assert.Equal(new Block(0, 9), zone.Allocate(9).Block);

        var (reports, _, last) = RunWalk(zone, Order9);

        // One leftover holding order 9 (Movable), order 10 Movable and order 10 Cma: sent after the Cma list.
        var report = Assert.Single(reports);
        Assert.True(report.IsLeftover);
        Assert.Equal(Blocks(9, 512).Concat(Blocks(10, Pfns(1024, 18))).Concat(Blocks(10, 19456)), report.Batch);
        Assert.Equal(WalkEnd.Completed, last.End);

        // Nothing unreported is left: the next walk finds nothing to send.
        var again = new ZoneReportingWalk(zone, Order9);
        var step = again.Advance();
        Assert.Equal(WalkStepKind.Finished, step.Kind);
        Assert.Equal(WalkEnd.Completed, step.End);
        Assert.Equal(0, again.ReportsMade);
    }

    // ---- R9 ----

    [Theory]
    [InlineData(0, 32, 0)]
    [InlineData(1, 32, 1)]
    [InlineData(512, 32, 1)]
    [InlineData(513, 32, 2)]
    [InlineData(1024, 32, 2)]
    [InlineData(1025, 32, 3)]
    [InlineData(64, 4, 1)]
    [InlineData(65, 4, 2)]
    public void R9_budget_is_ceiling_of_nr_free_over_capacity_times_16(long nrFree, int capacity, long budget)
    {
        Assert.Equal(budget, ZoneReportingWalk.BudgetFor(nrFree, capacity));
    }

    [Fact]
    public void R9_spent_budget_requests_another_pass_and_leaves_the_waiting_block_at_the_head()
    {
        // 98 Movable order-10 blocks (budget 1 of 100 in the order) and 2 Reclaimable ones after them.
        var zone = AllFree(102400);
        foreach (var pfn in new long[] { 100352, 100864, 101376, 101888 })
            zone.SetPageblockType(pfn, Migratetype.Reclaimable);
        Assert.Equal(98, zone.ListLength(10, Migratetype.Movable));

        var (reports, walk, last) = RunWalk(zone, new PassSettings(10, 32));

        Assert.True(walk.RequestAnotherPass);
        Assert.Equal(WalkEnd.Completed, last.End);
        Assert.Equal(3, reports.Count);
        Assert.Equal(Blocks(10, Pfns(0, 32)), reports[0].Batch);
        Assert.Equal(Blocks(10, Pfns(32768, 32)), reports[1].Batch);
        Assert.False(reports[0].IsLeftover || reports[1].IsLeftover);
        // The budget was per list: the Reclaimable list still went out, as the leftover.
        Assert.True(reports[2].IsLeftover);
        Assert.Equal(Blocks(10, 100352, 101376), reports[2].Batch);
        // Block 64 (pfn 65536) found the budget spent: it leads the list, the reported ones behind it,
        // each batch drained last-isolated first.
        Assert.Equal(
            Pfns(65536, 34).Concat(Pfns(0, 32).Reverse()).Concat(Pfns(32768, 32).Reverse()).Concat(new long[] { 101376, 100352 }),
            List(zone, 10));
        Assert.False(zone.IsReported(65536));
    }

    [Fact]
    public void R9_spent_budget_rotates_the_waiting_block_to_the_head_past_reported_ones()
    {
        // Order-5 blocks 0, 64, 128, 192, 256 free (buddies allocated); capacity 2, so the budget is ceil(5 / 32) = 1.
        var zone = AllFree(1024);
        for (var i = 0; i < 32; i++)
            Assert.Equal(new Block(i * 32L, 5), zone.Allocate(5).Block);
        foreach (var pfn in new long[] { 0, 64, 128, 192, 256 })
            zone.Free(pfn, 5);
        Assert.Equal(new long[] { 256, 192, 128, 64, 0 }, List(zone, 5));
        var walk = new ZoneReportingWalk(zone, new PassSettings(5, 2));
        Assert.Equal(Blocks(5, 256, 192), walk.Advance().Batch);
        var second = walk.Complete(success: true).Next;
        Assert.Equal(Blocks(5, 128, 64), second.Batch);
        Assert.Equal(new long[] { 0, 192, 256 }, List(zone, 5));

        // R14 while the second report is out: the waiting head 0 is allocated, and 576 is freed to the tail
        // behind the reported 192 and 256 (its higher buddy, 512 order 6, is free: R3).
        Assert.Equal(new Block(0, 5), zone.Allocate(5).Block);
        zone.Free(512, 5);
        Assert.Equal(new Block(512, 6), zone.Free(544, 5).Merged);
        zone.Free(576, 5);
        Assert.Equal(new long[] { 192, 256, 576 }, List(zone, 5));

        var third = walk.Complete(success: true).Next;

        // 576 found the budget spent: it now leads, and the reported blocks before it went to the back.
        Assert.True(walk.RequestAnotherPass);
        Assert.Equal(new long[] { 576, 64, 128, 192, 256 }, List(zone, 5));
        Assert.False(zone.IsReported(576));
        // The order-6 list has its own budget and goes out as the leftover.
        Assert.True(third.IsLeftover);
        Assert.Equal(Blocks(6, 512), third.Batch);
        walk.Complete(success: true);
        Assert.Null(zone.CheckInvariants());
    }

    [Theory]
    [InlineData(32, false)]
    [InlineData(33, true)]
    public void R9_full_batch_is_reported_only_when_one_more_unreported_block_waits(int blocks, bool fullReportFirst)
    {
        var zone = Reportable(blocks);

        var (reports, _, _) = RunWalk(zone, Order9);

        if (!fullReportFirst)
        {
            // Exactly 32: the list ends with the batch full, so they go out as the leftover.
            var report = Assert.Single(reports);
            Assert.True(report.IsLeftover);
            Assert.Equal(Blocks(10, Pfns(0, 32)), report.Batch);
        }
        else
        {
            Assert.Equal(2, reports.Count);
            Assert.False(reports[0].IsLeftover);
            Assert.Equal(Blocks(10, Pfns(0, 32)), reports[0].Batch);
            Assert.True(reports[1].IsLeftover);
            Assert.Equal(Blocks(10, 32768), reports[1].Batch);
        }
        Assert.Equal(blocks * 1024L, zone.ReportedPages);
    }

    [Fact]
    public void R9_rotation_puts_the_waiting_block_at_the_head_and_drained_blocks_at_the_tail()
    {
        var zone = AllFree(40 * 1024);
        Flag(zone, 0, 10);
        Flag(zone, 1024, 10);
        zone.RotateToFront(0, 10, Migratetype.Movable);
        Assert.Equal(new long[] { 0, 1024 }.Concat(Pfns(2048, 38)), List(zone, 10));

        var walk = new ZoneReportingWalk(zone, Order9);
        var step = walk.Advance();

        // Reported 0 and 1024 are skipped; 2..33 fill the batch; block 34 waits and leads the list.
        Assert.Equal(Blocks(10, Pfns(2048, 32)), step.Batch);
        Assert.False(step.IsLeftover);
        Assert.Equal(Pfns(34816, 6).Concat(new long[] { 0, 1024 }), List(zone, 10));

        var (flagged, next) = walk.Complete(success: true);

        Assert.Equal(32, flagged);
        Assert.Equal(Blocks(10, Pfns(34816, 6)), next.Batch);
        Assert.True(next.IsLeftover);
        Assert.Equal(new long[] { 0, 1024 }.Concat(Pfns(2048, 32).Reverse()), List(zone, 10));
        walk.Complete(success: true);
        Assert.Equal(new long[] { 0, 1024 }.Concat(Pfns(2048, 32).Reverse()).Concat(Pfns(34816, 6).Reverse()), List(zone, 10));
        Assert.Equal(40 * 1024, zone.ReportedPages);
    }

    [Fact]
    public void R9_isolation_refused_near_min_watermark_stops_the_list_without_error()
    {
        // min 14000: an order-10 block is isolated only while free pages exceed 15024, which allows two.
        // low 14335: the gate at order 5 needs more than 15359, and 16384 are free.
        var zone = AllFree(16384, watermarks: new Watermarks(14000, 14335, 14335));
        Flag(zone, 14336, 10);
        Flag(zone, 15360, 10);
        zone.RotateToFront(14336, 10, Migratetype.Movable);

        var (reports, walk, last) = RunWalk(zone, new PassSettings(5, 32));

        Assert.Equal(WalkEnd.Completed, last.End);
        Assert.False(walk.RequestAnotherPass);
        var report = Assert.Single(reports);
        Assert.True(report.IsLeftover);
        Assert.Equal(Blocks(10, 0, 1024), report.Batch);
        // Block 2 was refused and rotated to the head ahead of the reported 14 and 15; 1 and then 0 were drained behind.
        Assert.Equal(Pfns(2048, 12).Concat(new long[] { 14336, 15360, 1024, 0 }), List(zone, 10));
        Assert.Equal(4 * 1024, zone.ReportedPages);
    }

    [Theory]
    [InlineData(17, 0, 17, false)]
    [InlineData(64, 1, 32, false)]
    [InlineData(65, 2, 0, true)]
    [InlineData(100, 2, 0, true)]
    [InlineData(513, 3, 0, true)]
    [InlineData(1100, 4, 0, true)]
    public void R9_a_list_sends_at_most_budget_plus_one_full_reports_per_pass(int blocks, int fullReports, int leftover, bool requestAgain)
    {
        var zone = Reportable(blocks);
        var budget = ZoneReportingWalk.BudgetFor(blocks, 32);

        var outcome = PassRunner.RunPass([zone], Order9, (_, _) => true);

        var full = outcome.Reports.Where(r => !r.IsLeftover).ToList();
        Assert.Equal(fullReports, full.Count);
        Assert.True(full.Count <= budget + 1);
        Assert.All(full, r => Assert.Equal(32, r.Blocks.Count));
        Assert.Equal(leftover, outcome.Reports.Where(r => r.IsLeftover).Sum(r => r.Blocks.Count));
        Assert.Equal(requestAgain, outcome.RequestAnotherPass);
        Assert.Equal((fullReports * 32L + leftover) * 1024, zone.ReportedPages);
    }

    [Fact]
    public void R9_an_idle_zone_of_100_blocks_is_reported_in_two_passes()
    {
        var zone = AllFree(100 * 1024);

        var first = PassRunner.RunPass([zone], Order9, (_, _) => true);
        var second = PassRunner.RunPass([zone], Order9, (_, _) => true);
        var third = PassRunner.RunPass([zone], Order9, (_, _) => true);

        Assert.Equal(64 * 4L << 20, first.ReportedBytes);
        Assert.True(first.RequestAnotherPass);
        Assert.Equal(new[] { 32, 4 }, second.Reports.Select(r => r.Blocks.Count));
        Assert.Equal(36 * 4L << 20, second.ReportedBytes);
        Assert.False(second.RequestAnotherPass);
        Assert.Empty(third.Reports);
        Assert.Equal(100 * 1024, zone.ReportedPages);
    }

    // ---- R11 ----

    [Fact]
    public void R11_successful_report_flags_the_blocks_and_returns_them_behind_the_ones_left_on_the_list()
    {
        var zone = AllFree(20 * 1024);
        Flag(zone, 0, 10);
        Flag(zone, 1024, 10);
        Assert.Equal(Pfns(2048, 18).Concat(new long[] { 0, 1024 }), List(zone, 10));

        var walk = new ZoneReportingWalk(zone, Order9);
        var step = walk.Advance();
        Assert.Equal(Blocks(10, Pfns(2048, 18)), step.Batch);
        Assert.Equal(new long[] { 0, 1024 }, List(zone, 10));

        var (flagged, next) = walk.Complete(success: true);

        Assert.Equal(18, flagged);
        Assert.Equal(WalkStepKind.Finished, next.Kind);
        Assert.Equal(new long[] { 0, 1024 }.Concat(Pfns(2048, 18).Reverse()), List(zone, 10));
        Assert.Equal(20 * 1024, zone.ReportedPages);
        Assert.Equal(0, zone.IsolatedPages);
    }

    [Fact]
    public void R11_block_that_merges_on_its_way_back_is_not_flagged()
    {
        var zone = Reportable(32);
        Assert.Equal(new Block(0, 9), zone.Allocate(9).Block);
        var walk = new ZoneReportingWalk(zone, Order9);
        var step = walk.Advance();
        Assert.True(step.IsLeftover);
        Assert.Equal(Blocks(9, 512).Concat(Blocks(10, Pfns(1024, 31))), step.Batch);

        // R14: its buddy is freed while the report is out; it cannot merge with an isolated block yet.
        Assert.Equal(new Block(0, 9), zone.Free(0, 9).Merged);
        var (flagged, next) = walk.Complete(success: true);

        Assert.Equal(31, flagged);
        Assert.Equal(WalkEnd.Completed, next.End);
        Assert.True(zone.IsFreeBlock(0, 10));
        Assert.False(zone.IsReported(0));
        Assert.Equal(31 * 1024, zone.ReportedPages);
        // 512 was first in the batch, so it went back last: the merged block 0 is at the tail.
        Assert.Equal(Pfns(1024, 31).Reverse().Concat(new long[] { 0 }), List(zone, 10));
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R11_failed_report_flags_nothing_and_keeps_earlier_flags()
    {
        var zone = AllFree(40 * 1024);
        Flag(zone, 0, 10);
        var walk = new ZoneReportingWalk(zone, Order9);
        var step = walk.Advance();
        Assert.Equal(Blocks(10, Pfns(1024, 32)), step.Batch);

        var (flagged, next) = walk.Complete(success: false);

        Assert.Equal(0, flagged);
        Assert.Equal(WalkEnd.ReportFailed, next.End);
        Assert.True(zone.IsReported(0));
        Assert.Equal(1024, zone.ReportedPages);
        Assert.Equal(0, zone.IsolatedPages);
        // 33 waited and was rotated to the head; the failed batch is back at the tail, unflagged.
        Assert.Equal(Pfns(33792, 7).Concat(new long[] { 0 }).Concat(Pfns(1024, 32).Reverse()), List(zone, 10));
        Assert.All(Pfns(1024, 32), pfn => Assert.False(zone.IsReported(pfn)));
        Assert.Null(zone.CheckInvariants());
    }

    // ---- R12 ----

    [Fact]
    public void R12_failed_report_stops_the_walk_no_more_lists_and_no_leftover()
    {
        // 33 free order-9 blocks then 31 order-10 blocks: the first full report is from order 9.
        var zone = AllFree(65536);
        for (var i = 0; i < 66; i++)
            zone.Allocate(9);
        for (var i = 0; i < 33; i++)
            zone.Free(i * 1024L, 9);
        var walk = new ZoneReportingWalk(zone, Order9);
        var step = walk.Advance();
        Assert.False(step.IsLeftover);
        Assert.All(step.Batch, b => Assert.Equal(9, b.Order));

        var (_, next) = walk.Complete(success: false);

        Assert.Equal(WalkEnd.ReportFailed, next.End);
        Assert.Equal(1, walk.ReportsMade);
        Assert.False(walk.RequestAnotherPass);
        Assert.Equal(0, zone.ReportedPages);
        Assert.Equal(0, zone.IsolatedPages);
        Assert.Equal(WalkStepKind.Finished, walk.Advance().Kind);
        Assert.Equal(1, walk.ReportsMade);
    }

    private static ZoneFreeArea[] ThreeZones(int blocksInFirst) =>
    [
        Reportable(blocksInFirst, 0, name: "A"),
        Reportable(20, (blocksInFirst + 1) * 1024L, name: "B"),
        Reportable(20, (blocksInFirst + 22) * 1024L, name: "C"),
    ];

    [Fact]
    public void R12_failed_report_stops_the_pass_before_the_other_zones_and_does_not_request_another_pass()
    {
        var zones = ThreeZones(40);
        var untouched = zones.Skip(1).Select(Snapshot).ToList();

        var outcome = PassRunner.RunPass(zones, Order9, (_, _) => false);

        Assert.True(outcome.Failed);
        Assert.False(outcome.RequestAnotherPass);
        Assert.Equal(1, outcome.ZonesVisited);
        var report = Assert.Single(outcome.Reports);
        Assert.Equal(("A", 32, false, false), (report.Zone, report.Blocks.Count, report.IsLeftover, report.Succeeded));
        Assert.Equal(0, zones[0].ReportedPages);
        Assert.Equal(0, zones[0].IsolatedPages);
        Assert.Equal(untouched, zones.Skip(1).Select(Snapshot));
    }

    [Fact]
    public void R12_failed_leftover_in_the_second_zone_keeps_the_first_zone_reported_and_skips_the_third()
    {
        var zones = ThreeZones(40);
        var third = Snapshot(zones[2]);

        var outcome = PassRunner.RunPass(zones, Order9, (zone, _) => zone != "B");

        Assert.True(outcome.Failed);
        Assert.False(outcome.RequestAnotherPass);
        Assert.Equal(2, outcome.ZonesVisited);
        Assert.Equal(
            new[] { ("A", 32, false, true), ("A", 8, true, true), ("B", 20, true, false) },
            outcome.Reports.Select(r => (r.Zone, r.Blocks.Count, r.IsLeftover, r.Succeeded)));
        Assert.Equal(40 * 4L << 20, outcome.ReportedBytes);
        Assert.Equal(40 * 1024, zones[0].ReportedPages);
        Assert.Equal(0, zones[1].ReportedPages);
        Assert.Equal(third, Snapshot(zones[2]));
    }

    [Fact]
    public void R12_a_spent_budget_in_an_earlier_zone_still_requests_another_pass_after_a_failure()
    {
        var zones = ThreeZones(100);

        var outcome = PassRunner.RunPass(zones, Order9, (zone, _) => zone != "B");

        Assert.True(outcome.Failed);
        Assert.True(outcome.RequestAnotherPass);
        Assert.Equal(2, outcome.ZonesVisited);
        Assert.Equal(3, outcome.Reports.Count);
    }

    // ---- R14 ----

    [Fact]
    public void R14_zone_serves_allocations_and_frees_while_a_batch_is_out_without_touching_it()
    {
        var zone = AllFree(40 * 1024);
        var walk = new ZoneReportingWalk(zone, Order9);
        var step = walk.Advance();
        Assert.Equal(Blocks(10, Pfns(0, 32)), step.Batch);

        // Only the 8 blocks left on the list can be handed out.
        var taken = new List<long>();
        AllocationResult result;
        while ((result = zone.Allocate(10)).Succeeded)
            taken.Add(result.Block.Pfn);
        Assert.Equal(Pfns(32768, 8), taken);
        Assert.Equal(AllocationFailureReason.OutOfMemory, zone.Allocate(0).Failure);
        Assert.All(step.Batch, b => Assert.True(zone.IsIsolatedBlock(b.Pfn, b.Order)));
        Assert.Equal(new Block(35840, 10), zone.Free(35840, 10).Merged);

        var (flagged, next) = walk.Complete(success: true);

        // The walk restarts from the head, where the freed block now is, and sends it as the leftover.
        Assert.Equal(32, flagged);
        Assert.True(next.IsLeftover);
        Assert.Equal(Blocks(10, 35840), next.Batch);
        walk.Complete(success: true);
        Assert.Equal(33 * 1024, zone.ReportedPages);
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R14_abandoning_a_walk_returns_its_batch_unflagged_and_ends_it()
    {
        var zone = AllFree(40 * 1024);
        var walk = new ZoneReportingWalk(zone, Order9);
        walk.Advance();
        Assert.Equal(32 * 1024, zone.IsolatedPages);

        walk.Abandon();

        Assert.Equal(0, zone.IsolatedPages);
        Assert.Equal(0, zone.ReportedPages);
        Assert.False(walk.IsAwaitingReport);
        Assert.Empty(walk.OutstandingBatch);
        Assert.Equal(WalkStepKind.Finished, walk.Advance().Kind);
        Assert.Equal(40, zone.NrFree(10));
        Assert.Null(zone.CheckInvariants());
    }
}
