using System.Globalization;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Hypervisor;

namespace PageReportingActors.Host.Simulation;

/// <summary>Everything a run produced; the writers turn it into report.json, timeline.csv and timeline.png.</summary>
internal sealed record RunResult(
    string Scenario,
    int Seed,
    RunSettings Settings,
    IReadOnlyList<ReportRecord> Reports,
    IReadOnlyList<PassRecord> Passes,
    IReadOnlyList<TimelineRow> Timeline,
    IReadOnlyList<AllocationShortfall> Shortfalls,
    RunSummary Summary,
    IReadOnlyList<string>? Warnings = null)
{
    /// <summary>The workload's steps, for the chart's markers.</summary>
    public IReadOnlyList<WorkloadMarker> Steps { get; init; } = [];

    /// <summary>A replay's counts (report.json's <c>replay</c>); null for a scenario run.</summary>
    public Replay.ReplaySummary? Replay { get; init; }

    /// <summary>The host at the end of the run: report.json's <c>cost</c>.</summary>
    public HostSnapshot? Host { get; init; }
}

/// <summary>
/// A workload step as the chart marks it: its time (virtual seconds), its kind (register, allocate,
/// free, churn, setOrder, unregister) and a short label. The stop step is the chart's right edge, not a marker.
/// </summary>
internal sealed record WorkloadMarker(double T, string Kind, string Label)
{
    public static IReadOnlyList<WorkloadMarker> Of(IEnumerable<WorkloadStep> workload) => workload
        .Where(step => step is not StopStep)
        .Select(step => step switch
        {
            RegisterStep => new WorkloadMarker(step.At.TotalSeconds, "register", "register"),
            UnregisterStep => new WorkloadMarker(step.At.TotalSeconds, "unregister", "unregister"),
            AllocateStep a => new WorkloadMarker(step.At.TotalSeconds, "allocate", $"allocate {a.Id} {Sizes.Format(a.SizeBytes)}"),
            FreeStep f => new WorkloadMarker(step.At.TotalSeconds, "free",
                f.Fraction >= 1 ? $"free {f.Id}" : string.Create(CultureInfo.InvariantCulture, $"free {f.Fraction:0.##} of {f.Id}")),
            ChurnStep c => new WorkloadMarker(step.At.TotalSeconds, "churn", $"churn {c.Id} {Sizes.Format(c.SizeBytes)}"),
            SetOrderStep o => new WorkloadMarker(step.At.TotalSeconds, "setOrder", string.Create(CultureInfo.InvariantCulture, $"setOrder {o.Value}")),
            _ => new WorkloadMarker(step.At.TotalSeconds, step.GetType().Name, step.GetType().Name),
        })
        .ToList();
}

internal sealed record RunSettings(int ReportingOrder, double DelaySeconds, int Capacity);

/// <summary>A report handed to the device at <c>T</c> (virtual seconds from the start).</summary>
internal sealed record ReportRecord(double T, string Zone, int Entries, long Pages, long Bytes, IReadOnlyDictionary<int, int> Orders, bool Ok);

internal sealed record PassRecord(double Start, double End, int Reports, long ReportedBytes);

/// <summary>One sample of the guest and host view. <c>ReportedBytes</c>: free memory flagged Reported now.</summary>
internal sealed record TimelineRow(double T, long FreeBytes, long ReportedBytes, long IsolatedBytes, long HostResidentBytes)
{
    /// <summary>What the per-CPU lists hold (R21): free, but not on the buddy lists.</summary>
    public long PcpBytes { get; init; }

    /// <summary>The host at this sample; the row's host columns read it.</summary>
    public HostSnapshot? Host { get; init; }

    /// <summary>Host faults so far (cumulative).</summary>
    public long HostFaults => Host?.HostFaults ?? 0;

    /// <summary>Refaults so far (cumulative).</summary>
    public long Refaults => Host?.Refaults ?? 0;
}

/// <summary>An allocation that could not get all it asked for (recorded, not thrown).</summary>
internal sealed record AllocationShortfall(double T, string Id, long RequestedBytes, long AllocatedBytes, string Reason);

internal sealed record RunSummary(
    int ReportCalls,
    int FailedReports,
    long ReportedBytes,
    int Passes,
    double VirtualSeconds,
    double WallSeconds,
    long HostResidentStartBytes,
    long HostResidentPeakBytes,
    long HostResidentEndBytes);

/// <summary>How a run is sampled and where it writes.</summary>
internal sealed record RunOptions(TimeSpan Sample, string OutDir, IProgress<double>? Progress = null);
