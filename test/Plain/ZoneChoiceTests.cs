using PageReportingActors.Allocator;
using PageReportingActors.Guest;
using PageReportingActors.Memory;
using Xunit;

namespace PageReportingActors.Tests.Plain;

/// <summary>Which zone an allocation takes: highest allowed zone first, low then min, with lowmem_reserve.</summary>
public class ZoneChoiceTests
{
    private const string Console612 = "qemu612-1g-free512-console.txt";

    [Fact]
    public void The_default_reserve_is_the_managed_pages_above_divided_by_the_zones_ratio()
    {
        var rows = ZoneChoice.DefaultProtection([3840, 243352, 0, 0, 0]);
        Assert.Equal([0L, 243352 / 256, 243352 / 256, 243352 / 256, 243352 / 256], rows[0]); // 950
        Assert.Equal([0L, 0, 0, 0, 0], rows[1]);
        // A 64 GiB guest: DMA32 keeps Normal's managed pages / 256 against allocations that could use Normal.
        var big = ZoneChoice.DefaultProtection([3840, 700000, 16000000, 0, 0]);
        Assert.Equal(16000000 / 256, big[1][2]);
        Assert.Equal((700000 + 16000000) / 256, big[0][3]);
        Assert.Equal(0, big[2][3]); // Normal's ratio is 32, but nothing above it is managed
    }

    private static (ZoneFreeArea[] Zones, long[][] Protection) Reference(long dma32Free)
    {
        var dma = ZoneinfoText.Zone(ZoneinfoText.DataFile(Console612), "DMA", "zoneinfo-full");
        var dma32 = ZoneinfoText.Zone(ZoneinfoText.DataFile(Console612), "DMA32", "zoneinfo-full");
        var zones = new[]
        {
            new ZoneFreeArea(new ZoneSpec("DMA", 0, 4096, dma.Free, new Watermarks(dma.Min, dma.Low, dma.High))),
            new ZoneFreeArea(new ZoneSpec("DMA32", 4096, 258016, dma32Free, new Watermarks(dma32.Min, dma32.Low, dma32.High))),
        };
        // As the console prints it: protection: (0, 941, 941, 941, 941) and (0, 0, 0, 0, 0).
        return (zones, [[0, 941, 941, 941, 941], [0, 0, 0, 0, 0]]);
    }

    [Fact]
    public void An_allocation_takes_the_highest_zone_while_it_is_above_low()
    {
        var (zones, protection) = Reference(dma32Free: 13858 + 1);
        Assert.Equal((1, WatermarkLevel.Low), ZoneChoice.Choose(zones, protection, ZoneChoice.MovableZoneIndex, 0));
    }

    [Fact]
    public void Below_low_it_takes_DMA_only_above_DMAs_low_plus_its_reserve_else_DMA32_down_to_min()
    {
        var (zones, protection) = Reference(dma32Free: 13858); // not above low
        // DMA: 3808 > 220 + 941, so DMA serves it.
        Assert.Equal((0, WatermarkLevel.Low), ZoneChoice.Choose(zones, protection, ZoneChoice.MovableZoneIndex, 0));

        // Without the reserve DMA would also pass; with a reserve of 3600 it does not, and DMA32 serves above min.
        protection[0] = [0, 3600, 3600, 3600, 3600];
        Assert.Equal((1, WatermarkLevel.Min), ZoneChoice.Choose(zones, protection, ZoneChoice.MovableZoneIndex, 0));

        // An allocation that may only use DMA pays no reserve there.
        Assert.Equal((0, WatermarkLevel.Low), ZoneChoice.Choose(zones, protection, 0, 0));
    }

    [Fact]
    public void Nothing_passes_when_every_zone_is_at_min_plus_reserve()
    {
        var (zones, protection) = Reference(dma32Free: 11087);
        protection[0] = [0, 4000, 4000, 4000, 4000];
        Assert.Null(ZoneChoice.Choose(zones, protection, ZoneChoice.MovableZoneIndex, 0));
    }

    [Fact]
    public void A_higher_order_needs_a_free_block_that_large()
    {
        var zone = new ZoneFreeArea(new ZoneSpec("Z", 0, 2048, 2048, new Watermarks(0, 0, 0)));
        for (var i = 0; i < 1100; i++) zone.Allocate(0); // one order-10 block split, the other gone in part
        Assert.True(ZoneChoice.WatermarkOk(zone, 0, 0, 0));
        var largest = Enumerable.Range(0, 11).Last(o => zone.NrFree(o) > 0);
        Assert.True(ZoneChoice.WatermarkOk(zone, largest, 0, 0));
        Assert.False(ZoneChoice.WatermarkOk(zone, largest + 1, 0, 0));
    }
}
