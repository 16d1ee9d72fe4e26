using PageReportingActors.Host.Scenarios;
using PageReportingActors.Hypervisor;
using PageReportingActors.Memory;

namespace PageReportingActors.Host.Simulation;

/// <summary>Turns what a run recorded into its <see cref="RunResult"/>: reports, passes, timeline, shortfalls, summary.</summary>
internal static class RunResultBuilder
{
    /// <summary>What a user should know about the run that its numbers do not say.</summary>
    public static IReadOnlyList<string> Warnings(RunLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var warnings = new List<string>();
        if (log.Registrations == 0)
            warnings.Add("no device registered during the run, so nothing was reported; add a step { \"at\": \"0s\", \"op\": \"register\" }");
        return warnings;
    }

    /// <param name="reportingOrder">The order in force at the end (the registry's, else the configured one, else 9).</param>
    public static RunResult Build(
        Scenario scenario,
        int reportingOrder,
        RunLog log,
        IReadOnlyList<TimelineRow> timeline,
        HostSnapshot host,
        TimeSpan virtualTime,
        double wallSeconds)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(host);
        var reports = log.Reports.OrderBy(r => r.ReportId).Select(r => new ReportRecord(
            (r.HandedAt - VirtualTimeScheduler.Epoch).TotalSeconds,
            r.Zone,
            r.Entries,
            r.Bytes >> PageGeometry.PageShift,
            r.Bytes,
            r.Pages.Entries.GroupBy(e => e.Order).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count()),
            r.Success)).ToList();
        var passes = log.Passes.Select(p => new PassRecord(
            (p.Start - VirtualTimeScheduler.Epoch).TotalSeconds,
            (p.End - VirtualTimeScheduler.Epoch).TotalSeconds,
            p.Reports,
            p.ReportedBytes)).ToList();
        var summary = new RunSummary(
            reports.Count,
            reports.Count(r => !r.Ok),
            reports.Where(r => r.Ok).Sum(r => r.Bytes),
            passes.Count,
            virtualTime.TotalSeconds,
            wallSeconds,
            host.StartResidentBytes,
            host.PeakResidentBytes,
            host.ResidentBytes);
        return new RunResult(scenario.Name, scenario.Seed,
            new RunSettings(reportingOrder, scenario.Reporting.Delay.TotalSeconds, scenario.Reporting.Capacity),
            reports, passes, timeline.ToList(), log.Shortfalls.ToList(), summary, Warnings(log))
        {
            Steps = WorkloadMarker.Of(scenario.Workload),
            Host = host,
        };
    }
}
