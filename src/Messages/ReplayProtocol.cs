using System.Collections.Immutable;
using PageReportingActors.Memory;
using PageReportingActors.Replay;

namespace PageReportingActors.Messages;

/// <summary>A run of free pages [<c>StartPfn</c>, <c>EndPfn</c>) in a starting layout.</summary>
internal sealed record PfnRun(long StartPfn, long EndPfn);

/// <summary>
/// Puts the zone in replay of a recorded allocator trace: from now on its allocations and frees come
/// from <see cref="ApplyTraceEvents"/>. <c>FreeRuns</c>, when given, replaces the layout (the pages a
/// kpageflags snapshot flags free, rebuilt into the largest aligned blocks); <c>HasCpuLists</c>: the
/// zone keeps per-CPU lists (a zone whose <c>high</c> is 0 does not). Refused while a batch is lent.
/// </summary>
internal sealed record StartTraceReplay(bool HasCpuLists, ImmutableArray<PfnRun>? FreeRuns = null) : IZoneCommand;

/// <summary>The zone replays from now on.</summary>
internal sealed record TraceReplayStarted(string Zone, long FreePages, long AllocatedPages) : IZoneReply;

/// <summary>A replay command the zone refused; nothing changed.</summary>
internal sealed record TraceReplayRejected(string Zone, string Reason) : IZoneReply;

/// <summary>
/// Trace events of this zone, in trace order, applied now; the clock stands at <c>NowNanos</c>
/// (the trace's time base) and no timer falls between it and the last event. A free that notifies
/// the reporter (R5) does so at its own timestamp, so the reporter's delay counts from the free.
/// </summary>
internal sealed record ApplyTraceEvents(long NowNanos, ImmutableArray<TraceEvent> Events) : IZoneCommand;

/// <summary>
/// What applying trace events did: <c>GivenToUser</c>, the blocks handed to their users (the guest
/// writes them: resident on the host). Sent to the batch's sender, and again, unasked, when events
/// that waited for a lent batch are applied after it came back.
/// </summary>
internal sealed record TraceEventsApplied(string Zone, int Applied, int Deferred, ImmutableArray<Block> GivenToUser) : IZoneReply;

/// <summary>Asks a replaying zone for its replay counts; <c>CheckInvariants</c> also walks its blocks (I1-I4 and the per-CPU marks).</summary>
internal sealed record GetTraceReplayStatus(bool CheckInvariants = false) : IZoneQuery;

/// <summary>
/// A replaying zone's counts: pages on its per-CPU lists, events applied, skipped (outside the zone,
/// misaligned), waiting for the device, contradictions per <see cref="ReplayConflictKind"/> (by
/// value) and the first few of each.
/// </summary>
internal sealed record TraceReplayStatus(
    string Zone,
    long PcpPages,
    long Applied,
    long OutsideZone,
    long Misaligned,
    int Waiting,
    ImmutableArray<long> Conflicts,
    ImmutableArray<ReplayConflict> Examples,
    string? InvariantError) : IZoneReply;
