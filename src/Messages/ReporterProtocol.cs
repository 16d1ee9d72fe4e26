using PageReportingActors.Memory;

namespace PageReportingActors.Messages;

/// <summary>Questions an application asks the reporter. Its commands come from the zones and the registry only.</summary>
public interface IReporterQuery { }

/// <summary>What the reporter publishes on the event stream, for observers.</summary>
public interface IPageReportingEvent { }

public enum ReporterState { Idle, Requested, Active }

public sealed record GetReporterStatus : IReporterQuery
{
    public static readonly GetReporterStatus Instance = new();
    private GetReporterStatus() { }
}

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
