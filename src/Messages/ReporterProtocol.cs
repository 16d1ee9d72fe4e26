using PageReportingActors.Memory;
using PageReportingActors.Reporting;

namespace PageReportingActors.Messages;

/// <summary>Questions an application asks the reporter. Its commands come from the zones and the registry only.</summary>
public interface IReporterQuery { }

/// <summary>What the reporter publishes on the event stream, for observers.</summary>
public interface IPageReportingEvent { }

/// <summary>Ask the reporter for its state and counters; answered with <see cref="ReporterStatus"/>.</summary>
public sealed record GetReporterStatus : IReporterQuery
{
    /// <summary>The one instance.</summary>
    public static readonly GetReporterStatus Instance = new();
    private GetReporterStatus() { }
}

/// <summary>The answer to <see cref="GetReporterStatus"/>.</summary>
/// <param name="State">The reporter's state now (R6).</param>
/// <param name="DeviceAttached">Whether a device is registered, so passes report to it.</param>
/// <param name="ReportingOrder">The order the next pass walks from (R18, R20).</param>
/// <param name="Passes">Passes that have ended since the reporter started.</param>
/// <param name="Reports">Reports that have ended, failed ones included.</param>
/// <param name="FailedReports">Reports that failed: refused by the device, not answered in time, or lost with a stopped device or zone (R12).</param>
/// <param name="ReportedBytes">Bytes in reports that succeeded.</param>
public sealed record ReporterStatus(
    ReporterState State,
    bool DeviceAttached,
    int ReportingOrder,
    long Passes,
    long Reports,
    long FailedReports,
    long ReportedBytes);

// ---- Published on the event stream, for observers ----

/// <summary>A pass began (published on the event stream).</summary>
public sealed record PassStarted(long PassId, DateTimeOffset At) : IPageReportingEvent;

/// <summary>A pass ended (published on the event stream).</summary>
public sealed record PassFinished(
    long PassId,
    DateTimeOffset Start,
    DateTimeOffset End,
    int ZonesVisited,
    int Reports,
    long ReportedBytes,
    bool Failed,
    bool RequestedAgain) : IPageReportingEvent;

/// <summary>A report came back from the device, or failed (published on the event stream).</summary>
public sealed record ReportFinished(
    long PassId,
    long ReportId,
    string Zone,
    int Entries,
    long Bytes,
    DateTimeOffset HandedAt,
    bool Success,
    int ErrorCode,
    Scatterlist Pages) : IPageReportingEvent;
