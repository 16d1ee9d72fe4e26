using PageReportingActors.Allocator;
using PageReportingActors.Host.Replay;
using PageReportingActors.Memory;
using PageReportingActors.Replay;
using Xunit;

namespace PageReportingActors.Tests.Replay;

/// <summary>The kernel's meaning of each event, applied to a small zone (SCENARIOS "Replays").</summary>
public sealed class ReplayEngineTests
{
    private long _line;

    /// <summary>One zone of 2048 pages: pfns 0..1023 in use at the start, 1024..2047 one free order-10 block.</summary>
    private static (ZoneFreeArea Zone, ReplayEngine Engine) HalfFree(bool cpuLists = true)
    {
        var zone = new ZoneFreeArea(new ZoneSpec("Z", 0, 2048, 1024, new Watermarks(0, 0, 0)));
        return (zone, new ReplayEngine([zone], [cpuLists]));
    }

    private TraceEvent Ev(TraceEventKind kind, long pfn, int order = 0, int cpu = 0, bool refill = false, int migratetype = 1) =>
        new(kind, ++_line * 1000, cpu, pfn, order, migratetype, refill, _line);

    [Fact]
    public void A_refill_splits_a_free_block_and_puts_the_page_on_the_cpus_list()
    {
        var (zone, engine) = HalfFree();
        var effect = engine.Apply(Ev(TraceEventKind.AllocZoneLocked, 1024, refill: true, cpu: 1));
        Assert.Equal(ReplayEffectKind.None, effect.Kind);
        Assert.Equal(1023, zone.FreePages);
        Assert.Equal((1L, 1L, 0L), (engine.PcpPages(0), engine.PcpPagesOnCpu(1), engine.PcpPagesOnCpu(0)));
        // The halves of the split: one free block of each order 0..9, each at the head of its list (R1).
        for (var order = 0; order < 10; order++)
            Assert.Equal(1024 + (1L << order), zone.ListHead(order, Migratetype.Movable));
        Assert.Equal(0, engine.TotalConflicts);
        Assert.Null(engine.CheckInvariants());
    }

    [Fact]
    public void A_page_goes_list_user_list_buddy_and_the_drain_merges_and_notifies()
    {
        var (zone, engine) = HalfFree();
        engine.Apply(Ev(TraceEventKind.AllocZoneLocked, 1024, refill: true));
        var given = engine.Apply(Ev(TraceEventKind.Alloc, 1024));
        Assert.Equal(new ReplayEffect(ReplayEffectKind.GivenToUser, 0, new Block(1024, 0)), given);
        Assert.Equal(0, engine.PcpPages(0));

        // Order 0 is kept on the per-CPU list: no merge, not counted free, no notification (R21).
        Assert.Equal(ReplayEffectKind.None, engine.Apply(Ev(TraceEventKind.Free, 1024)).Kind);
        Assert.Equal(ReplayEffectKind.None, engine.Apply(Ev(TraceEventKind.FreeBatched, 1024)).Kind);
        Assert.Equal((1023L, 1L), (zone.FreePages, engine.PcpPages(0)));

        var drained = engine.Apply(Ev(TraceEventKind.PcpuDrain, 1024));
        Assert.Equal(ReplayEffectKind.FreedToBuddy, drained.Kind);
        Assert.Equal(new Block(1024, 10), drained.Block);
        Assert.True(drained.Notifies(5));
        Assert.False(new ReplayEffect(ReplayEffectKind.FreedToBuddy, 0, new Block(1024, 4)).Notifies(5));
        Assert.Equal((1024L, 0L), (zone.FreePages, engine.PcpPages(0)));
        Assert.Equal(0, engine.TotalConflicts);
        Assert.Null(engine.CheckInvariants());
    }

    [Fact]
    public void An_allocation_without_refill_goes_to_its_user_and_its_mm_page_alloc_is_no_contradiction()
    {
        var (zone, engine) = HalfFree();
        engine.Apply(Ev(TraceEventKind.AllocZoneLocked, 1024 + 16, order: 4, refill: false));
        Assert.Equal(ReplayEffectKind.GivenToUser, engine.Apply(Ev(TraceEventKind.Alloc, 1024 + 16, order: 4)).Kind);
        Assert.Equal(0, engine.PcpPages(0));
        // Order 4 is not kept on a per-CPU list: the free goes to the buddy lists at once and merges back.
        var freed = engine.Apply(Ev(TraceEventKind.Free, 1024 + 16, order: 4));
        Assert.Equal(new ReplayEffect(ReplayEffectKind.FreedToBuddy, 0, new Block(1024, 10)), freed);
        Assert.Equal(1024, zone.FreePages);
        Assert.Equal(0, engine.TotalConflicts);
    }

    [Fact]
    public void A_zone_without_per_cpu_lists_frees_order_0_straight_to_the_buddy_lists()
    {
        var (zone, engine) = HalfFree(cpuLists: false);
        engine.Apply(Ev(TraceEventKind.AllocZoneLocked, 1024));
        engine.Apply(Ev(TraceEventKind.Alloc, 1024));
        Assert.Equal(ReplayEffectKind.FreedToBuddy, engine.Apply(Ev(TraceEventKind.Free, 1024)).Kind);
        Assert.Equal(1024, zone.FreePages);
    }

    [Fact]
    public void Memory_in_use_at_the_start_is_freed_without_contradiction_but_found_on_a_list_is_counted()
    {
        var (zone, engine) = HalfFree();
        // The starting layout has pfns 0..1023 as one in-use block: the trace frees pieces of it.
        Assert.Equal(ReplayEffectKind.None, engine.Apply(Ev(TraceEventKind.Free, 8, order: 3)).Kind);
        Assert.Equal(0, engine.TotalConflicts);
        // A drain of a page the snapshot had in use: it sat on a per-CPU list when it was read.
        var drained = engine.Apply(Ev(TraceEventKind.PcpuDrain, 100));
        Assert.Equal(new ReplayEffect(ReplayEffectKind.FreedToBuddy, 0, new Block(100, 0)), drained);
        Assert.Equal(1, engine.Conflicts(ReplayConflictKind.InUseAtStart));
        Assert.Equal(1025, zone.FreePages);
        Assert.Equal(8, engine.PcpPages(0));
        Assert.Null(engine.CheckInvariants());
    }

    [Fact]
    public void Contradictions_are_applied_as_the_truth_counted_and_kept_as_examples()
    {
        var (zone, engine) = HalfFree();
        // A free of a page the model holds free: it ends where the free puts it, on the CPU's list.
        engine.Apply(Ev(TraceEventKind.Free, 2000));
        Assert.Equal((1023L, 1L), (zone.FreePages, engine.PcpPages(0)));
        // Allocated twice: the second changes nothing but is counted.
        engine.Apply(Ev(TraceEventKind.Alloc, 2000));
        engine.Apply(Ev(TraceEventKind.Alloc, 2000));
        // Taken off the buddy lists although it is with a user.
        engine.Apply(Ev(TraceEventKind.AllocZoneLocked, 2000, refill: true));
        // A drain of a block the model holds free on the buddy lists changes nothing.
        engine.Apply(Ev(TraceEventKind.PcpuDrain, 1500));
        // An order-1 free across two order-0 pages the model has apart.
        engine.Apply(Ev(TraceEventKind.Alloc, 2000));
        engine.Apply(Ev(TraceEventKind.AllocZoneLocked, 2001));
        engine.Apply(Ev(TraceEventKind.Alloc, 2001));
        engine.Apply(Ev(TraceEventKind.Free, 2000, order: 1));

        Assert.Equal(1, engine.Conflicts(ReplayConflictKind.FreedWhileFree));
        Assert.Equal(1, engine.Conflicts(ReplayConflictKind.AllocatedTwice));
        Assert.Equal(1, engine.Conflicts(ReplayConflictKind.TakenNotFree));
        Assert.Equal(1, engine.Conflicts(ReplayConflictKind.DrainedNotOnList));
        Assert.Equal(1, engine.Conflicts(ReplayConflictKind.BlockMismatch));
        Assert.Equal(5, engine.TotalConflicts);
        var first = engine.Examples[0];
        Assert.Equal((ReplayConflictKind.FreedWhileFree, TraceEventKind.Free, 2000L, 1L, "free on the buddy lists"),
            (first.Kind, first.Event, first.Pfn, first.Line, first.Model));
        Assert.Equal(2, engine.PcpPages(0));
        Assert.Null(engine.CheckInvariants());
    }

    [Fact]
    public void Only_the_first_examples_of_a_kind_are_kept()
    {
        var (_, engine) = HalfFree(cpuLists: false);
        for (var i = 0; i < 8; i++) engine.Apply(Ev(TraceEventKind.PcpuDrain, 1024 + i * 2));
        Assert.Equal(8, engine.Conflicts(ReplayConflictKind.DrainedNotOnList));
        Assert.Equal(ReplayEngine.ExamplesPerKind, engine.Examples.Count);
    }

    [Fact]
    public void Events_outside_every_zone_or_misaligned_are_skipped_and_counted()
    {
        var (zone, engine) = HalfFree();
        Assert.Equal(ReplayEffectKind.Skipped, engine.Apply(Ev(TraceEventKind.Free, 2048)).Kind);
        Assert.Equal(ReplayEffectKind.Skipped, engine.Apply(Ev(TraceEventKind.Free, 4096, order: 1)).Kind);
        Assert.Equal(ReplayEffectKind.Skipped, engine.Apply(Ev(TraceEventKind.Free, 1025, order: 1)).Kind);
        Assert.Equal((2L, 1L), (engine.OutsideGuest, engine.Misaligned));
        Assert.Equal(1024, zone.FreePages);
    }

    [Fact]
    public void An_event_on_a_block_lent_to_the_device_waits_with_the_zones_later_events_until_the_batch_returns()
    {
        var (zone, engine) = HalfFree();
        // Eight more free pages, so that lending the order-10 block keeps the zone above min + 1024 (R9).
        engine.Apply(Ev(TraceEventKind.Free, 8, order: 3));
        engine.Apply(Ev(TraceEventKind.PcpuDrain, 8, order: 3));
        Assert.True(zone.TryIsolate(1024, 10));

        var waiting = engine.Apply(Ev(TraceEventKind.AllocZoneLocked, 1024, refill: true));
        Assert.Equal(ReplayEffectKind.Deferred, waiting.Kind);
        // A later event of the same zone keeps its place behind it, even one that touches no lent block.
        Assert.Equal(ReplayEffectKind.Deferred, engine.Apply(Ev(TraceEventKind.Free, 16, order: 3)).Kind);
        Assert.Equal(ReplayEffectKind.Deferred, engine.Apply(Ev(TraceEventKind.Alloc, 1024)).Kind);
        Assert.Equal(3, engine.DeferredCount(0));
        Assert.Equal(1, engine.Conflicts(ReplayConflictKind.HeldByDevice));
        Assert.Null(engine.CheckInvariants());

        var effects = new List<ReplayEffect>();
        engine.ApplyDeferred(0, effects);
        Assert.Empty(effects);
        Assert.Equal(3, engine.DeferredCount(0));

        Assert.True(zone.PutBack(1024, 10, flagReported: true));
        engine.ApplyDeferred(0, effects);
        Assert.Equal([ReplayEffectKind.None, ReplayEffectKind.None, ReplayEffectKind.GivenToUser], effects.Select(e => e.Kind));
        Assert.False(engine.HasDeferred(0));
        Assert.Equal((1031L, 8L, 0L), (zone.FreePages, engine.PcpPages(0), zone.IsolatedPages));
        Assert.Null(engine.CheckInvariants());
    }

    [Fact]
    public void A_feed_applies_events_up_to_the_hosts_clock_and_refuses_a_trace_without_events()
    {
        var (zone, engine) = HalfFree();
        var text = ReplayKit.Line(1.0, "mm_page_alloc_zone_locked: page=0 pfn=0x400 order=0 migratetype=1 percpu_refill=1") +
                   ReplayKit.Line(1.0, "mm_page_alloc: page=0 pfn=0x400 order=0 migratetype=1 gfp_flags=GFP_KERNEL") +
                   ReplayKit.Line(2.5, "mm_page_free: page=0 pfn=0x400 order=0");
        using var feed = new ReplayFeed(ReplayKit.ReaderOf(text), engine);
        Assert.Equal(1_000_000_000, feed.NextEventNanos);
        Assert.Equal(0, feed.ApplyThrough(999_999_999));
        var seen = new List<ReplayEffectKind>();
        Assert.Equal(2, feed.ApplyThrough(2_000_000_000, (_, effect) => seen.Add(effect.Kind)));
        Assert.Equal([ReplayEffectKind.None, ReplayEffectKind.GivenToUser], seen);
        Assert.Equal(2_500_000_000, feed.NextEventNanos);
        Assert.Equal(1, feed.ApplyThrough(long.MaxValue));
        Assert.Null(feed.NextEventNanos);
        Assert.Equal((1023L, 1L), (zone.FreePages, engine.PcpPages(0)));

        var error = Assert.Throws<ReplayInputException>(() => new ReplayFeed(ReplayKit.ReaderOf("# tracer: nop\n"), engine));
        Assert.Contains("none of the events", error.Message);
    }
}
