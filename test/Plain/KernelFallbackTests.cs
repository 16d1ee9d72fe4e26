using PageReportingActors.Allocator;
using PageReportingActors.Memory;
using Xunit;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Tests.Plain;

/// <summary>
/// The guest around reporting, where a zone follows a kernel: boot pageblocks all Movable, an
/// allocation that falls back to another migratetype (R1) searching from the largest order down and
/// taking over the pageblock, and a merged block going on the freeing page's list (R2).
/// </summary>
public class KernelFallbackTests
{
    public static TheoryData<string> Kernels => new() { "6.1", "6.12" };

    // high 0: no page stays on a per-CPU list, and a refill takes one page, so each call is one buddy operation.
    private static ZoneFreeArea Zone(string kernel, long pages, long freePages = -1) =>
        new(new ZoneSpec("Z", 0, pages, freePages < 0 ? pages : freePages, new Watermarks(0, 0, 0), 0,
            new ZoneKernelSpec(KernelProfile.Parse(kernel), 1, new PerCpuSizing(1, 0, 0, 0))));

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Boot_pageblocks_are_all_Movable_including_the_kernels_own_memory(string kernel)
    {
        var zone = Zone(kernel, 4096, freePages: 1024);
        for (long pfn = 0; pfn < 4096; pfn += PageblockPages)
            Assert.Equal(Migratetype.Movable, zone.PageblockTypeOf(pfn));
        // Without a kernel the model keeps its old layout: the allocated part is Unmovable.
        var old = new ZoneFreeArea(new ZoneSpec("Z", 0, 4096, 1024, new Watermarks(0, 0, 0)));
        Assert.Equal(Migratetype.Unmovable, old.PageblockTypeOf(0));
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void R1_a_fallback_takes_the_largest_block_of_another_type_and_its_pageblocks(string kernel)
    {
        var zone = Zone(kernel, 2048);
        // Split the first order-10 block: Movable blocks of orders 0..9 remain there, one order-10 block at 1024.
        Assert.Equal(0, zone.Allocate(0, Migratetype.Movable).Block.Pfn);

        var taken = zone.Allocate(0, Migratetype.Unmovable);
        Assert.True(taken.Succeeded);
        Assert.Equal(1024, taken.Block.Pfn); // not the order-0 Movable block at 1
        Assert.Equal(Migratetype.Unmovable, zone.PageblockTypeOf(1024));
        Assert.Equal(Migratetype.Unmovable, zone.PageblockTypeOf(1536));
        // The rest of the split block sits on the Unmovable lists, halves at the heads (R1).
        Assert.Equal([1536L], zone.ListBlocks(9, Migratetype.Unmovable));
        Assert.Equal([1025L], zone.ListBlocks(0, Migratetype.Unmovable));
        Assert.Equal([1L], zone.ListBlocks(0, Migratetype.Movable));
        Assert.Null(zone.CheckInvariants());

        // The model without a kernel takes the smallest fallback block and changes no pageblock.
        var old = new ZoneFreeArea(new ZoneSpec("Z", 0, 2048, 2048, new Watermarks(0, 0, 0)));
        old.Allocate(0, Migratetype.Movable);
        Assert.Equal(1, old.Allocate(0, Migratetype.Unmovable).Block.Pfn);
    }

    /// <summary>1024 pages; pageblock 1 ends up with <paramref name="used"/> Movable pages allocated and the rest free.</summary>
    private static ZoneFreeArea PartlyUsedPageblock(string kernel, int used)
    {
        var zone = Zone(kernel, 1024);
        for (var i = 0; i < PageblockPages + used; i++)
            Assert.True(zone.Allocate(0, Migratetype.Movable).Succeeded);
        return zone;
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void R1_a_fallback_claims_a_pageblock_that_is_at_least_half_free(string kernel)
    {
        var zone = PartlyUsedPageblock(kernel, used: 100); // 412 of 512 free
        var taken = zone.Allocate(0, Migratetype.Unmovable);
        Assert.True(taken.Succeeded);
        Assert.InRange(taken.Block.Pfn, 512, 1023);
        Assert.Equal(Migratetype.Unmovable, zone.PageblockTypeOf(512));
        for (var order = 0; order <= MaxOrder; order++)
            Assert.Equal(0, zone.ListLength(order, Migratetype.Movable));
        Assert.Equal(411, Enumerable.Range(0, OrderCount).Sum(o => zone.ListLength(o, Migratetype.Unmovable) << o));
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R1_612_a_fallback_into_a_mostly_used_pageblock_takes_one_block_and_leaves_the_pageblock()
    {
        var zone = PartlyUsedPageblock("6.12", used: 300); // 212 free: under half
        var smallest = Enumerable.Range(0, OrderCount).First(o => zone.ListLength(o, Migratetype.Movable) > 0);
        var head = zone.ListBlocks(smallest, Migratetype.Movable).First();
        var taken = zone.Allocate(0, Migratetype.Unmovable);
        Assert.Equal(head, taken.Block.Pfn); // the smallest Movable block, split on the Movable lists
        Assert.Equal(Migratetype.Movable, zone.PageblockTypeOf(512));
        for (var order = 0; order <= MaxOrder; order++)
            Assert.Equal(0, zone.ListLength(order, Migratetype.Unmovable));
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R1_61_a_fallback_into_a_mostly_used_pageblock_moves_its_free_blocks_but_not_the_pageblock()
    {
        var zone = PartlyUsedPageblock("6.1", used: 300);
        var taken = zone.Allocate(0, Migratetype.Unmovable);
        Assert.InRange(taken.Block.Pfn, 512, 1023);
        Assert.Equal(Migratetype.Movable, zone.PageblockTypeOf(512));
        // 6.1 moves every free block of the pageblock to the Unmovable lists even when it does not claim it.
        Assert.Equal(211, Enumerable.Range(0, OrderCount).Sum(o => zone.ListLength(o, Migratetype.Unmovable) << o));
        Assert.Null(zone.CheckInvariants());
    }

    [Theory]
    [InlineData("6.1", Migratetype.Movable)]
    [InlineData("6.12", Migratetype.Unmovable)]
    public void R2_a_merged_block_goes_on_the_list_of_the_freeing_pages_type(string kernel, Migratetype firstPageblockAfter)
    {
        var zone = Zone(kernel, 1024);
        var a = zone.Allocate(9, Migratetype.Movable).Block;
        var b = zone.Allocate(9, Migratetype.Movable).Block;
        Assert.Equal((0L, 512L), (a.Pfn, b.Pfn));
        zone.SetPageblockType(512, Migratetype.Unmovable);
        Assert.True(zone.Free(a.Pfn, 9).Succeeded);
        var last = zone.Free(b.Pfn, 9); // an Unmovable page merges with the Movable buddy below it
        Assert.Equal(10, last.HighestMergedOrder);
        Assert.Equal([0L], zone.ListBlocks(10, Migratetype.Unmovable));
        Assert.Empty(zone.ListBlocks(10, Migratetype.Movable));
        // 6.12 gives the absorbed buddy's pageblock the freeing type; 6.1 leaves it.
        Assert.Equal(firstPageblockAfter, zone.PageblockTypeOf(0));
        Assert.Null(zone.CheckInvariants());

        // The model without a kernel keeps the merged block on its head pageblock's list.
        var old = new ZoneFreeArea(new ZoneSpec("Z", 0, 1024, 1024, new Watermarks(0, 0, 0)));
        old.Allocate(9); old.Allocate(9);
        old.SetPageblockType(512, Migratetype.Unmovable);
        old.Free(0, 9); old.Free(512, 9);
        Assert.Equal([0L], old.ListBlocks(10, Migratetype.Movable));
    }
}
