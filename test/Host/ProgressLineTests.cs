using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Fleet;
using PageReportingActors.Tests.Fleet;
using Xunit;

namespace PageReportingActors.Tests.Host;

/// <summary>
/// A long run's progress says how many guest-seconds are done, at what rate and how long the rest
/// takes; a fleet counts each guest from its own start to its own stop.
/// </summary>
public sealed class ProgressLineTests
{
    [Fact]
    public void A_plain_line_gives_guest_seconds_done_the_rate_and_the_time_left()
    {
        var elapsed = TimeSpan.FromSeconds(3);
        var writer = new StringWriter();
        var progress = new PlainProgress(writer, guestSeconds: 3000, () => elapsed);

        progress.Report(0.4);
        elapsed = TimeSpan.FromSeconds(250);
        progress.Report(0.45);
        progress.Report(1.0);

        // 1,200 done in 3 s: 400 a second, 1,800 left: 4.5 s, said as 5. The 45% stays within the tenth.
        Assert.Equal([
            "progress: 40% (1,200 of 3,000 guest-seconds, 400 per second, 5 s left)",
            "progress: 100% (3,000 of 3,000 guest-seconds, 12 per second)",
        ], writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData(45, "45 s")]
    [InlineData(200, "3 min 20 s")]
    [InlineData(7500, "2 h 5 min")]
    public void Time_left_is_as_precise_as_a_wait_needs(double seconds, string expected) =>
        Assert.Equal(expected, GuestSecondsRate.Left(seconds));

    [Fact]
    public void A_fleet_counts_each_guest_from_its_start_to_its_stop()
    {
        // Two guests of 60 s: one from 0, one from 30 s. At 30 s, 30 of 120 are done; at 60 s, 90;
        // at 90 s both have stopped.
        var guests = new[]
        {
            GuestRunTests.Definition("default", 0, 1, TimeSpan.Zero, TimeSpan.FromSeconds(1), stop: TimeSpan.FromSeconds(60)),
            GuestRunTests.Definition("default", 1, 1, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), stop: TimeSpan.FromSeconds(60)),
        };
        var plan = new LockstepPlan(guests, [], TimeSpan.FromSeconds(1));

        Assert.Equal(120, plan.GuestSeconds, 9);
        Assert.Equal(0.25, plan.FractionDoneAt(TimeSpan.FromSeconds(30)), 9);
        Assert.Equal(0.75, plan.FractionDoneAt(TimeSpan.FromSeconds(60)), 9);
        Assert.Equal(1.0, plan.FractionDoneAt(TimeSpan.FromSeconds(90)), 9);
    }
}
