using PageReportingActors.Memory;
using System.Collections.Immutable;
using Akka.Actor;

namespace PageReportingActors.Messages;

/// <summary>Messages a zone actor receives.</summary>
public interface IZoneCommand { }

/// <summary>Replies a zone actor sends.</summary>
public interface IZoneReply { }

/// <summary>Allocate one block of <c>Order</c> (R1). <c>Floor</c>: the watermark the zone must stay above.</summary>
public sealed record Allocate(int Order, Migratetype Migratetype = Migratetype.Movable, WatermarkLevel Floor = WatermarkLevel.None) : IZoneCommand;

/// <summary>Allocate up to <c>Count</c> blocks in one message; stops at the first failure.</summary>
public sealed record AllocateMany(int Order, int Count, Migratetype Migratetype = Migratetype.Movable, WatermarkLevel Floor = WatermarkLevel.None) : IZoneCommand;

public sealed record Allocated(string Zone, Block Block) : IZoneReply;

/// <summary>What an <see cref="AllocateMany"/> got, in allocation order, and why it stopped short if it did.</summary>
public sealed record AllocatedMany(string Zone, ImmutableArray<Block> Blocks, AllocationFailureReason? StoppedBecause) : IZoneReply;

public sealed record AllocationFailed(string Zone, int Order, AllocationFailureReason Reason, string Detail) : IZoneReply;

/// <summary>Free an allocated block (R2, R3). A refused free changes nothing.</summary>
public sealed record Free(long Pfn, int Order) : IZoneCommand;

/// <summary>Free many blocks in one message; each is checked on its own.</summary>
public sealed record FreeMany(ImmutableArray<Block> Blocks) : IZoneCommand;

/// <summary>The block was freed; <c>Merged</c> is what it became after merging with free buddies.</summary>
public sealed record Freed(string Zone, Block Block, Block Merged) : IZoneReply;

public sealed record FreedMany(string Zone, int Freed, ImmutableArray<FreeRejected> Rejected) : IZoneReply;

public sealed record FreeRejected(string Zone, long Pfn, int Order, FreeRejectionReason Reason, string Detail) : IZoneReply;

/// <summary>Ask for a zone's counters.</summary>
public sealed record GetZoneStatus : IZoneCommand
{
    public static readonly GetZoneStatus Instance = new();
    private GetZoneStatus() { }
}

public sealed record ZoneStatus(
    string Zone,
    long StartPfn,
    long Pages,
    long FreePages,
    long ReportedPages,
    long IsolatedPages,
    long AllocatedPages,
    long ReservedPages,
    ImmutableArray<long> NrFree,
    Watermarks Watermarks,
    int? NotifyOrder,
    bool WalkInProgress) : IZoneReply;

/// <summary>Check I1-I4 now; the reply carries the first violation, or null.</summary>
public sealed record CheckZoneInvariants : IZoneCommand
{
    public static readonly CheckZoneInvariants Instance = new();
    private CheckZoneInvariants() { }
}

public sealed record ZoneInvariantsChecked(string Zone, string? Violation) : IZoneReply;

// ---- Sent by the registry ----

/// <summary>R5: from now on, frees that merge to <c>ReportingOrder</c> or more notify <c>Reporter</c>.</summary>
public sealed record EnableNotification(IActorRef Reporter, int ReportingOrder) : IZoneCommand;

/// <summary>R19: no more notifications.</summary>
public sealed record DisableNotification : IZoneCommand
{
    public static readonly DisableNotification Instance = new();
    private DisableNotification() { }
}

// ---- The reporter drives a pass over a zone ----

/// <summary>Start this pass's walk over the zone (R7) and run it to its first report or its end.</summary>
public sealed record BeginZoneWalk(long PassId, int ReportingOrder, int Capacity) : IZoneCommand;

/// <summary>The device answered <c>BatchId</c>: drain it (R11) and, if it succeeded, walk on (R12).</summary>
public sealed record CompleteZoneReport(long PassId, long BatchId, Scatterlist Batch, bool Success) : IZoneCommand;

/// <summary>End the walk now, returning any outstanding batch unflagged (the device is gone).</summary>
public sealed record AbandonZoneWalk(long PassId) : IZoneCommand;

/// <summary>Why a zone's walk ended.</summary>
public enum ZoneWalkEnd
{
    /// <summary>Not ended: the step carries a batch to report.</summary>
    None,
    /// <summary>Every list was visited.</summary>
    Completed,
    /// <summary>R7: the zone's free pages do not exceed low + (capacity &lt;&lt; order).</summary>
    GateClosed,
    /// <summary>R12: a report failed.</summary>
    ReportFailed,
    /// <summary>The walk was abandoned.</summary>
    Abandoned,
}

/// <summary>
/// A step of a zone's walk: a batch to hand to the device (<c>Batch</c> not null), or the end of
/// the zone. <c>RequestAnotherPass</c>: some list's budget ran out (R9).
/// </summary>
public sealed record ZoneWalkStep(
    long PassId,
    string Zone,
    long BatchId,
    Scatterlist? Batch,
    bool IsLeftover,
    ZoneWalkEnd End,
    bool RequestAnotherPass,
    int FlaggedLastBatch) : IZoneReply;

/// <summary>A walk command the zone refused (wrong pass, wrong batch, wrong blocks, wrong sender). Nothing changed.</summary>
public sealed record ZoneWalkRejected(string Zone, long PassId, long BatchId, string Reason) : IZoneReply;
