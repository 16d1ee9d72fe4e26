using PageReportingActors.Memory;
using System.Collections.Immutable;
using Akka.Actor;

namespace PageReportingActors.Messages;

/// <summary>Commands an application sends a zone actor: they change its memory.</summary>
public interface IZoneCommand { }

/// <summary>Questions an application asks a zone actor: they change nothing.</summary>
public interface IZoneQuery { }

/// <summary>Replies a zone actor sends.</summary>
public interface IZoneReply { }

/// <summary>
/// Allocate one block of <c>Order</c> (R1). <c>Floor</c>: the watermark the zone must stay above, raised by
/// <c>Reserve</c> (the zone's lowmem_reserve against this allocation). <c>Cpu</c>: whose per-CPU list serves it (R22).
/// </summary>
public sealed record Allocate(int Order, Migratetype Migratetype = Migratetype.Movable, WatermarkLevel Floor = WatermarkLevel.None, int Cpu = 0, long Reserve = 0) : IZoneCommand;

/// <summary>Allocate up to <c>Count</c> blocks in one message; stops at the first failure.</summary>
public sealed record AllocateMany(int Order, int Count, Migratetype Migratetype = Migratetype.Movable, WatermarkLevel Floor = WatermarkLevel.None, int Cpu = 0, long Reserve = 0) : IZoneCommand;

public sealed record Allocated(string Zone, Block Block) : IZoneReply;

/// <summary>What an <see cref="AllocateMany"/> got, in allocation order, and why it stopped short if it did.</summary>
public sealed record AllocatedMany(string Zone, ImmutableArray<Block> Blocks, AllocationFailureReason? StoppedBecause) : IZoneReply;

public sealed record AllocationFailed(string Zone, int Order, AllocationFailureReason Reason, string Detail) : IZoneReply;

/// <summary>Free an allocated block (R2, R3) on <c>Cpu</c> (R21: its per-CPU list). A refused free changes nothing.</summary>
public sealed record Free(long Pfn, int Order, int Cpu = 0) : IZoneCommand;

/// <summary>Free many blocks in one message on <c>Cpu</c>; each is checked on its own.</summary>
public sealed record FreeMany(ImmutableArray<Block> Blocks, int Cpu = 0) : IZoneCommand;

/// <summary>The block was freed; <c>Merged</c> is what it became after merging with free buddies.</summary>
public sealed record Freed(string Zone, Block Block, Block Merged) : IZoneReply;

public sealed record FreedMany(string Zone, int Freed, ImmutableArray<FreeRejected> Rejected) : IZoneReply;

public sealed record FreeRejected(string Zone, long Pfn, int Order, FreeRejectionReason Reason, string Detail) : IZoneReply;

/// <summary>Ask for a zone's counters.</summary>
public sealed record GetZoneStatus : IZoneQuery
{
    public static readonly GetZoneStatus Instance = new();
    private GetZoneStatus() { }
}

/// <summary>A zone's counters. <c>PerCpuPages</c>: pages on its per-CPU lists (R21), free but not in <c>FreePages</c>.</summary>
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
    bool WalkInProgress,
    long PerCpuPages = 0) : IZoneReply;

/// <summary>Check I1-I4 now; the reply carries the first violation, or null.</summary>
public sealed record CheckZoneInvariants : IZoneQuery
{
    public static readonly CheckZoneInvariants Instance = new();
    private CheckZoneInvariants() { }
}

public sealed record ZoneInvariantsChecked(string Zone, string? Violation) : IZoneReply;
