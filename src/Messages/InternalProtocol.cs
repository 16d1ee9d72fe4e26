using PageReportingActors.Memory;
using PageReportingActors.Reporting;
using Akka.Actor;

namespace PageReportingActors.Messages;

// The messages the guest's own actors exchange: the reporter's walk over a zone, the registry's orders to
// the reporter and the zones, and their answers. An application never sends them, so they are internal; a
// forged one that arrives anyway (over a wire) is refused by a sender check where it is received.

/// <summary>Commands a zone accepts from its reporter and registry only.</summary>
internal interface IInternalZoneCommand { }

/// <summary>A zone's answers to its reporter's walk commands.</summary>
internal interface IInternalZoneReply { }

/// <summary>Commands the reporter accepts from its zones and registry only.</summary>
internal interface IInternalReporterCommand { }

/// <summary>R5: a zone freed a block of the reporting order or more.</summary>
internal sealed record RequestReporting(string Zone) : IInternalReporterCommand;

/// <summary>From the registry: report to <c>Device</c> from now on; requests a first pass (R18).</summary>
internal sealed record AttachDevice(IActorRef Device, int ReportingOrder) : IInternalReporterCommand;

internal sealed record DeviceAttached(IActorRef Device);

/// <summary>From the registry: stop reporting; answered once no pass runs (R19).</summary>
internal sealed record DetachDevice(IActorRef Device) : IInternalReporterCommand;

internal sealed record DeviceDetached(IActorRef Device);

/// <summary>From the registry: the order the next pass uses (R20).</summary>
internal sealed record ChangeReportingOrder(int ReportingOrder) : IInternalReporterCommand;

internal sealed record ReportingOrderChanged(int ReportingOrder);

// ---- Sent by the guardian once the guest's actors exist: who may give orders to whom ----

/// <summary>The zone's reporter (the only sender of walk commands) and registry (the only sender of notification orders).</summary>
internal sealed record ZoneOwners(IActorRef Reporter, IActorRef Registry) : IInternalZoneCommand;

/// <summary>The reporter's registry: the only sender of attach, detach and order changes.</summary>
internal sealed record ReporterOwner(IActorRef Registry) : IInternalReporterCommand;

// ---- Sent by the registry ----

/// <summary>R5: from now on, frees that merge to <c>ReportingOrder</c> or more notify <c>Reporter</c>.</summary>
internal sealed record EnableNotification(IActorRef Reporter, int ReportingOrder) : IInternalZoneCommand;

/// <summary>R19: no more notifications.</summary>
internal sealed record DisableNotification : IInternalZoneCommand
{
    public static readonly DisableNotification Instance = new();
    private DisableNotification() { }
}

// ---- The reporter drives a pass over a zone ----

/// <summary>Start this pass's walk over the zone (R7) and run it to its first report or its end.</summary>
internal sealed record BeginZoneWalk(long PassId, int ReportingOrder, int Capacity) : IInternalZoneCommand;

/// <summary>The device answered <c>BatchId</c>: drain it (R11) and, if it succeeded, walk on (R12).</summary>
internal sealed record CompleteZoneReport(long PassId, long BatchId, Scatterlist Batch, bool Success) : IInternalZoneCommand;

/// <summary>End the walk now, returning any outstanding batch unflagged (the device is gone).</summary>
internal sealed record AbandonZoneWalk(long PassId) : IInternalZoneCommand;

/// <summary>
/// A step of a zone's walk: a batch to hand to the device (<c>Batch</c> not null, <c>End</c>
/// <see cref="WalkEnd.None"/>), or the end of the zone. <c>RequestAnotherPass</c>: some list's
/// budget ran out (R9). Made by its factories, which say which of the three it is.
/// </summary>
internal sealed record ZoneWalkStep(
    long PassId,
    string Zone,
    long BatchId,
    Scatterlist? Batch,
    bool IsLeftover,
    WalkEnd End,
    bool RequestAnotherPass,
    int FlaggedLastBatch) : IInternalZoneReply
{
    /// <summary>Batch <paramref name="batchId"/> to hand to the device; <paramref name="flaggedLastBatch"/> pages of the batch before it were flagged reported.</summary>
    public static ZoneWalkStep ToReport(long passId, string zone, long batchId, Scatterlist batch, bool isLeftover,
        bool requestAnotherPass, int flaggedLastBatch) =>
        new(passId, zone, batchId, batch, isLeftover, WalkEnd.None, requestAnotherPass, flaggedLastBatch);

    /// <summary>The zone's walk ended by itself for <paramref name="end"/> (completed, gate closed, report failed).</summary>
    public static ZoneWalkStep Ended(long passId, string zone, long batchId, WalkEnd end, bool requestAnotherPass, int flaggedLastBatch) =>
        new(passId, zone, batchId, null, false, end, requestAnotherPass, flaggedLastBatch);

    /// <summary>The walk was abandoned; its outstanding batch, if any, went back unflagged.</summary>
    public static ZoneWalkStep Abandoned(long passId, string zone, long batchId) =>
        new(passId, zone, batchId, null, false, WalkEnd.Abandoned, false, 0);
}

/// <summary>A walk command the zone refused (wrong pass, wrong batch, wrong blocks, wrong sender). Nothing changed.</summary>
internal sealed record ZoneWalkRejected(string Zone, long PassId, long BatchId, string Reason) : IInternalZoneReply;

// ---- Between the reporter and a device actor ----

/// <summary>
/// From a reporter that attached the device: report for me only. A device actor takes it from that reporter
/// itself, and only while it reports for no other live reporter; plain device actors of an application ignore it.
/// </summary>
internal sealed record DeviceOwner(IActorRef Reporter);

/// <summary>From the device's reporter, once it was detached: the device reports for no one until claimed again.</summary>
internal sealed record DeviceReleased
{
    public static readonly DeviceReleased Instance = new();
    private DeviceReleased() { }
}
