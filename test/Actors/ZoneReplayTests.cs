using System.Collections.Immutable;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Replay;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Actors;

/// <summary>A zone actor replaying trace events: started once, laid out from free runs, refusing what does not fit.</summary>
public sealed class ZoneReplayTests(ITestOutputHelper output) : ActorTestBase(output)
{
    private static TraceEvent Event(TraceEventKind kind, long pfn, int order = 0, double t = 1.0, bool refill = false, int cpu = 0) =>
        new(kind, (long)(t * 1e9), cpu, pfn, order, (int)Migratetype.Movable, refill, 1);

    [Fact]
    public void Events_before_the_replay_started_are_refused_and_change_nothing()
    {
        var guest = StartGuest([SmallZone(allocatedPages: 1024)]);
        var zone = guest.Zones[0];

        var answer = AskFor<TraceReplayRejected>(zone, new ApplyTraceEvents(0, [Event(TraceEventKind.Free, 0)]));

        Assert.Contains("not replaying", answer.Reason);
        Assert.Equal(3072, Status(zone).FreePages);
    }

    [Fact]
    public void A_replay_lays_out_the_free_runs_applies_events_in_order_and_is_started_once()
    {
        var guest = StartGuest([SmallZone(allocatedPages: 1024)]);
        var zone = guest.Zones[0];

        // Free: pages 2048..4095 only.
        var started = AskFor<TraceReplayStarted>(zone, new StartTraceReplay(HasCpuLists: true, [new PfnRun(2048, 4096)]));
        Assert.Equal(2048, started.FreePages);
        Assert.Contains("already", AskFor<TraceReplayRejected>(zone, new StartTraceReplay(true)).Reason);

        var applied = AskFor<TraceEventsApplied>(zone, new ApplyTraceEvents(1_000_000_000,
        [
            Event(TraceEventKind.AllocZoneLocked, 2048, refill: true, cpu: 1),
            Event(TraceEventKind.Alloc, 2048, cpu: 1),
            Event(TraceEventKind.Free, 2048, t: 1.5, cpu: 1),
        ]));

        Assert.Equal(3, applied.Applied);
        Assert.Equal(new Block(2048, 0), Assert.Single(applied.GivenToUser));
        var status = AskFor<TraceReplayStatus>(zone, new GetTraceReplayStatus(CheckInvariants: true));
        Assert.Equal(1, status.PcpPages);
        Assert.Null(status.InvariantError);
        Assert.Equal(2047, Status(zone).FreePages);
        AssertInvariants(guest);
    }

    /// <summary>
    /// A layout laid over a zone that has served allocations would count a block a user holds as
    /// free: it could be handed out twice, and its owner's free would be refused as a double free.
    /// </summary>
    [Fact]
    public void A_replay_is_refused_on_a_zone_that_has_served_allocations_and_the_users_block_stays_theirs()
    {
        var guest = StartGuest([SmallZone()]);
        var zone = guest.Zones[0];
        var held = AllocateBlock(zone, 3);

        var answer = AskFor<TraceReplayRejected>(zone, new StartTraceReplay(true, [new PfnRun(0, 4096)]));

        Assert.Contains("has served allocations", answer.Reason);
        Assert.Equal(4096 - 8, Status(zone).FreePages);
        AskFor<Freed>(zone, new Free(held.Pfn, held.Order));
        Assert.Equal(4096, Status(zone).FreePages);
        AssertInvariants(guest);
    }

    [Fact]
    public void Free_runs_out_of_order_are_refused()
    {
        var guest = StartGuest([SmallZone()]);

        var answer = AskFor<TraceReplayRejected>(guest.Zones[0], new StartTraceReplay(true, [new PfnRun(100, 200), new PfnRun(50, 60)]));

        Assert.Contains("not after", answer.Reason);
        Assert.Equal(4096, Status(guest.Zones[0]).FreePages);
    }
}
