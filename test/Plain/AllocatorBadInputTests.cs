using PageReportingActors.Allocator;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using Xunit;
using static PageReportingActors.Tests.Plain.PlainZoneKit;

namespace PageReportingActors.Tests.Plain;

/// <summary>Refused frees and allocations change nothing; unusable zone descriptions are rejected up front.</summary>
public class AllocatorBadInputTests
{
    /// <summary>
    /// pfns 4096..8191: reserved 4096 (o9), kernel-allocated 4608 (o9), allocated 5120 (o0),
    /// free 5121 (o0) .. 5632 (o9) and 6144 (o10), isolated 7168 (o10).
    /// </summary>
    private static ZoneFreeArea MixedZone()
    {
        var zone = new ZoneFreeArea(new ZoneSpec("Z", 4096, 4096, 3072, NoWatermarks, ReservedPages: 512));
        Assert.Equal(new Block(5120, 0), zone.Allocate(0).Block);
        Assert.True(zone.TryIsolate(7168, 10));
        Assert.Equal(
            "4096/9/Reserved 4608/9/Allocated 5120/0/Allocated 5121/0/Free 5122/1/Free 5124/2/Free 5128/3/Free "
            + "5136/4/Free 5152/5/Free 5184/6/Free 5248/7/Free 5376/8/Free 5632/9/Free 6144/10/Free 7168/10/Isolated",
            string.Join(' ', zone.Blocks().Select(b => $"{b.Block.Pfn}/{b.Block.Order}/{b.Kind}")));
        return zone;
    }

    [Theory]
    [InlineData(5120, -1, FreeRejectionReason.InvalidOrder)]
    [InlineData(5120, 11, FreeRejectionReason.InvalidOrder)]
    [InlineData(0, 0, FreeRejectionReason.OutsideZone)]
    [InlineData(4095, 0, FreeRejectionReason.OutsideZone)]
    [InlineData(8192, 0, FreeRejectionReason.OutsideZone)]
    [InlineData(7680, 10, FreeRejectionReason.OutsideZone)]
    [InlineData(5121, 1, FreeRejectionReason.Misaligned)]
    [InlineData(4608, 10, FreeRejectionReason.Misaligned)]
    [InlineData(4609, 0, FreeRejectionReason.NotAllocated)]
    [InlineData(6145, 0, FreeRejectionReason.NotAllocated)]
    [InlineData(7169, 0, FreeRejectionReason.NotAllocated)]
    [InlineData(5121, 0, FreeRejectionReason.AlreadyFree)]
    [InlineData(6144, 10, FreeRejectionReason.AlreadyFree)]
    [InlineData(7168, 10, FreeRejectionReason.Isolated)]
    [InlineData(4096, 9, FreeRejectionReason.Reserved)]
    [InlineData(4608, 8, FreeRejectionReason.OrderMismatch)]
    [InlineData(5120, 1, FreeRejectionReason.OrderMismatch)]
    public void R2_refused_free_reports_its_reason_and_changes_nothing(long pfn, int order, FreeRejectionReason reason)
    {
        var zone = MixedZone();
        var before = Snapshot(zone);

        Assert.Equal(reason, zone.CheckFree(pfn, order));
        var result = zone.Free(pfn, order);

        Assert.False(result.Succeeded);
        Assert.Equal(reason, result.Rejection);
        Assert.Equal(before, Snapshot(zone));
        Assert.Null(zone.CheckInvariants());
    }

    [Fact]
    public void R2_second_free_of_the_same_block_is_refused_as_already_free()
    {
        var zone = MixedZone();
        Assert.Null(zone.CheckFree(5120, 0));
        Assert.Equal(new Block(5120, 10), zone.Free(5120, 0).Merged);
        var before = Snapshot(zone);

        Assert.Equal(FreeRejectionReason.AlreadyFree, zone.Free(5120, 0).Rejection);

        Assert.Equal(before, Snapshot(zone));
    }

    [Theory]
    [InlineData(-1, Migratetype.Movable, AllocationFailureReason.InvalidOrder)]
    [InlineData(11, Migratetype.Movable, AllocationFailureReason.InvalidOrder)]
    [InlineData(0, Migratetype.Isolate, AllocationFailureReason.InvalidMigratetype)]
    [InlineData(0, (Migratetype)6, AllocationFailureReason.InvalidMigratetype)]
    [InlineData(10, Migratetype.Movable, AllocationFailureReason.OutOfMemory)]
    public void R1_refused_allocation_reports_its_reason_and_changes_nothing(int order, Migratetype type, AllocationFailureReason reason)
    {
        var zone = MixedZone();
        zone.Allocate(10);
        var before = Snapshot(zone);

        var result = zone.Allocate(order, type);

        Assert.False(result.Succeeded);
        Assert.Equal(reason, result.Failure);
        Assert.Equal(before, Snapshot(zone));
    }

    [Fact]
    public void R1_allocation_fails_out_of_memory_when_free_pages_are_only_in_smaller_blocks()
    {
        var zone = AllFree(2048);
        for (var pfn = 0L; pfn < 2048; pfn += 512)
            Assert.Equal(new Block(pfn, 9), zone.Allocate(9).Block);
        zone.Free(0, 9);
        zone.Free(1024, 9);
        Assert.Equal(1024, zone.FreePages);
        var before = Snapshot(zone);

        Assert.Equal(AllocationFailureReason.OutOfMemory, zone.Allocate(10).Failure);

        Assert.Equal(before, Snapshot(zone));
        Assert.Equal(new Block(1024, 9), zone.Allocate(9).Block);
    }

    [Fact]
    public void R1_allocation_never_falls_back_to_isolate_pageblocks()
    {
        var zone = AllFree(1024);
        zone.SetPageblockType(0, Migratetype.Isolate);
        var before = Snapshot(zone);

        foreach (var type in WalkedTypes)
            Assert.Equal(AllocationFailureReason.OutOfMemory, zone.Allocate(0, type).Failure);

        Assert.Equal(before, Snapshot(zone));
        Assert.Equal(1024, zone.FreePages);
    }

    [Theory]
    [InlineData(WatermarkLevel.High, 10, false)] // 3072 - 1024 = 2048, not above high 2048
    [InlineData(WatermarkLevel.High, 9, true)]   // 2560 > 2048
    [InlineData(WatermarkLevel.Low, 10, true)]   // 2048 > low 1500
    [InlineData(WatermarkLevel.Min, 10, true)]
    [InlineData(WatermarkLevel.None, 10, true)]
    public void R1_allocation_below_the_requested_watermark_is_refused_without_change(WatermarkLevel floor, int order, bool succeeds)
    {
        var zone = AllFree(4096, watermarks: new Watermarks(1000, 1500, 2048));
        Assert.Equal(new Block(0, 10), zone.Allocate(10, Migratetype.Movable, WatermarkLevel.High).Block);
        Assert.Equal(3072, zone.FreePages);
        var before = Snapshot(zone);

        var result = zone.Allocate(order, Migratetype.Movable, floor);

        Assert.Equal(succeeds, result.Succeeded);
        if (!succeeds)
        {
            Assert.Equal(AllocationFailureReason.BelowWatermark, result.Failure);
            Assert.Equal(before, Snapshot(zone));
        }
        else
        {
            Assert.Equal(3072 - (1L << order), zone.FreePages);
        }
    }

    [Theory]
    [InlineData("empty name", "name")]
    [InlineData("null name", "name")]
    [InlineData("negative start", "startPfn")]
    [InlineData("no pages", "pages")]
    [InlineData("too many pages", "pages")]
    [InlineData("negative free", "freePages")]
    [InlineData("free above pages", "freePages")]
    [InlineData("negative reserved", "reservedPages")]
    [InlineData("reserved plus free above pages", "reservedPages")]
    [InlineData("no watermarks", "watermarks")]
    [InlineData("negative min", "watermarks")]
    [InlineData("low below min", "watermarks")]
    [InlineData("high below low", "watermarks")]
    public void R1_zone_rejects_an_unusable_spec_naming_the_field(string problem, string field)
    {
        var wm = new Watermarks(10, 20, 30);
        var spec = problem switch
        {
            "empty name" => new ZoneSpec(" ", 0, 1024, 512, wm),
            "null name" => new ZoneSpec(null!, 0, 1024, 512, wm),
            "negative start" => new ZoneSpec("Z", -1, 1024, 512, wm),
            "no pages" => new ZoneSpec("Z", 0, 0, 0, wm),
            "too many pages" => new ZoneSpec("Z", 0, int.MaxValue + 1L, 0, wm),
            "negative free" => new ZoneSpec("Z", 0, 1024, -1, wm),
            "free above pages" => new ZoneSpec("Z", 0, 1024, 1025, wm),
            "negative reserved" => new ZoneSpec("Z", 0, 1024, 512, wm, ReservedPages: -1),
            "reserved plus free above pages" => new ZoneSpec("Z", 0, 1024, 512, wm, ReservedPages: 513),
            "no watermarks" => new ZoneSpec("Z", 0, 1024, 512, null!),
            "negative min" => new ZoneSpec("Z", 0, 1024, 512, new Watermarks(-1, 20, 30)),
            "low below min" => new ZoneSpec("Z", 0, 1024, 512, new Watermarks(10, 5, 30)),
            "high below low" => new ZoneSpec("Z", 0, 1024, 512, new Watermarks(10, 20, 15)),
            _ => throw new ArgumentOutOfRangeException(nameof(problem)),
        };

        var error = Assert.Throws<ArgumentException>(() => new ZoneFreeArea(spec));

        Assert.Contains(field, error.Message, StringComparison.Ordinal);
        Assert.Equal("spec", error.ParamName);
        Assert.Equal(error.Message.Replace(" (Parameter 'spec')", ""), $"zone {spec.Name}: {ZoneFreeArea.Validate(spec)}");
    }

    [Fact]
    public void R1_zone_accepts_the_edges_of_a_valid_spec()
    {
        var zone = new ZoneFreeArea(new ZoneSpec("Z", 0, 1024, 512, new Watermarks(0, 0, 0), ReservedPages: 512));

        Assert.Equal(512, zone.FreePages);
        Assert.Equal(512, zone.ReservedPages);
        Assert.Equal(0, zone.AllocatedPages);
        Assert.Null(zone.CheckInvariants());
    }
}
