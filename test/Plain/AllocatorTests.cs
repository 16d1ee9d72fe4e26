using PageReportingActors.Allocator;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using Xunit;
using static PageReportingActors.Tests.Plain.PlainZoneKit;

namespace PageReportingActors.Tests.Plain;

/// <summary>The buddy allocator on its own: R1-R4 and R15, and how it refuses bad input.</summary>
public class AllocatorTests
{
    // ---- R1 ----

    [Fact]
    public void R1_allocation_takes_head_of_smallest_order_list_and_splits_halves_to_heads()
    {
        var zone = AllFree(4096);
        Assert.Equal(new long[] { 0, 1024, 2048, 3072 }, List(zone, 10));

        var first = zone.Allocate(0);

        Assert.True(first.Succeeded);
        Assert.Equal(new Block(0, 0), first.Block);
        // pfn 0's order-10 block was split: one half per order 0..9, each alone on its list.
        for (var order = 0; order <= 9; order++)
            Assert.Equal(new[] { 1L << order }, List(zone, order));
        Assert.Equal(new long[] { 1024, 2048, 3072 }, List(zone, 10));
        Assert.Equal(4095, zone.FreePages);
        Assert.Equal(1, zone.AllocatedPages);

        // Order 0 has a block now: its head is taken without a split.
        Assert.Equal(new Block(1, 0), zone.Allocate(0).Block);
        Assert.Empty(List(zone, 0));
        // Order 0 is empty: the smallest order with a block is 1 (pfn 2); pfn 3 goes back on order 0.
        Assert.Equal(new Block(2, 0), zone.Allocate(0).Block);
        Assert.Equal(new long[] { 3 }, List(zone, 0));
        Assert.Empty(List(zone, 1));
        // An order-10 request skips every smaller list and takes the head of order 10.
        Assert.Equal(new Block(1024, 10), zone.Allocate(10).Block);
        Assert.Equal(new long[] { 2048, 3072 }, List(zone, 10));
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R1_split_half_goes_in_front_of_a_block_already_on_its_list()
    {
        // The only list a split half can find non-empty is one of another pageblock's type:
        // pageblocks 3 and 7 are HighAtomic, so the upper halves of blocks 1024 and 3072 land there.
        var zone = AllFree(4096);
        zone.SetPageblockType(1536, Migratetype.HighAtomic);
        zone.SetPageblockType(3584, Migratetype.HighAtomic);
        Assert.Equal(new Block(0, 10), zone.Allocate(10).Block);
        Assert.Equal(new Block(1024, 10), zone.Allocate(10).Block);
        Assert.Equal(new Block(2048, 10), zone.Allocate(10).Block);
        Assert.Equal(new Block(3072, 9), zone.Allocate(9).Block);
        Assert.Equal(new long[] { 3584 }, List(zone, 9, Migratetype.HighAtomic));
        Assert.Equal(new Block(1024, 10), zone.Free(1024, 10).Merged);

        Assert.Equal(new Block(1024, 9), zone.Allocate(9).Block);

        Assert.Equal(new long[] { 1536, 3584 }, List(zone, 9, Migratetype.HighAtomic));
        Assert.Equal(new Block(1536, 9), zone.Allocate(9, Migratetype.HighAtomic).Block);
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R1_allocation_prefers_requested_migratetype_over_a_smaller_block_of_another_type()
    {
        // One free block per order: 1 (o0) .. 256 (o8) in Unmovable pageblock 0, 512 (o9) and 1024.. (o10) Movable.
        var zone = new ZoneFreeArea(new ZoneSpec("Z", 0, 4096, 4095, NoWatermarks));
        Assert.Equal(Migratetype.Unmovable, zone.PageblockTypeOf(0));
        for (var order = 0; order <= 8; order++)
            Assert.Equal(new[] { 1L << order }, List(zone, order, Migratetype.Unmovable));
        Assert.Equal(new long[] { 512 }, List(zone, 9));

        Assert.Equal(new Block(512, 0), zone.Allocate(0, Migratetype.Movable).Block);
        for (var order = 0; order <= 8; order++)
            Assert.Equal(new[] { 512 + (1L << order) }, List(zone, order, Migratetype.Movable));

        Assert.Equal(new Block(1, 0), zone.Allocate(0, Migratetype.Unmovable).Block);
        Assert.Equal(new Block(8, 3), zone.Allocate(3, Migratetype.Unmovable).Block);
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R1_allocation_falls_back_to_other_types_when_the_requested_one_has_nothing()
    {
        var zone = AllFree(4096);
        zone.SetPageblockType(2048, Migratetype.Reclaimable);
        Assert.Equal(new long[] { 2048 }, List(zone, 10, Migratetype.Reclaimable));
        Assert.Equal(new long[] { 0, 1024, 3072 }, List(zone, 10));

        // Unmovable has nothing; Reclaimable is its first fallback, before Movable.
        Assert.Equal(new Block(2048, 0), zone.Allocate(0, Migratetype.Unmovable).Block);
        // Halves go to the lists of their own pageblocks: 2049..2304 Reclaimable, 2560 (pageblock 5) Movable.
        Assert.Equal(new long[] { 2304 }, List(zone, 8, Migratetype.Reclaimable));
        Assert.Equal(new long[] { 2560 }, List(zone, 9));
        Assert.Empty(List(zone, 9, Migratetype.Reclaimable));

        // HighAtomic and Cma fall back to Movable first, smallest order first.
        Assert.Equal(new Block(2560, 0), zone.Allocate(0, Migratetype.HighAtomic).Block);
        Assert.Equal(new Block(2561, 0), zone.Allocate(0, Migratetype.Cma).Block);
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R1_split_halves_of_a_reported_block_are_not_flagged_reported()
    {
        var zone = AllFree(4096);
        foreach (var pfn in new long[] { 0, 1024, 2048, 3072 })
            Flag(zone, pfn, 10);
        Assert.Equal(new long[] { 0, 1024, 2048, 3072 }, List(zone, 10));
        Assert.Equal(4096, zone.ReportedPages);

        Assert.Equal(new Block(0, 0), zone.Allocate(0).Block);

        for (var order = 0; order <= 9; order++)
            Assert.False(zone.IsReported(1L << order), $"half at pfn {1L << order} is flagged");
        Assert.True(zone.IsReported(1024));
        Assert.Equal(3072, zone.ReportedPages);
        Assert.Null(zone.CheckInvariants());
    }

    // ---- R2 ----

    [Fact]
    public void R2_freeing_merges_buddies_step_by_step_up_to_order_10()
    {
        var zone = AllFree(2048);
        for (var pfn = 0L; pfn < 2048; pfn++)
            Assert.Equal(new Block(pfn, 0), zone.Allocate(0).Block);
        Assert.Equal(0, zone.FreePages);

        Assert.Equal(new Block(0, 0), zone.Free(0, 0).Merged);
        Assert.Equal(new Block(0, 1), zone.Free(1, 0).Merged);
        Assert.Equal(new Block(2, 0), zone.Free(2, 0).Merged);
        Assert.Equal(new Block(0, 2), zone.Free(3, 0).Merged);
        for (var pfn = 4L; pfn < 1023; pfn++)
            Assert.True(zone.Free(pfn, 0).Succeeded);
        Assert.Equal(new Block(0, 10), zone.Free(1023, 0).Merged);
        for (var pfn = 1024L; pfn < 2048; pfn++)
            Assert.True(zone.Free(pfn, 0).Succeeded);

        // Orders stop at 10: the two order-10 buddies 0 and 1024 stay apart.
        Assert.Equal(2, zone.NrFree(10));
        for (var order = 0; order < 10; order++)
            Assert.Equal(0, zone.NrFree(order));
        Assert.True(zone.IsFreeBlock(0, 10));
        Assert.True(zone.IsFreeBlock(1024, 10));
        Assert.Equal(2048, zone.FreePages);
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R2_absorbed_reported_buddy_loses_its_flag_and_merged_block_is_not_reported()
    {
        var zone = AllFree(4096);
        Assert.Equal(new Block(0, 9), zone.Allocate(9).Block);
        Flag(zone, 512, 9);
        Assert.True(zone.IsReported(512));
        Assert.Equal(512, zone.ReportedPages);

        var freed = zone.Free(0, 9);

        Assert.Equal(new Block(0, 10), freed.Merged);
        Assert.False(zone.IsReported(0));
        Assert.False(zone.IsReported(512));
        Assert.Equal(0, zone.ReportedPages);
        Assert.Empty(List(zone, 9));
        Assert.Null(zone.CheckInvariants());
    }

    [Theory]
    [InlineData(Migratetype.HighAtomic, false)]
    [InlineData(Migratetype.Cma, false)]
    [InlineData(Migratetype.Isolate, false)]
    [InlineData(Migratetype.Unmovable, true)]
    [InlineData(Migratetype.Reclaimable, true)]
    [InlineData(Migratetype.Movable, true)]
    public void R2_order_9_buddies_merge_across_pageblocks_only_if_both_types_are_mergeable(Migratetype upper, bool merges)
    {
        var zone = AllFree(1024);
        Assert.Equal(new Block(0, 9), zone.Allocate(9).Block);
        Assert.Equal(new Block(512, 9), zone.Allocate(9).Block);
        zone.SetPageblockType(512, upper);
        Assert.Equal(new Block(512, 9), zone.Free(512, 9).Merged);

        var merged = zone.Free(0, 9).Merged;

        if (merges)
        {
            Assert.Equal(new Block(0, 10), merged);
            Assert.Equal(new long[] { 0 }, List(zone, 10));
            Assert.Equal(0, zone.NrFree(9));
        }
        else
        {
            Assert.Equal(new Block(0, 9), merged);
            Assert.Equal(new long[] { 0 }, List(zone, 9));
            Assert.Equal(new long[] { 512 }, List(zone, 9, upper));
            Assert.Equal(2, zone.NrFree(9));
            Assert.Equal(0, zone.NrFree(10));
        }
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R2_order_8_buddies_in_a_highatomic_pageblock_merge_but_stop_at_the_movable_neighbour()
    {
        var zone = AllFree(1024);
        zone.SetPageblockType(0, Migratetype.HighAtomic);
        Assert.Equal(new long[] { 0 }, List(zone, 10, Migratetype.HighAtomic));
        Assert.Equal(new Block(0, 8), zone.Allocate(8, Migratetype.HighAtomic).Block);
        Assert.Equal(new long[] { 512 }, List(zone, 9));
        Assert.Equal(new Block(256, 8), zone.Allocate(8, Migratetype.HighAtomic).Block);

        Assert.Equal(new Block(0, 8), zone.Free(0, 8).Merged);
        Assert.Equal(new Block(0, 9), zone.Free(256, 8).Merged);

        Assert.Equal(new long[] { 0 }, List(zone, 9, Migratetype.HighAtomic));
        Assert.Equal(new long[] { 512 }, List(zone, 9));
        Assert.Null(zone.CheckInvariants());
    }

    // ---- R3 ----

    [Fact]
    public void R3_freed_block_goes_to_the_head_of_its_list()
    {
        var zone = AllFree(4096);
        Assert.Equal(new Block(0, 10), zone.Allocate(10).Block);
        Assert.Equal(new Block(1024, 10), zone.Allocate(10).Block);
        Assert.Equal(new long[] { 2048, 3072 }, List(zone, 10));

        zone.Free(1024, 10);
        Assert.Equal(new long[] { 1024, 2048, 3072 }, List(zone, 10));
        zone.Free(0, 10);
        Assert.Equal(new long[] { 0, 1024, 2048, 3072 }, List(zone, 10));
    }

    [Fact]
    public void R3_block_returning_from_a_report_goes_to_the_tail()
    {
        var zone = AllFree(4096);
        Assert.True(zone.TryIsolate(1024, 10));
        Assert.Equal(new long[] { 0, 2048, 3072 }, List(zone, 10));

        Assert.False(zone.PutBack(1024, 10, flagReported: false));

        Assert.Equal(new long[] { 0, 2048, 3072, 1024 }, List(zone, 10));
        Assert.False(zone.IsReported(1024));
    }

    [Fact]
    public void R3_free_goes_to_the_tail_when_the_next_higher_buddy_is_free()
    {
        var zone = AllFree(1024);
        for (var pfn = 0L; pfn < 1024; pfn++)
            Assert.Equal(new Block(pfn, 0), zone.Allocate(0).Block);
        zone.Free(2, 0);
        Assert.Equal(new Block(2, 1), zone.Free(3, 0).Merged);
        Assert.Equal(new Block(100, 0), zone.Free(100, 0).Merged);
        Assert.Equal(new long[] { 100 }, List(zone, 0));

        // Buddy 1 is allocated, but {0,1}'s buddy {2,3} is a free order-1 block: a merge is likely.
        Assert.Equal(new Block(0, 0), zone.Free(0, 0).Merged);
        Assert.Equal(new long[] { 100, 0 }, List(zone, 0));

        // 200's higher buddy {202,203} is allocated: head.
        zone.Free(200, 0);
        Assert.Equal(new long[] { 200, 100, 0 }, List(zone, 0));
        Assert.Null(zone.CheckInvariants());
    }

    // ---- R4 ----

    [Fact]
    public void R4_isolated_block_is_on_no_list_and_not_counted_in_free_pages()
    {
        var zone = AllFree(4096);

        Assert.True(zone.TryIsolate(1024, 10));

        Assert.Equal(new long[] { 0, 2048, 3072 }, List(zone, 10));
        Assert.Equal(3, zone.NrFree(10));
        Assert.Equal(3072, zone.FreePages);
        Assert.Equal(1024, zone.IsolatedPages);
        Assert.True(zone.IsIsolatedBlock(1024, 10));
        Assert.False(zone.IsFreeBlock(1024, 10));
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R4_isolated_block_cannot_be_allocated()
    {
        var zone = AllFree(2048);
        Assert.True(zone.TryIsolate(0, 10));

        Assert.Equal(new Block(1024, 10), zone.Allocate(10).Block);
        var before = Snapshot(zone);
        Assert.Equal(AllocationFailureReason.OutOfMemory, zone.Allocate(0).Failure);
        Assert.Equal(AllocationFailureReason.OutOfMemory, zone.Allocate(10).Failure);
        Assert.Equal(before, Snapshot(zone));
        Assert.True(zone.IsIsolatedBlock(0, 10));
    }

    [Fact]
    public void R4_isolated_block_does_not_merge_until_it_comes_back()
    {
        var zone = AllFree(4096);
        Assert.Equal(new Block(0, 9), zone.Allocate(9).Block);
        Assert.True(zone.TryIsolate(512, 9));

        Assert.Equal(new Block(0, 9), zone.Free(0, 9).Merged);
        Assert.Equal(new long[] { 0 }, List(zone, 9));
        Assert.True(zone.IsIsolatedBlock(512, 9));
        Assert.Null(zone.CheckInvariants());

        // Back from the device it merges, so it is not flagged (R11) and the merged block is on order 10.
        Assert.False(zone.PutBack(512, 9, flagReported: true));
        Assert.True(zone.IsFreeBlock(0, 10));
        Assert.False(zone.IsReported(0));
        Assert.Equal(0, zone.NrFree(9));
        Assert.Equal(new long[] { 1024, 2048, 3072, 0 }, List(zone, 10));
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R4_isolation_is_refused_without_change_when_free_pages_are_not_above_min_plus_block()
    {
        // min 2048: isolating an order-10 block needs more than 2048 + 1024 = 3072 free pages.
        var zone = AllFree(4096, watermarks: new Watermarks(2048, 2048, 2048));
        Assert.True(zone.TryIsolate(0, 10));
        Assert.Equal(3072, zone.FreePages);
        var before = Snapshot(zone);

        Assert.False(zone.TryIsolate(1024, 10));

        Assert.Equal(before, Snapshot(zone));
    }

    // ---- R15 ----

    [Theory]
    [InlineData(Migratetype.Unmovable)]
    [InlineData(Migratetype.Reclaimable)]
    public void R15_isolating_order_9_block_turns_its_pageblock_movable_and_it_returns_on_the_movable_list(Migratetype type)
    {
        var zone = AllFree(2048);
        Assert.Equal(new Block(0, 9), zone.Allocate(9).Block);
        zone.SetPageblockType(512, type);
        Assert.Equal(new long[] { 512 }, List(zone, 9, type));

        Assert.True(zone.TryIsolate(512, 9));
        Assert.Equal(Migratetype.Movable, zone.PageblockTypeOf(512));
        Assert.True(zone.PutBack(512, 9, flagReported: true));

        Assert.Equal(new long[] { 512 }, List(zone, 9));
        Assert.Empty(List(zone, 9, type));
        Assert.Equal(Migratetype.Movable, zone.PageblockTypeOf(0));
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R15_isolating_order_8_half_pageblock_turns_it_movable_and_moves_its_free_neighbours()
    {
        var zone = AllFree(1024);
        zone.SetPageblockType(0, Migratetype.Unmovable);
        Assert.Equal(new Block(0, 7), zone.Allocate(7, Migratetype.Unmovable).Block);
        Assert.Equal(new long[] { 256 }, List(zone, 8, Migratetype.Unmovable));
        Assert.Equal(new long[] { 128 }, List(zone, 7, Migratetype.Unmovable));

        Assert.True(zone.TryIsolate(256, 8));

        Assert.Equal(Migratetype.Movable, zone.PageblockTypeOf(0));
        // The free order-7 block in the same pageblock follows the pageblock to the Movable list.
        Assert.Equal(new long[] { 128 }, List(zone, 7));
        Assert.Empty(List(zone, 7, Migratetype.Unmovable));
        Assert.True(zone.PutBack(256, 8, flagReported: true));
        Assert.Equal(new long[] { 256 }, List(zone, 8));
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R15_isolating_order_10_block_turns_both_pageblocks_movable()
    {
        var zone = AllFree(2048);
        zone.SetPageblockType(1024, Migratetype.Unmovable);
        zone.SetPageblockType(1536, Migratetype.Reclaimable);
        Assert.Equal(new long[] { 1024 }, List(zone, 10, Migratetype.Unmovable));

        Assert.True(zone.TryIsolate(1024, 10));
        zone.PutBack(1024, 10, flagReported: true);

        Assert.Equal(Migratetype.Movable, zone.PageblockTypeOf(1024));
        Assert.Equal(Migratetype.Movable, zone.PageblockTypeOf(1536));
        Assert.Equal(new long[] { 0, 1024 }, List(zone, 10));
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R15_order_7_block_and_highatomic_pageblocks_keep_their_type()
    {
        var zone = AllFree(2048);
        zone.SetPageblockType(0, Migratetype.Unmovable);
        zone.SetPageblockType(1024, Migratetype.HighAtomic);
        Assert.Equal(new Block(0, 7), zone.Allocate(7, Migratetype.Unmovable).Block);

        Assert.True(zone.TryIsolate(128, 7));
        Assert.True(zone.TryIsolate(1024, 10));

        Assert.Equal(Migratetype.Unmovable, zone.PageblockTypeOf(0));
        Assert.Equal(Migratetype.HighAtomic, zone.PageblockTypeOf(1024));
        zone.PutBack(128, 7, flagReported: true);
        zone.PutBack(1024, 10, flagReported: true);
        Assert.Equal(new long[] { 128 }, List(zone, 7, Migratetype.Unmovable));
        Assert.Equal(new long[] { 1024 }, List(zone, 10, Migratetype.HighAtomic));
        Assert.Null(zone.CheckInvariants());
    }
}
