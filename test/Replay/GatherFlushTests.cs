using PageReportingActors.Allocator;
using PageReportingActors.Host.Replay;
using PageReportingActors.Memory;
using PageReportingActors.Replay;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Replay;

/// <summary>
/// R21, R24 against the traced guest's madvise loop (22.4 s to 23.4 s of uptime: 1,024 calls, each
/// one batch-page allocation, 64 frees and the batch page's free): the plain allocator, fed the
/// trace's own allocations and frees in order, gives back to the buddy lists what the guest drained,
/// run by run.
/// </summary>
public sealed class GatherFlushTests(ITestOutputHelper output)
{
    private const double LoopStart = 22.4;
    private const double LoopEnd = 23.4;
    // The once-a-second vmstat work that ran in the window (the trace's one drain after the loop).
    private const double VmstatTick = 23.3;

    // The guest's list when the loop starts, as the trace fixes it: its decay drain (1,527 pages)
    // leaves exactly highMin, 13,858, which less the loop's net frees (11,466) gives 3,919; the
    // first flush comes as the count reaches high, at 15,448 (highMax 30,116 after five decays).
    private const long CountAtStart = 3919;
    private const long HighAtStart = 15448;
    private const long HighMax = 30116;

    [Fact]
    public void R24_the_batch_page_allocation_halves_free_count_so_the_madvise_loop_flushes_128_pages_as_the_guest_drained()
    {
        var dma32 = ReplayKit.GuestZones()[1];
        var zone = new ZoneFreeArea(dma32.Spec with
        {
            Kernel = new ZoneKernelSpec(KernelProfile.Linux6_12, 1, new PerCpuSizing(63, dma32.PcpHigh, HighMax, HighAtStart)),
        });
        var events = LoopEvents();
        // What the loop frees was allocated before it (the touch): allocated blocks of the model too.
        var held = new Dictionary<long, Block>();
        var allocatedInLoop = new HashSet<long>();
        foreach (var e in events)
        {
            if (e.Kind == TraceEventKind.Alloc) allocatedInLoop.Add(e.Pfn);
            if (e.Kind != TraceEventKind.Free || allocatedInLoop.Contains(e.Pfn)) continue;
            Assert.Equal(ClaimRefusal.None, zone.Claim(e.Pfn, e.Order));
            held[e.Pfn] = new Block(e.Pfn, e.Order);
        }
        Assert.Equal(65_536, held.Count);
        // The list the touch left: the batch page the loop reuses on the Unmovable list, the rest on
        // the Movable one, and free_count back at 0 after the touch's allocations.
        var batchPage = dma32.Spec.StartPfn;
        zone.SetPageblockType(batchPage, Migratetype.Unmovable);
        var others = Enumerable.Range(0, (int)dma32.Spec.Pages).Select(i => dma32.Spec.StartPfn + PageGeometry.PageblockPages + i)
            .Where(pfn => !held.ContainsKey(pfn) && !allocatedInLoop.Contains(pfn)).Take((int)CountAtStart - 1 + 16);
        foreach (var pfn in others.Prepend(batchPage))
        {
            Assert.Equal(ClaimRefusal.None, zone.Claim(pfn, 0));
            Assert.True(zone.Free(pfn, 0).OnPerCpuList);
        }
        for (var i = 0; i < 16; i++) Assert.True(zone.Allocate(0).Succeeded);
        Assert.Equal(CountAtStart, zone.PerCpuPages);
        Assert.Equal(HighAtStart, zone.PerCpuState(0).High);
        Assert.StartsWith("freeCount 0 ", zone.PerCpuTuning(0));

        var guest = new List<long>();
        var model = new List<long>();
        long run = 0;
        var ticked = false;
        foreach (var e in events)
        {
            if (e.Kind != TraceEventKind.PcpuDrain && run > 0) { guest.Add(run); run = 0; }
            switch (e.Kind)
            {
                case TraceEventKind.Alloc:
                    var got = zone.Allocate(e.Order, (Migratetype)e.Migratetype);
                    Assert.True(got.Succeeded);
                    held[e.Pfn] = got.Block;
                    break;
                case TraceEventKind.Free:
                    var block = held[e.Pfn];
                    held.Remove(e.Pfn);
                    var before = zone.PerCpuPages;
                    Assert.True(zone.Free(block.Pfn, block.Order).OnPerCpuList);
                    if (before + block.Pages > zone.PerCpuPages) model.Add(before + block.Pages - zone.PerCpuPages);
                    break;
                case TraceEventKind.PcpuDrain:
                    if (!ticked && e.Seconds >= VmstatTick)
                    {
                        ticked = true;
                        var pages = zone.PerCpuPages;
                        zone.DecayPerCpuHigh(0);
                        model.Add(pages - zone.PerCpuPages);
                    }
                    run += 1L << e.Order;
                    break;
            }
        }
        if (run > 0) guest.Add(run);

        output.WriteLine("guest: " + string.Join(" ", guest.Take(8)) + " ... " + guest[^1]);
        output.WriteLine("model: " + string.Join(" ", model.Take(8)) + " ... " + model[^1]);
        Assert.Equal(425, guest.Count);
        Assert.Equal(419, guest.Count(r => r == 128));
        Assert.Equal([74, 84, 104, 80, 96], guest.Take(5));
        Assert.Equal(1527, guest[^1]);
        Assert.Equal(guest, model);
        Assert.Equal(dma32.PcpHigh, zone.PerCpuPages);
    }

    private static List<TraceEvent> LoopEvents()
    {
        var events = new List<TraceEvent>();
        using var reader = TraceReader.Open(ReplayKit.TracePath);
        while (reader.TryRead(out var e))
        {
            if (e.Seconds < LoopStart) continue;
            if (e.Seconds > LoopEnd) break;
            // A batched free's second trace, and the refills and drains the allocator does itself.
            if (e.Kind is TraceEventKind.Alloc or TraceEventKind.Free or TraceEventKind.PcpuDrain) events.Add(e);
        }
        return events;
    }
}
