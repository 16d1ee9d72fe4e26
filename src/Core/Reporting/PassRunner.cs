using PageReportingActors.Allocator;
using PageReportingActors.Memory;

namespace PageReportingActors.Reporting;

/// <summary>One report a pass made.</summary>
public sealed record PassReport(string Zone, IReadOnlyList<Block> Blocks, bool IsLeftover, bool Succeeded);

/// <summary>What one pass did.</summary>
public sealed record PassOutcome(IReadOnlyList<PassReport> Reports, bool RequestAnotherPass, bool Failed, int ZonesVisited)
{
    public long ReportedBytes => Reports.Where(r => r.Succeeded).Sum(r => r.Blocks.Sum(b => b.Bytes));
}

/// <summary>
/// Runs a whole pass synchronously over zones in pfn order with a device given as a function
/// (R7-R13). The reporter actor drives the same <see cref="ZoneReportingWalk"/> with messages;
/// this runner is for plain tests, benchmarks and back-of-the-envelope planning without Akka.
/// </summary>
public static class PassRunner
{
    // kernel: page_reporting_process (R7, R12, R13)
    public static PassOutcome RunPass(IReadOnlyList<ZoneFreeArea> zones, PassSettings settings, Func<string, Scatterlist, bool> device)
    {
        var reports = new List<PassReport>();
        var requestAgain = false;
        var visited = 0;
        foreach (var zone in zones)
        {
            visited++;
            var walk = new ZoneReportingWalk(zone, settings);
            var step = walk.Advance();
            while (step.Kind == WalkStepKind.Report)
            {
                var ok = device(zone.Name, Scatterlist.FromBlocks(step.Batch));
                reports.Add(new PassReport(zone.Name, step.Batch, step.IsLeftover, ok));
                step = walk.Complete(ok).Next;
            }
            requestAgain |= walk.RequestAnotherPass;
            if (step.End == WalkEnd.ReportFailed)
                return new PassOutcome(reports, requestAgain, true, visited);
        }
        return new PassOutcome(reports, requestAgain, false, visited);
    }
}
