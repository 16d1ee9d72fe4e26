using PageReportingActors.Guest;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using Xunit;

namespace PageReportingActors.Tests.Plain;

/// <summary>guest.memory: the x86-64 zones and watermarks the host lays out for a memory size.</summary>
public class X86GuestLayoutTests
{
    [Fact]
    public void A_1GiB_guest_gets_DMA_and_DMA32_with_watermarks_close_to_the_reference_guest()
    {
        var zones = X86GuestLayout.ForMemory(1L << 30);
        Assert.Equal(["DMA", "DMA32"], zones.Select(z => z.Name));
        Assert.Equal((0L, 4096L), (zones[0].StartPfn, zones[0].Pages));
        Assert.Equal((4096L, 258048L), (zones[1].StartPfn, zones[1].Pages));
        // The reference guest (guest-zoneinfo.txt): DMA 178/222/266, DMA32 11085/13856/16627.
        AssertWithin(zones[0].Watermarks, new Watermarks(178, 222, 266), 0.02);
        AssertWithin(zones[1].Watermarks, new Watermarks(11085, 13856, 16627), 0.01);
        Assert.Equal(4096 - 288, zones[0].FreePages);
    }

    [Fact]
    public void A_64GiB_guest_puts_3GiB_below_the_PCI_hole_and_the_rest_in_Normal_from_4GiB()
    {
        var zones = X86GuestLayout.ForMemory(64L << 30);
        Assert.Equal(["DMA", "DMA32", "Normal"], zones.Select(z => z.Name));
        Assert.Equal(3L << 18, zones[1].StartPfn + zones[1].Pages);
        Assert.Equal(1L << 20, zones[2].StartPfn);
        Assert.Equal(64L << 18, zones.Sum(z => z.Pages));
        Assert.All(zones, z => Assert.True(z.Watermarks.Min < z.Watermarks.Low && z.Watermarks.Low < z.Watermarks.High));
        // The kernel's own memory: 64 MiB plus 1.5% of the guest, DMA's 288 pages aside.
        var kernel = zones.Sum(z => z.Pages - z.FreePages) - 288;
        Assert.Equal((64L << 8) + (64L << 18) * 15 / 1000, kernel);
    }

    [Theory]
    [InlineData(0L, "below the 64 MiB minimum")]
    [InlineData(32L << 20, "below the 64 MiB minimum")]
    [InlineData((1L << 30) + 1, "not a whole number of 4 KiB pages")]
    public void Sizes_it_cannot_lay_out_are_refused_with_the_reason(long bytes, string reason)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => X86GuestLayout.ForMemory(bytes));
        Assert.Contains(reason, error.Message);
    }

    private static void AssertWithin(Watermarks actual, Watermarks expected, double tolerance)
    {
        Assert.InRange(actual.Min, expected.Min * (1 - tolerance), expected.Min * (1 + tolerance));
        Assert.InRange(actual.Low, expected.Low * (1 - tolerance), expected.Low * (1 + tolerance));
        Assert.InRange(actual.High, expected.High * (1 - tolerance), expected.High * (1 + tolerance));
    }
}
