namespace PageReportingActors;

/// <summary>
/// Names of the <see cref="System.Diagnostics.Metrics"/> instruments the library publishes, by
/// OpenTelemetry's conventions: the unit is given with the instrument, never in its name. Every
/// measurement carries the tag <see cref="GuestTag"/> (several guests may share a process); report
/// instruments also carry <see cref="ZoneTag"/>.
/// </summary>
public static class PageReportingMetrics
{
    /// <summary>The meter's name: <c>AddMeter("PageReportingActors")</c> collects everything below.</summary>
    public const string MeterName = "PageReportingActors";

    /// <summary>Counter (<c>{report}</c>): reports the device answered or that failed.</summary>
    public const string Reports = "page_reporting.reports";
    /// <summary>Counter (<c>{report}</c>): reports that failed (the batch went back unflagged).</summary>
    public const string ReportsFailed = "page_reporting.reports.failed";
    /// <summary>Counter (<c>By</c>): bytes of successful reports.</summary>
    public const string MemoryReported = "page_reporting.memory.reported";
    /// <summary>Counter (<c>{pass}</c>): passes finished.</summary>
    public const string Passes = "page_reporting.passes";
    /// <summary>Histogram (<c>s</c>): a pass's duration on the actor system's scheduler clock.</summary>
    public const string PassDuration = "page_reporting.pass.duration";
    /// <summary>Histogram (<c>{block}</c>): blocks in one report.</summary>
    public const string ReportEntries = "page_reporting.report.entries";
    /// <summary>Observable gauge (<c>By</c>): a zone's memory by <see cref="StateTag"/>: free, reported, isolated, pcp.</summary>
    public const string MemoryUsage = "page_reporting.memory.usage";

    /// <summary>Observable counter (<c>{fault}</c>): host page faults of a guest's writes (a hypervisor model's, see <see cref="PageReportingHostMetrics"/>).</summary>
    public const string HostFaults = "page_reporting.host.faults";
    /// <summary>Observable counter (<c>{fault}</c>): host faults that brought back pages a discard had taken.</summary>
    public const string HostRefaults = "page_reporting.host.refaults";
    /// <summary>Observable counter (<c>{entry}</c>): report entries the host acknowledged and left resident.</summary>
    public const string HostIgnored = "page_reporting.host.ignored";

    /// <summary>Tag naming the guest (<see cref="PageReportingSettings.GuestName"/>).</summary>
    public const string GuestTag = "guest";
    /// <summary>Tag naming the zone.</summary>
    public const string ZoneTag = "zone";
    /// <summary>Tag naming the state of memory in <see cref="MemoryUsage"/>.</summary>
    public const string StateTag = "state";

    /// <summary>The value of <see cref="StateTag"/> for a state.</summary>
    public static string StateName(ZoneUsageState state) => state switch
    {
        ZoneUsageState.Free => "free",
        ZoneUsageState.Reported => "reported",
        ZoneUsageState.Isolated => "isolated",
        ZoneUsageState.PerCpu => "pcp",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "not a usage state"),
    };
}
