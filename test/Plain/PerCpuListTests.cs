using PageReportingActors.Allocator;
using PageReportingActors.Memory;
using Xunit;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Tests.Plain;

/// <summary>
/// R21, R22: per-CPU page lists, sized and run as each kernel does, held against the zoneinfo the
/// reference guests printed (test/Data: the 6.12 consoles, the 6.1 zoneinfo).
/// </summary>
public class PerCpuListTests
{
    private const string Console612 = "qemu612-1g-free512-console.txt";
    private const string ConsoleHalf612 = "qemu612-1g-half256-o5-console.txt";
    private const string Zoneinfo61 = "qemu-1g-free512-zoneinfo.txt";
    private const int HogPages = 512 << (20 - PageShift);

    /// <summary>A zone laid out as the reference scenarios lay DMA32 out, following <paramref name="kernel"/>.</summary>
    private static ZoneFreeArea ReferenceDma32(ZoneinfoZone z, KernelProfile kernel, long initialCount, int cpus = 1) =>
        new(new ZoneSpec("DMA32", 4096, 258016, z.Free, new Watermarks(z.Min, z.Low, z.High), 0,
            ZoneKernelSpec.Sized(kernel, cpus, z.Managed, z.Low, initialCount)));

    private static ZoneFreeArea SmallZone(KernelProfile kernel, PerCpuSizing sizing, long pages = 1 << 14, int cpus = 1) =>
        new(new ZoneSpec("Z", 0, pages, pages, new Watermarks(0, 0, 0), 0, new ZoneKernelSpec(kernel, cpus, sizing)));

    // ---- Sizing ----

    [Theory]
    [InlineData(Console612, "zoneinfo-full")]
    [InlineData(Console612, "zoneinfo-after")]
    [InlineData(ConsoleHalf612, "zoneinfo-full")]
    public void R21_612_sizes_batch_and_high_as_the_guest_printed(string console, string mark)
    {
        var dma32 = ZoneinfoText.Zone(ZoneinfoText.DataFile(console), "DMA32", mark);
        var sizing = KernelProfile.Linux6_12.SizePerCpuLists(dma32.Managed, dma32.Low, cpus: 1);
        Assert.Equal(dma32.PcpBatch, sizing.Batch);   // 63
        Assert.Equal(dma32.PcpHigh, sizing.HighMin);  // 13858: the low watermark on one CPU
        Assert.Equal(dma32.Managed / 8, sizing.HighMax);

        var dma = ZoneinfoText.Zone(ZoneinfoText.DataFile(console), "DMA", mark);
        Assert.Equal(dma.PcpBatch, KernelProfile.Linux6_12.SizePerCpuLists(dma.Managed, dma.Low, 1).Batch); // 1
    }

    [Fact]
    public void R21_61_keeps_high_at_the_low_watermark_split_among_cpus_and_does_not_tune_it()
    {
        var dma32 = ZoneinfoText.Zone(ZoneinfoText.DataFile(Zoneinfo61), "DMA32");
        var one = KernelProfile.Linux6_1.SizePerCpuLists(dma32.Managed, dma32.Low, 1);
        Assert.Equal(new PerCpuSizing(63, 13856, 13856, 13856), one);
        var four = KernelProfile.Linux6_1.SizePerCpuLists(dma32.Managed, dma32.Low, 4);
        Assert.Equal(13856 / 4, four.High);
        // At least four batches, however small the watermark.
        Assert.Equal(4 * 63, KernelProfile.Linux6_1.SizePerCpuLists(dma32.Managed, 10, 1).High);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(3840, 1)]        // the reference DMA zone
    [InlineData(241591, 63)]     // the reference DMA32 zone (6.1)
    [InlineData(243352, 63)]     // the reference DMA32 zone (6.12)
    [InlineData(4194304, 63)]    // 16 GiB: the 1 MiB cap
    [InlineData(65536, 15)]      // 256 MiB: 64/4 = 16 -> 24 -> 16 - 1
    public void R21_batch_is_a_power_of_two_less_one_from_a_thousandth_of_the_zone(long managed, int batch) =>
        Assert.Equal(batch, PerCpuSizing.BatchFor(managed));

    [Fact]
    public void R23_61_takes_the_device_order_over_a_configured_one_612_keeps_the_configured_one()
    {
        Assert.Equal(9, KernelProfile.Linux6_1.ResolveReportingOrder(configured: 5, deviceOrder: null));
        Assert.Equal(7, KernelProfile.Linux6_1.ResolveReportingOrder(configured: 5, deviceOrder: 7));
        Assert.Equal(5, KernelProfile.Linux6_12.ResolveReportingOrder(configured: 5, deviceOrder: 7));
        Assert.Equal(7, KernelProfile.Linux6_12.ResolveReportingOrder(configured: null, deviceOrder: 7));
        Assert.Equal(9, KernelProfile.Linux6_12.ResolveReportingOrder(configured: null, deviceOrder: 11));
        Assert.Equal(KernelProfile.Linux6_12, KernelProfile.Parse("6.12"));
        var error = Assert.Throws<ArgumentException>(() => KernelProfile.Parse("5.4"));
        Assert.Contains("\"5.4\"", error.Message);
    }

    // ---- The reference workload ----

    [Fact]
    public void R21_612_after_freeing_512MiB_the_list_holds_what_the_guest_printed()
    {
        var before = ZoneinfoText.Zone(ZoneinfoText.DataFile(Console612), "DMA32", "zoneinfo-full");
        var after = ZoneinfoText.Zone(ZoneinfoText.DataFile(Console612), "DMA32", "zoneinfo-after");
        var zone = ReferenceDma32(before, KernelProfile.Linux6_12, before.PcpCount!.Value);
        Assert.Equal(before.PcpCount, zone.PerCpuState(0).Count);
        Assert.Null(zone.CheckInvariants());

        // The program touches 512 MiB, holds it 5 s (one vmstat tick a second), unmaps it, idles 25 s.
        var hog = new long[HogPages];
        for (var i = 0; i < hog.Length; i++)
        {
            var result = zone.Allocate(0);
            Assert.True(result.Succeeded, $"allocation {i}: {result.Failure}");
            hog[i] = result.Block.Pfn;
        }
        var state = zone.PerCpuState(0);
        Assert.Equal(state.HighMax, state.High); // refills raised high to its ceiling
        for (var s = 0; s < 5; s++) zone.DecayPerCpuHigh(0);
        foreach (var pfn in hog) Assert.True(zone.Free(pfn, 0).Succeeded);
        for (var s = 0; s < 25; s++) zone.DecayPerCpuHigh(0);
        Assert.Null(zone.CheckInvariants());

        var end = zone.PerCpuState(0);
        var band = (long)end.Batch << KernelProfile.BatchScaleMax;
        Assert.Equal(2016, band);
        Assert.Equal(after.PcpHigh, end.High);                  // 13858
        Assert.InRange(end.Count, after.PcpHigh!.Value - band, after.PcpHigh.Value);
        Assert.InRange(after.PcpCount!.Value, end.High - band, end.High); // 13088 is in the same band
        // The buddy lists hold what zoneinfo's "pages free" printed, within the same band (225203).
        Assert.InRange(zone.FreePages, after.Free - band, after.Free + band);
        // Every page is somewhere (I1): buddy lists + per-CPU list + the rest as before.
        Assert.Equal(before.Free + before.PcpCount.Value, zone.FreePages + zone.PerCpuPages);
    }

    // ---- Frees (R21) ----

    [Fact]
    public void R21_a_freed_page_goes_to_the_head_of_the_list_does_not_merge_notify_or_count_as_free()
    {
        var zone = SmallZone(KernelProfile.Linux6_1, new PerCpuSizing(4, 64, 64, 64));
        var pages = Enumerable.Range(0, 3).Select(_ => zone.Allocate(0).Block.Pfn).ToArray();
        var freeBefore = zone.FreePages;
        var result = zone.Free(pages[1], 0);
        Assert.True(result.OnPerCpuList);
        Assert.Equal(-1, result.HighestMergedOrder);
        Assert.Equal(freeBefore, zone.FreePages);
        Assert.Equal(zone.PerCpuState(0).Count, zone.PerCpuPages);
        Assert.Equal(pages[1], zone.PerCpuListBlocks(0, 0, Migratetype.Movable).First());
        Assert.Equal(FreeRejectionReason.AlreadyFree, zone.Free(pages[1], 0).Rejection);
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R21_61_at_high_the_oldest_pages_go_back_first_and_each_run_of_frees_doubles_the_flush()
    {
        // batch 4, high 64: flushes of 4, 8, 16, 32... clamped to high - batch = 60.
        var zone = SmallZone(KernelProfile.Linux6_1, new PerCpuSizing(4, 64, 64, 64));
        var pages = new List<long>();
        for (var i = 0; i < 400; i++) pages.Add(zone.Allocate(0).Block.Pfn);
        // The first refill took 4 pages (batch); 400 allocations left (4 - 400 % 4) % 4 = 0 on the list.
        var counts = new List<long>();
        var firstOut = new List<long>();
        foreach (var pfn in pages)
        {
            var before = zone.PerCpuState(0).Count;
            var oldest = zone.PerCpuListBlocks(0, 0, Migratetype.Movable).LastOrDefault(-1);
            var result = zone.Free(pfn, 0);
            var now = zone.PerCpuState(0).Count;
            if (now < before + 1)
            {
                counts.Add(before + 1 - now);
                firstOut.Add(oldest);
                Assert.DoesNotContain(oldest, zone.PerCpuListBlocks(0, 0, Migratetype.Movable));
                Assert.True(result.HighestMergedOrder >= 0);
            }
        }
        // 400 frees: the 64th reaches high; flushes at frees 64, 68, 76, 92, 124, 184, ..., 364.
        Assert.Equal(new long[] { 4, 8, 16, 32, 60, 60, 60, 60, 60 }, counts);
        Assert.Equal(4 + 36, zone.PerCpuState(0).Count); // a batch left by the last flush, and 36 since
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R21_612_the_flush_is_the_run_of_recent_frees_within_one_batch_and_high_less_a_batch()
    {
        var zone = SmallZone(KernelProfile.Linux6_12, new PerCpuSizing(4, 64, 64, 64));
        var pages = new List<long>();
        for (var i = 0; i < 400; i++) pages.Add(zone.Allocate(0).Block.Pfn);
        var counts = new List<long>();
        foreach (var pfn in pages)
        {
            var before = zone.PerCpuState(0).Count;
            zone.Free(pfn, 0);
            var now = zone.PerCpuState(0).Count;
            if (now < before + 1) counts.Add(before + 1 - now);
        }
        // The refills (4, 8, 16, 32, then 60 = high - count - batch) left 20 pages on the list, so the
        // first flush comes after 44 frees and returns those 44 (free_count, the frees since the last
        // allocation); later flushes are clamped to high - batch = 60.
        Assert.Equal(44, counts[0]);
        Assert.All(counts.Skip(1), c => Assert.Equal(60, c));
        Assert.Equal(20 + pages.Count - counts.Sum(), zone.PerCpuState(0).Count);
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R21_612_the_tick_lowers_high_by_an_eighth_and_returns_pages_above_it_in_batches()
    {
        var zone = SmallZone(KernelProfile.Linux6_12, new PerCpuSizing(4, 32, 200, 32), pages: 1 << 12);
        var pages = new List<long>();
        for (var i = 0; i < 600; i++) pages.Add(zone.Allocate(0).Block.Pfn);
        Assert.Equal(200, zone.PerCpuState(0).High); // refills raised it to highMax
        foreach (var pfn in pages.Take(190)) zone.Free(pfn, 0);
        var count = zone.PerCpuState(0).Count;
        Assert.True(count > 32, $"count {count}");

        var tick = zone.DecayPerCpuHigh(0);
        var s = zone.PerCpuState(0);
        Assert.Equal(Math.Max(Math.Max(count - 4 * 32, 200 - 200 / 8), 32), s.High);
        Assert.Equal(Math.Min(count, s.High), s.Count);
        Assert.True(tick.MoreToDo);
        for (var i = 0; i < 30; i++) zone.DecayPerCpuHigh(0);
        Assert.Equal(32, zone.PerCpuState(0).High);
        Assert.Equal(32, zone.PerCpuState(0).Count);
        Assert.False(zone.DecayPerCpuHigh(0).MoreToDo);

        // 6.1 has no such tick: the list stays as it is.
        var old = SmallZone(KernelProfile.Linux6_1, new PerCpuSizing(4, 32, 32, 32));
        var kept = Enumerable.Range(0, 20).Select(_ => old.Allocate(0).Block.Pfn).ToArray();
        foreach (var pfn in kept) old.Free(pfn, 0);
        var before = old.PerCpuState(0);
        Assert.False(old.DecayPerCpuHigh(0).MoreToDo);
        Assert.Equal(before, old.PerCpuState(0));
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R21_a_flushed_page_merges_and_reports_its_merged_order_so_the_zone_can_notify()
    {
        // high 0: the zone keeps no per-CPU pages; each free goes straight back (one page at a time).
        var zone = SmallZone(KernelProfile.Linux6_12, new PerCpuSizing(1, 0, 0, 0), pages: 1024);
        var pages = Enumerable.Range(0, 1024).Select(_ => zone.Allocate(0).Block.Pfn).ToArray();
        Assert.Equal(0, zone.FreePages);
        FreeResult last = default;
        foreach (var pfn in pages) last = zone.Free(pfn, 0);
        Assert.Equal(10, last.HighestMergedOrder);
        Assert.Equal(0, zone.PerCpuPages);
        Assert.Equal(1024, zone.FreePages);
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R21_orders_4_to_8_and_10_skip_the_list_orders_1_to_3_and_9_use_it()
    {
        var zone = SmallZone(KernelProfile.Linux6_1, new PerCpuSizing(4, 4096, 4096, 4096));
        foreach (var order in new[] { 1, 3, 9 })
        {
            var block = zone.Allocate(order).Block;
            Assert.True(zone.Free(block.Pfn, order).OnPerCpuList, $"order {order}");
        }
        foreach (var order in new[] { 4, 8, 10 })
        {
            var block = zone.Allocate(order).Block;
            Assert.False(zone.Free(block.Pfn, order).OnPerCpuList, $"order {order}");
        }
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R21_a_zone_without_kernel_settings_keeps_no_per_cpu_lists()
    {
        var zone = new ZoneFreeArea(new ZoneSpec("Z", 0, 4096, 4096, new Watermarks(0, 0, 0)));
        Assert.False(zone.HasPerCpuLists);
        var block = zone.Allocate(0).Block;
        var result = zone.Free(block.Pfn, 0);
        Assert.False(result.OnPerCpuList);
        Assert.Equal(10, result.HighestMergedOrder);
        Assert.Equal(4096, zone.FreePages);
    }

    // ---- Allocations (R22) ----

    [Fact]
    public void R22_61_an_empty_list_is_refilled_with_batch_pages_in_the_order_they_came_out()
    {
        var zone = SmallZone(KernelProfile.Linux6_1, new PerCpuSizing(7, 28, 28, 28), pages: 1024);
        var first = zone.Allocate(0).Block.Pfn;
        // R1 splits the order-10 block: pages 0, 1, 2, ... come out in pfn order; the first goes out.
        Assert.Equal(0, first);
        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6 }, zone.PerCpuListBlocks(0, 0, Migratetype.Movable));
        Assert.Equal(6, zone.PerCpuState(0).Count);
        Assert.Equal(1024 - 7, zone.FreePages);
        // Order 2: batch >> order = 1, at least 2.
        zone.Allocate(2);
        Assert.Single(zone.PerCpuListBlocks(0, 2, Migratetype.Movable));
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R22_612_a_run_of_refills_doubles_the_refill_and_raises_high()
    {
        var zone = SmallZone(KernelProfile.Linux6_12, new PerCpuSizing(4, 16, 1000, 16), pages: 1 << 12);
        var refills = new List<long>();
        for (var i = 0; i < 500; i++)
        {
            var before = zone.FreePages;
            zone.Allocate(0);
            if (zone.FreePages < before) refills.Add(before - zone.FreePages);
        }
        // 4 << 0, 4 << 1, ... up to 4 << 5 = 128 pages per refill.
        Assert.Equal(new long[] { 4, 8, 16, 32, 64, 128, 128 }, refills.Take(7));
        Assert.True(zone.PerCpuState(0).High > 16);
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R22_each_cpu_has_its_own_list_and_a_bad_cpu_is_refused()
    {
        var zone = SmallZone(KernelProfile.Linux6_12, new PerCpuSizing(4, 64, 64, 64), cpus: 2);
        var a = zone.Allocate(0, cpu: 0).Block;
        var b = zone.Allocate(0, cpu: 1).Block;
        zone.Free(a.Pfn, 0, cpu: 1);
        Assert.Contains(a.Pfn, zone.PerCpuListBlocks(1, 0, Migratetype.Movable));
        Assert.Equal(AllocationFailureReason.InvalidCpu, zone.Allocate(0, cpu: 2).Failure);
        var snapshot = PlainZoneKit.Snapshot(zone);
        Assert.Equal(FreeRejectionReason.InvalidCpu, zone.Free(b.Pfn, 0, cpu: 2).Rejection);
        Assert.Equal(snapshot, PlainZoneKit.Snapshot(zone));
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R22_the_watermark_is_checked_on_the_buddy_lists_before_the_list_is_used()
    {
        var zone = new ZoneFreeArea(new ZoneSpec("Z", 0, 1024, 1024, new Watermarks(1000, 1010, 1020), 0,
            new ZoneKernelSpec(KernelProfile.Linux6_1, 1, new PerCpuSizing(16, 64, 64, 64))));
        Assert.True(zone.Allocate(0, floor: WatermarkLevel.Min).Succeeded); // 1024 - 1 > 1000
        Assert.Equal(15, zone.PerCpuState(0).Count);
        for (var i = 0; i < 8; i++) zone.Allocate(0);
        Assert.Equal(1008, zone.FreePages);
        Assert.Equal(AllocationFailureReason.BelowWatermark, zone.Allocate(0, floor: WatermarkLevel.Low).Failure);
    }

    [Fact]
    public void R21_bad_kernel_settings_are_refused_with_what_is_wrong()
    {
        var bad = new ZoneSpec("Z", 0, 1024, 1000, new Watermarks(0, 0, 0), 0,
            new ZoneKernelSpec(KernelProfile.Linux6_12, 1, new PerCpuSizing(4, 64, 64, 64), InitialPerCpuPages: 25));
        Assert.Contains("per-CPU count 25", ZoneFreeArea.Validate(bad));
        Assert.Contains("cpus 0", ZoneFreeArea.Validate(bad with { Kernel = bad.Kernel! with { InitialPerCpuPages = 0, Cpus = 0 } }));
        Assert.Contains("highMin <= highMax", ZoneFreeArea.Validate(bad with { Kernel = bad.Kernel! with { InitialPerCpuPages = 0, PerCpu = new PerCpuSizing(4, 64, 32, 64) } }));
        Assert.Throws<ArgumentException>(() => new ZoneFreeArea(bad));
    }
}
