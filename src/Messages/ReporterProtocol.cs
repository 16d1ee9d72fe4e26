using PageReportingActors.Memory;
using Akka.Actor;

namespace PageReportingActors.Messages;

/// <summary>Messages the reporter receives.</summary>
public interface IReporterCommand { }

/// <summary>R5: a zone freed a block of the reporting order or more.</summary>
public sealed record RequestReporting(string Zone) : IReporterCommand;

/// <summary>From the registry: report to <c>Device</c> from now on; requests a first pass (R18).</summary>
public sealed record AttachDevice(IActorRef Device, int ReportingOrder) : IReporterCommand;

public sealed record DeviceAttached(IActorRef Device);

/// <summary>From the registry: stop reporting; answered once no pass runs (R19).</summary>
public sealed record DetachDevice(IActorRef Device) : IReporterCommand;

public sealed record DeviceDetached(IActorRef Device);

/// <summary>From the registry: the order the next pass uses (R20).</summary>
public sealed record ChangeReportingOrder(int ReportingOrder) : IReporterCommand;

public sealed record ReportingOrderChanged(int ReportingOrder);

public enum ReporterState { Idle, Requested, Active }

public sealed record GetReporterStatus : IReporterCommand
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
public sealed record PassStarted(long PassId, DateTimeOffset At);

/// <summary>A pass ended (published on the event stream).</summary>
public sealed record PassFinished(
    long PassId,
    DateTimeOffset Start,
    DateTimeOffset End,
    int ZonesVisited,
    int Reports,
    long ReportedBytes,
    bool Failed,
    bool RequestedAgain);

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
    Scatterlist Pages);
