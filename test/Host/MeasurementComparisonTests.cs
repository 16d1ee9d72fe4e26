using PageReportingActors.Host.Measurement;
using Xunit;

namespace PageReportingActors.Tests.Host;

/// <summary>Holding a run against a measurement, on made-up series with known drops.</summary>
public sealed class MeasurementComparisonTests
{
    /// <summary>A flat series sampled every 50 ms from <paramref name="start"/> to <paramref name="end"/>, with falls (time, MiB) applied.</summary>
    private static List<ResidentSample> Series(double start, double end, double level, params (double T, double Mib)[] falls)
    {
        var samples = new List<ResidentSample>();
        for (var i = 0; start + i * 0.05 <= end + 1e-9; i++)
        {
            var t = Math.Round(start + i * 0.05, 3);
            var fallen = falls.Where(f => f.T <= t + 1e-9).Sum(f => f.Mib);
            samples.Add(new ResidentSample(t, level - fallen));
        }
        return samples;
    }

    [Fact]
    public void A_fall_of_8MiB_or_more_is_a_drop_timed_at_its_sample()
    {
        var drops = MeasurementComparison.Drops(Series(0, 5, 500, (1.0, 100), (3.0, 8)));
        Assert.Equal([new ResidentDrop(1.0, 100), new ResidentDrop(3.0, 8)], drops);
    }

    [Fact]
    public void Falls_closer_than_half_a_second_add_up_and_small_ones_are_ignored()
    {
        // 5 + 5 MiB 0.45 s apart make one 10 MiB drop; 5 MiB alone 1 s later is no drop; 1.5 MiB falls never count.
        var drops = MeasurementComparison.Drops(Series(0, 6, 500, (1.0, 5), (1.45, 5), (2.5, 5), (4.0, 1.5), (4.05, 1.5), (4.1, 1.5)));
        Assert.Single(drops);
        Assert.Equal(1.0, drops[0].T, 6);
        Assert.Equal(10, drops[0].Mib, 6);
    }

    [Fact]
    public void Falls_half_a_second_apart_are_two_groups()
    {
        var drops = MeasurementComparison.Drops(Series(0, 3, 500, (1.0, 9), (1.5, 9)));
        Assert.Equal(2, drops.Count);
    }

    [Fact]
    public void A_run_matches_when_each_drop_is_within_the_tolerances_and_times_are_taken_from_the_trigger()
    {
        var measured = Series(-1, 6, 700, (1.86, 244), (3.88, 224));
        // The run's trigger is at 16.2 s: its drops at 18.0 and 20.0 are +1.8 and +3.8.
        var run = Series(15, 24, 700, (18.0, 250), (20.0, 210));
        var comparison = MeasurementComparison.Compare(measured, run, trigger: 16.2, from: -0.2);
        Assert.True(comparison.Matches, string.Join("; ", comparison.Problems));
        Assert.Equal(1.8, comparison.Run[0].T, 6);
        Assert.Equal(468, comparison.MeasuredSumMib, 6);
    }

    [Fact]
    public void A_drop_0_35_s_late_or_too_small_or_an_extra_drop_does_not_match()
    {
        var measured = Series(-1, 6, 700, (1.86, 244), (3.88, 224));
        var late = MeasurementComparison.Compare(measured, Series(15, 24, 700, (18.41, 244), (20.08, 224)), 16.2, -0.2);
        Assert.Contains(late.Problems, p => p.StartsWith("drop 1:"));
        // 10% of 224 is 22.4 MiB: 200 is outside it.
        var small = MeasurementComparison.Compare(measured, Series(15, 24, 700, (18.06, 244), (20.08, 200)), 16.2, -0.2);
        Assert.Contains(small.Problems, p => p.StartsWith("drop 2:"));
        var extra = MeasurementComparison.Compare(measured, Series(15, 26, 700, (18.06, 244), (20.08, 224), (22.08, 8)), 16.2, -0.2);
        Assert.Contains(extra.Problems, p => p.Contains("3 drops in the run, 2 measured"));
    }

    [Fact]
    public void The_floor_widens_small_drops_and_the_sum_has_its_own_tolerance()
    {
        var measured = Series(-1, 6, 700, (1.0, 17.3), (3.0, 12));
        var run = Series(15, 24, 700, (17.0, 12), (19.0, 12));
        // 17.3 vs 12 is within 8 MiB; the sum 24 vs 29.3 is within max(5%, 8 MiB).
        Assert.True(MeasurementComparison.Compare(measured, run, 16, 0).Matches);
        Assert.False(MeasurementComparison.Compare(measured, run, 16, 0, dropFloorMib: 4).Matches);
        // Drops before from are not compared.
        var early = Series(14, 24, 700, (15.5, 50), (17.0, 17.3), (19.0, 12));
        Assert.True(MeasurementComparison.Compare(measured, early, 16, 0).Matches);
    }

    [Fact]
    public void A_measured_csv_is_read_and_a_bad_line_is_named()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".csv");
        try
        {
            File.WriteAllText(path, "seconds_after_free,host_resident_mib\n-0.05,700.5\n0.00,690\n");
            Assert.Equal([new ResidentSample(-0.05, 700.5), new ResidentSample(0, 690)], MeasurementComparison.ReadMeasured(path));
            File.WriteAllText(path, "seconds_after_free,host_resident_mib\n0.00,lots\n");
            var e = Assert.Throws<FormatException>(() => MeasurementComparison.ReadMeasured(path));
            Assert.Contains("line 2", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
