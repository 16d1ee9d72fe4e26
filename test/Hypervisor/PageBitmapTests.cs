using PageReportingActors.Hypervisor;
using Xunit;

namespace PageReportingActors.Tests.Hypervisor;

public sealed class PageBitmapTests
{
    [Fact]
    public void Range_operations_count_the_bits_they_change_across_word_boundaries()
    {
        var bits = new PageBitmap(200);
        Assert.Equal(100, bits.Set(60, 100));   // words 0, 1 and 2
        Assert.Equal(10, bits.Set(150, 20));    // 150-159 were set already
        Assert.Equal(110, bits.Count(0, 200));
        Assert.True(bits[60]);
        Assert.False(bits[59]);
        Assert.Equal(64, bits.Clear(64, 64));   // exactly word 1
        Assert.Equal(46, bits.Count(0, 200));
        Assert.False(bits.Any(64, 64));
        Assert.True(bits.Any(63, 2));
        Assert.Equal(0, bits.Set(0, 0));
        Assert.Equal(32, bits.SizeBytes);
    }

    [Fact]
    public void Set_where_other_is_clear_counts_the_difference()
    {
        var a = new PageBitmap(130);
        var b = new PageBitmap(130);
        a.Set(0, 130);
        b.Set(10, 100);
        Assert.Equal(30, a.CountSetWhereClear(b, 0, 130));
        Assert.Equal(5, a.CountSetWhereClear(b, 105, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Set(129, 2));
    }
}
