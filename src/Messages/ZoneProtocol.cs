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

/// <summary>The answer to <see cref="Allocate"/>: the block is the caller's until it frees it.</summary>
/// <param name="Zone">The zone's name.</param>
/// <param name="Block">The block allocated, of the order asked for.</param>
public sealed record Allocated(string Zone, Block Block) : IZoneReply;

/// <summary>What an <see cref="AllocateMany"/> got, in allocation order, and why it stopped short if it did.</summary>
public sealed record AllocatedMany(string Zone, ImmutableArray<Block> Blocks, AllocationFailureReason? StoppedBecause) : IZoneReply;

/// <summary>The answer to an <see cref="Allocate"/> the zone could not serve; nothing changed.</summary>
/// <param name="Zone">The zone's name.</param>
/// <param name="Order">The order that was asked for.</param>
/// <param name="Reason">Why it failed.</param>
/// <param name="Detail">A sentence naming what was wrong.</param>
public sealed record AllocationFailed(string Zone, int Order, AllocationFailureReason Reason, string Detail) : IZoneReply;

/// <summary>Free an allocated block (R2, R3) on <c>Cpu</c> (R21: its per-CPU list). A refused free changes nothing.</summary>
public sealed record Free(long Pfn, int Order, int Cpu = 0) : IZoneCommand;

/// <summary>Free many blocks in one message on <c>Cpu</c>; each is checked on its own.</summary>
public sealed record FreeMany(ImmutableArray<Block> Blocks, int Cpu = 0) : IZoneCommand;

/// <summary>The block was freed; <c>Merged</c> is what it became after merging with free buddies.</summary>
public sealed record Freed(string Zone, Block Block, Block Merged) : IZoneReply;

/// <summary>The answer to <see cref="FreeMany"/>.</summary>
/// <param name="Zone">The zone's name.</param>
/// <param name="Freed">How many blocks were freed.</param>
/// <param name="Rejected">The blocks that were refused, each with its reason; they changed nothing.</param>
public sealed record FreedMany(string Zone, int Freed, ImmutableArray<FreeRejected> Rejected) : IZoneReply;

/// <summary>The answer to a refused <see cref="Free"/> (or one refused block of a <see cref="FreeMany"/>); nothing changed.</summary>
/// <param name="Zone">The zone's name.</param>
/// <param name="Pfn">The first page frame of the block named.</param>
/// <param name="Order">The order named.</param>
/// <param name="Reason">Why it was refused.</param>
/// <param name="Detail">A sentence naming what was wrong.</param>
public sealed record FreeRejected(string Zone, long Pfn, int Order, FreeRejectionReason Reason, string Detail) : IZoneReply;

/// <summary>Ask for a zone's counters.</summary>
public sealed record GetZoneStatus : IZoneQuery
{
    /// <summary>The one instance.</summary>
    public static readonly GetZoneStatus Instance = new();
    private GetZoneStatus() { }
}

/// <summary>The answer to <see cref="GetZoneStatus"/>: the zone's counters, in pages.</summary>
/// <param name="Zone">The zone's name.</param>
/// <param name="StartPfn">The zone's first page frame.</param>
/// <param name="Pages">The zone's size.</param>
/// <param name="FreePages">Pages in blocks on the buddy free lists (I4); isolated and per-CPU pages are not counted.</param>
/// <param name="ReportedPages">Free pages in blocks flagged Reported.</param>
/// <param name="IsolatedPages">Pages lent to the device right now (R4).</param>
/// <param name="AllocatedPages">Pages in allocated blocks.</param>
/// <param name="ReservedPages">Pages the allocator never manages.</param>
/// <param name="NrFree">Free blocks per order, 0 to 10.</param>
/// <param name="Watermarks">The zone's min, low and high watermarks.</param>
/// <param name="NotifyOrder">The order at which frees notify the reporter (R5), or null while no device is registered.</param>
/// <param name="WalkInProgress">Whether a pass is walking this zone now.</param>
/// <param name="PerCpuPages">Pages on the zone's per-CPU lists (R21): free, but not in <c>FreePages</c>.</param>
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
    /// <summary>The one instance.</summary>
    public static readonly CheckZoneInvariants Instance = new();
    private CheckZoneInvariants() { }
}

/// <summary>The answer to <see cref="CheckZoneInvariants"/>.</summary>
/// <param name="Zone">The zone's name.</param>
/// <param name="Violation">The first invariant found broken, as a sentence, or null when I1-I4 hold.</param>
public sealed record ZoneInvariantsChecked(string Zone, string? Violation) : IZoneReply;
