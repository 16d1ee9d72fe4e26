using PageReportingActors.Host.Fleet;
using PageReportingActors.Host.Sweep;
using Xunit;

namespace PageReportingActors.Tests.Fleet;

public sealed class FleetAggregateTests
{
    private const long MiB = 1L << 20;

    [Fact]
    public void A_row_adds_up_the_running_guests_only()
    {
        var row = FleetAggregate.Row(TimeSpan.FromSeconds(2.5), [
            new GuestSample(true, 100 * MiB, 40 * MiB, 300 * MiB, 500 * MiB),
            GuestSample.Absent,
            new GuestSample(true, 10 * MiB, 4 * MiB, 30 * MiB, 50 * MiB),
        ]);
        Assert.Equal(new FleetTimelineRow(2.5, 2, 110 * MiB, 44 * MiB, 330 * MiB, 550 * MiB), row);
    }

    [Fact]
    public void The_summary_takes_peaks_their_difference_and_the_overcommit()
    {
        FleetTimelineRow[] timeline =
        [
            new(0, 1, 0, 0, 100 * MiB, 100 * MiB),
            new(1, 2, 0, 0, 700 * MiB, 900 * MiB),
            new(2, 2, 0, 0, 400 * MiB, 1000 * MiB),
        ];
        var summary = FleetAggregate.Summarize(timeline, [1024 * MiB, 2048 * MiB], [35.0, 12.5], 1536 * MiB, 3.25);
        Assert.Equal(700 * MiB, summary.PeakHostResidentBytes);
        Assert.Equal(1000 * MiB, summary.PeakWithoutReportingBytes);
        Assert.Equal(300 * MiB, summary.ReturnedBytes);
        Assert.Equal(3072 * MiB, summary.GuestMemoryBytes);
        Assert.Equal(2.0, summary.OvercommitRatio);
        Assert.True(summary.Fits);
        Assert.Equal(47.5, summary.GuestSeconds);
        Assert.Equal(3.25, summary.WallSeconds);

        var tight = FleetAggregate.Summarize(timeline, [1024 * MiB], [1], 699 * MiB, 0);
        Assert.False(tight.Fits);
        var open = FleetAggregate.Summarize(timeline, [1024 * MiB], [1], null, 0);
        Assert.Null(open.Fits);
        Assert.Null(open.OvercommitRatio);
    }

    [Fact]
    public void The_pareto_front_drops_points_another_is_no_worse_than_on_both_and_better_on_one()
    {
        var front = SweepAnalysis.ParetoFront([(1.0, 500), (2.0, 300), (1.5, 600), (3.0, 300), (0.5, 900), (1.0, 500), (0.5, 950)]);
        // (1.5, 600) loses to (1.0, 500) on both; (3.0, 300) ties (2.0, 300) on memory and costs more:
        // dominated; (0.5, 950) ties (0.5, 900) on CPU and holds more. The two equal (1.0, 500) stay.
        Assert.Equal([true, true, false, false, true, true, false], front);
    }

    [Fact]
    public void A_tie_on_one_axis_dominates_when_the_other_is_better_as_in_the_issue()
    {
        // Order 9 / 2 s cost what order 7 / 1 s cost and held 20 MB more: no longer on the front.
        Assert.True(SweepAnalysis.Dominates((0.4, 300_000_000), (0.4, 320_000_000)));
        Assert.False(SweepAnalysis.Dominates((0.4, 300_000_000), (0.4, 300_000_000)));
        Assert.False(SweepAnalysis.Dominates((0.3, 320_000_000), (0.4, 300_000_000)));
        Assert.Equal([true, false], SweepAnalysis.ParetoFront([(0.4, 300_000_000), (0.4, 320_000_000)]));
    }

    [Fact]
    public void Seconds_to_90_percent_count_from_the_first_free_to_the_sample_that_reaches_it()
    {
        var times = Enumerable.Range(0, 8).Select(i => TimeSpan.FromSeconds(i)).ToList();
        GuestSample S(long resident) => new(true, 0, 0, resident * MiB, resident * MiB);
        // Resident 600 at the free (t=2), ends at 100: 500 comes back; 90% (450) is reached at 150, t=5.
        GuestSample[] samples = [S(100), S(600), S(600), S(500), S(300), S(150), S(100), S(100)];
        Assert.Equal(3.0, SweepAnalysis.SecondsTo90PercentReturned(times, samples, TimeSpan.FromSeconds(2)));
        Assert.Null(SweepAnalysis.SecondsTo90PercentReturned(times, samples, null));
        GuestSample[] flat = [S(100), S(600), S(600), S(600), S(600), S(600), S(600), S(600)];
        Assert.Null(SweepAnalysis.SecondsTo90PercentReturned(times, flat, TimeSpan.FromSeconds(2)));
    }
}
