using PageReportingActors.Host.Costs;
using Xunit;

namespace PageReportingActors.Tests.Costs;

public class CostSpreadTests
{
    [Fact]
    public void Ten_samples_give_nearest_rank_percentiles_and_the_middle_two_averaged()
    {
        // Given out of order: the spread sorts them.
        double[] samples = [7, 1, 10, 3, 5, 2, 9, 4, 8, 6];
        var s = CostSpread.Of(samples.Select(v => v * 1e-6).ToArray());
        Assert.Equal(1e-6, s.Min, 12);
        Assert.Equal(1e-6, s.P10, 12);   // rank ceil(0.1 * 10) = 1
        Assert.Equal(5.5e-6, s.Median, 12);
        Assert.Equal(9e-6, s.P90, 12);   // rank ceil(0.9 * 10) = 9
        Assert.Equal(10e-6, s.Max, 12);
        Assert.Equal(10, s.Samples);
        Assert.Equal((9.0 - 1.0) / 5.5, s.RelativeWidth, 9);
    }

    [Fact]
    public void An_odd_count_has_a_measured_median_and_one_sample_is_its_own_spread()
    {
        var s = CostSpread.Of([3e-6, 100e-6, 2e-6, 4e-6, 5e-6]);
        Assert.Equal(4e-6, s.Median);
        Assert.Equal(2e-6, s.P10);   // rank ceil(0.5) = 1
        Assert.Equal(100e-6, s.P90); // rank ceil(4.5) = 5: one outlier in five is the p90
        var one = CostSpread.Of([7e-6]);
        Assert.Equal(new CostSpread(7e-6, 7e-6, 7e-6, 7e-6, 7e-6, 1), one);
        Assert.Equal(0, one.RelativeWidth);
    }

    [Fact]
    public void No_samples_is_an_error()
    {
        Assert.Throws<ArgumentException>(() => CostSpread.Of([]));
    }
}
