using System.Globalization;
using PageReportingActors.Replay;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Replay;

/// <summary>
/// The reference trace replayed in a plain loop (no actors) against its measured host memory,
/// by the rule of SCENARIOS "Holding a run against a measurement": same number of drops, each
/// within 0.3 s and max(10%, 8 MiB), the sum within max(5%, 8 MiB).
/// </summary>
public sealed class DropsAgainstMeasurementTests(ITestOutputHelper output)
{
    // guest.json and case.json of the reference: the device registered at 3.634 s, reporting
    // order 5, measured second 0 at uptime 22.998 s, compared from -0.491 s, stop at 67.998 s.
    private const double Register = 3.634, Stop = 67.998, Trigger = 22.998, From = -0.491;

    [Fact]
    public void Plain_replay_gives_the_measured_drops()
    {
        var run = PlainReplayRun.Run(Register, Stop, order: 5);
        var replayed = Drops(run.Samples.Where(s => s.T >= Trigger + From).Select(s => (s.T - Trigger, s.Mib)).ToList());
        var measured = Drops(File.ReadAllLines(ReplayKit.DataPath("measured.csv")).Skip(1)
            .Select(l => l.Split(','))
            .Select(f => (double.Parse(f[0], CultureInfo.InvariantCulture), double.Parse(f[1], CultureInfo.InvariantCulture)))
            .Where(s => s.Item1 >= From).ToList());
        output.WriteLine($"passes {run.Passes} reports {run.Reports} held by device {run.Engine.Conflicts(ReplayConflictKind.HeldByDevice)}");
        output.WriteLine("replayed: " + string.Join(" ", replayed.Select(d => $"{d.T:0.00}s/{d.Mib:0.0}")));
        output.WriteLine("measured: " + string.Join(" ", measured.Select(d => $"{d.T:0.00}s/{d.Mib:0.0}")));

        Assert.Equal(10, measured.Count);
        Assert.Equal(measured.Count, replayed.Count);
        for (var i = 0; i < measured.Count; i++)
        {
            Assert.InRange(replayed[i].T, measured[i].T - 0.3, measured[i].T + 0.3);
            var tolerance = Math.Max(0.10 * measured[i].Mib, 8);
            Assert.InRange(replayed[i].Mib, measured[i].Mib - tolerance, measured[i].Mib + tolerance);
        }
        var sum = measured.Sum(d => d.Mib);
        Assert.InRange(replayed.Sum(d => d.Mib), sum - Math.Max(0.05 * sum, 8), sum + Math.Max(0.05 * sum, 8));
        Assert.Null(run.Engine.CheckInvariants());
    }

    /// <summary>
    /// Falls of 2 MiB or more between samples, those closer than 0.5 s to the previous one adding
    /// up; a group of 8 MiB or more is a drop, timed at its first fall.
    /// </summary>
    internal static List<(double T, double Mib)> Drops(IReadOnlyList<(double T, double Mib)> series)
    {
        var drops = new List<(double T, double Mib)>();
        double start = 0, sum = 0, last = double.NegativeInfinity;
        for (var i = 1; i < series.Count; i++)
        {
            var fall = series[i - 1].Mib - series[i].Mib;
            if (fall < 2) continue;
            if (series[i].T - last < 0.5) sum += fall;
            else
            {
                if (sum >= 8) drops.Add((start, sum));
                start = series[i].T;
                sum = fall;
            }
            last = series[i].T;
        }
        if (sum >= 8) drops.Add((start, sum));
        return drops;
    }
}
