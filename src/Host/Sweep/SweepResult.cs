using PageReportingActors.Host.Fleet;
using PageReportingActors.Host.Scenarios;

namespace PageReportingActors.Host.Sweep;

/// <summary>One sweep.csv row.</summary>
internal sealed record SweepRow(
    SweepPolicy Policy,
    int Reports,
    int FailedReports,
    long ReportedBytes,
    long MeanResidentBytes,
    long EndResidentBytes,
    double? SecondsTo90PercentReturned,
    bool Pareto,
    string Node)
{
    /// <summary>The run's host backing, by its scenario name.</summary>
    public string Backing { get; init; } = "4KiB";

    public long Refaults { get; init; }
    public long RefaultBytes { get; init; }
    public long IgnoredBytes { get; init; }
    public double HostCpuSeconds { get; init; }
}

/// <summary>The sweep's figures, as plain arithmetic over each run's samples and totals.</summary>
internal static class SweepAnalysis
{
    public static IReadOnlyList<SweepRow> Rows(SweepPlan plan, IReadOnlyList<TimeSpan> times, LockstepOutcome outcome)
    {
        var firstFree = plan.Scenario.Workload.OfType<FreeStep>().Select(s => (TimeSpan?)s.At).FirstOrDefault();
        var rows = plan.Policies.Select((policy, i) =>
        {
            var samples = outcome.Samples[i];
            var result = outcome.Results[i];
            var resident = samples.Where(s => s.Running).Select(s => s.HostResidentBytes).ToList();
            var mean = resident.Count == 0 ? 0 : (long)Math.Round(resident.Average(r => (double)r));
            return new SweepRow(policy, result.Reports, result.FailedReports, result.ReportedBytes, mean, result.EndResidentBytes,
                SecondsTo90PercentReturned(times, samples, firstFree), false, outcome.Nodes[i])
            {
                Backing = policy.Backing ?? PageReportingActors.Hypervisor.HostBackings.Name(plan.Scenario.Host.Backing),
                Refaults = result.Refaults,
                RefaultBytes = result.RefaultBytes,
                IgnoredBytes = result.IgnoredBytes,
                HostCpuSeconds = result.HostCpuSeconds,
            };
        }).ToList();
        var pareto = ParetoFront(rows.Select(r => (r.HostCpuSeconds, r.MeanResidentBytes)).ToList());
        return rows.Select((r, i) => r with { Pareto = pareto[i] }).ToList();
    }

    /// <summary>
    /// From the first free step to the first sample at which the host has got back 90% of what it
    /// gets back by the end, counted from host-resident memory at that step; null if nothing comes back.
    /// </summary>
    public static double? SecondsTo90PercentReturned(IReadOnlyList<TimeSpan> times, IReadOnlyList<GuestSample> samples, TimeSpan? firstFree)
    {
        if (firstFree is not { } from) return null;
        var startIndex = -1;
        for (var k = 0; k < times.Count; k++)
            if (times[k] >= from && samples[k].Running) { startIndex = k; break; }
        if (startIndex < 0) return null;
        var lastIndex = -1;
        for (var k = times.Count - 1; k >= startIndex; k--)
            if (samples[k].Running) { lastIndex = k; break; }
        var atFree = samples[startIndex].HostResidentBytes;
        var returned = atFree - samples[lastIndex].HostResidentBytes;
        if (returned <= 0) return null;
        for (var k = startIndex; k <= lastIndex; k++)
            if (samples[k].Running && atFree - samples[k].HostResidentBytes >= 0.9 * returned)
                return Math.Round((times[k] - from).TotalSeconds, 3);
        return null;
    }

    /// <summary>
    /// True where no other point dominates: is no worse on both host CPU and mean resident memory
    /// and better on one. Two equal points do not dominate each other; both are on the front.
    /// </summary>
    public static bool[] ParetoFront(IReadOnlyList<(double HostCpuSeconds, long MeanResidentBytes)> points) =>
        points.Select(p => !points.Any(q => Dominates(q, p))).ToArray();

    public static bool Dominates((double HostCpuSeconds, long MeanResidentBytes) q, (double HostCpuSeconds, long MeanResidentBytes) p) =>
        q.HostCpuSeconds <= p.HostCpuSeconds && q.MeanResidentBytes <= p.MeanResidentBytes
        && (q.HostCpuSeconds < p.HostCpuSeconds || q.MeanResidentBytes < p.MeanResidentBytes);
}
