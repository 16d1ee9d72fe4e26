using System.Globalization;

namespace PageReportingActors.Host.Replay;

/// <summary>A fall of host-resident memory: when it started (seconds after the trigger) and how much (MiB).</summary>
public readonly record struct Drop(double T, double Mib);

/// <summary>
/// A run held against a measurement as docs/scenario-format.md defines it: drops are falls of 8 MiB or
/// more between consecutive samples, falls closer than 0.5 s to the previous one adding up, falls
/// under 2 MiB ignored; the run matches when it has as many drops, each within 0.3 s and
/// max(10%, <c>minMib</c>) of the measured one, and its sum within max(5%, 8 MiB).
/// </summary>
public sealed record DropComparison(IReadOnlyList<Drop> Run, IReadOnlyList<Drop> Measured, IReadOnlyList<string> Misses)
{
    public const double MinDropMib = 8, IgnoredFallMib = 2, MergeSeconds = 0.5, TimeToleranceSeconds = 0.3;

    public bool Matches => Misses.Count == 0;

    /// <param name="run">The run's timeline: (virtual seconds, host-resident MiB).</param>
    /// <param name="measured">measured.csv: (seconds after the trigger, host-resident MiB).</param>
    public static DropComparison Compare(IEnumerable<(double T, double Mib)> run, IEnumerable<(double T, double Mib)> measured,
        double trigger, double from, double sizeToleranceMib = MinDropMib)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(measured);
        var runDrops = Drops(run.Where(s => s.T >= trigger + from - 1e-9).Select(s => (s.T - trigger, s.Mib)).ToList());
        var measuredDrops = Drops(measured.Where(s => s.T >= from - 1e-9).ToList());
        var misses = new List<string>();
        if (runDrops.Count != measuredDrops.Count)
            misses.Add($"{runDrops.Count} drops, measured {measuredDrops.Count}");
        for (var i = 0; i < Math.Min(runDrops.Count, measuredDrops.Count); i++)
        {
            var (r, m) = (runDrops[i], measuredDrops[i]);
            if (Math.Abs(r.T - m.T) > TimeToleranceSeconds)
                misses.Add(Invariant($"drop {i + 1} at {r.T:0.00} s, measured {m.T:0.00} s"));
            if (Math.Abs(r.Mib - m.Mib) > Math.Max(0.10 * m.Mib, sizeToleranceMib))
                misses.Add(Invariant($"drop {i + 1} of {r.Mib:0.0} MiB, measured {m.Mib:0.0} MiB"));
        }
        var (runSum, measuredSum) = (runDrops.Sum(d => d.Mib), measuredDrops.Sum(d => d.Mib));
        if (Math.Abs(runSum - measuredSum) > Math.Max(0.05 * measuredSum, MinDropMib))
            misses.Add(Invariant($"drops sum to {runSum:0.0} MiB, measured {measuredSum:0.0} MiB"));
        return new DropComparison(runDrops, measuredDrops, misses);
    }

    /// <summary>The drops of a series, timed at their first fall.</summary>
    public static List<Drop> Drops(IReadOnlyList<(double T, double Mib)> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var drops = new List<Drop>();
        double start = 0, sum = 0, last = double.NegativeInfinity;
        for (var i = 1; i < series.Count; i++)
        {
            var fall = series[i - 1].Mib - series[i].Mib;
            if (fall < IgnoredFallMib) continue;
            if (series[i].T - last < MergeSeconds) sum += fall;
            else
            {
                if (sum >= MinDropMib) drops.Add(new Drop(start, sum));
                start = series[i].T;
                sum = fall;
            }
            last = series[i].T;
        }
        if (sum >= MinDropMib) drops.Add(new Drop(start, sum));
        return drops;
    }

    /// <summary>measured.csv: <c>seconds_after_free,host_resident_mib</c>.</summary>
    public static List<(double T, double Mib)> ReadMeasured(string path) =>
        File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(','))
            .Select(f => (double.Parse(f[0], CultureInfo.InvariantCulture), double.Parse(f[1], CultureInfo.InvariantCulture))).ToList();

    public static string Describe(IReadOnlyList<Drop> drops) => string.Join(" ", drops.Select(d => Invariant($"{d.T:0.00}s/{d.Mib:0.0}")));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
