using System.Text;
using PageReportingActors.Allocator;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using Xunit;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Tests.Plain;

/// <summary>Small builders and probes shared by the plain tests.</summary>
internal static class PlainZoneKit
{
    public static readonly Watermarks NoWatermarks = new(0, 0, 0);

    /// <summary>The migratetypes a pass visits, in the order it visits them (R8).</summary>
    public static readonly Migratetype[] WalkedTypes =
        [Migratetype.Unmovable, Migratetype.Movable, Migratetype.Reclaimable, Migratetype.HighAtomic, Migratetype.Cma];

    /// <summary>A zone that is free from end to end: order-10 blocks on the Movable list in pfn order.</summary>
    public static ZoneFreeArea AllFree(long pages, long startPfn = 0, Watermarks? watermarks = null, string name = "Z") =>
        new(new ZoneSpec(name, startPfn, pages, pages, watermarks ?? NoWatermarks));

    /// <summary>
    /// <paramref name="blocks"/> free order-10 blocks and a spare free order-8 block after them. Without the
    /// spare, the last order-10 block could not be isolated with min 0: free pages would be exactly 0 + 1024 (R9).
    /// </summary>
    public static ZoneFreeArea Reportable(int blocks, long startPfn = 0, string name = "Z") =>
        AllFree(blocks * 1024L + 256, startPfn, name: name);

    public static long[] List(ZoneFreeArea zone, int order, Migratetype type = Migratetype.Movable) =>
        zone.ListBlocks(order, type).ToArray();

    /// <summary>pfns start, start + step, ... (count of them).</summary>
    public static long[] Pfns(long start, int count, long step = 1 << MaxOrder) =>
        Enumerable.Range(0, count).Select(i => start + i * step).ToArray();

    public static Block[] Blocks(int order, params long[] pfns) => pfns.Select(p => new Block(p, order)).ToArray();

    /// <summary>Flags one free block Reported the way a successful report does (it moves to the tail).</summary>
    public static void Flag(ZoneFreeArea zone, long pfn, int order)
    {
        Assert.True(zone.TryIsolate(pfn, order), $"could not isolate pfn {pfn} order {order}");
        Assert.True(zone.PutBack(pfn, order, flagReported: true), $"pfn {pfn} order {order} merged on its way back");
    }

    /// <summary>Everything observable about a zone, as text, so that "nothing changed" is one comparison.</summary>
    public static string Snapshot(ZoneFreeArea zone)
    {
        var text = new StringBuilder();
        text.Append($"free {zone.FreePages} isolated {zone.IsolatedPages} allocated {zone.AllocatedPages} ")
            .Append($"reserved {zone.ReservedPages} reported {zone.ReportedPages}\n");
        foreach (var (block, kind, reported) in zone.Blocks())
            text.Append($"{block.Pfn}/{block.Order}/{kind}{(reported ? "/R" : "")} ");
        text.Append('\n');
        for (var order = 0; order <= MaxOrder; order++)
        {
            text.Append($"nr{order}={zone.NrFree(order)} ");
            foreach (var type in Enum.GetValues<Migratetype>())
                text.Append($"{type}:[{string.Join(',', zone.ListBlocks(order, type))}] ");
            text.Append('\n');
        }
        for (var pb = zone.StartPfn >> PageblockOrder; pb <= (zone.EndPfn - 1) >> PageblockOrder; pb++)
            text.Append((int)zone.PageblockTypeOf(Math.Max(zone.StartPfn, pb << PageblockOrder)));
        for (var cpu = 0; cpu < zone.Cpus; cpu++)
        {
            text.Append($"\ncpu {cpu} {zone.PerCpuState(cpu)} ");
            foreach (var order in new[] { 0, 1, 2, 3, PageblockOrder })
                foreach (var type in new[] { Migratetype.Unmovable, Migratetype.Movable, Migratetype.Reclaimable })
                    text.Append($"{order}{type}:[{string.Join(',', zone.PerCpuListBlocks(cpu, order, type))}] ");
        }
        return text.ToString();
    }

    /// <summary>One report a walk made, with the device's answer.</summary>
    public sealed record WalkReport(IReadOnlyList<Block> Batch, bool IsLeftover, bool Succeeded);

    /// <summary>Drives a walk to its end, asking <paramref name="device"/> about each batch.</summary>
    public static (List<WalkReport> Reports, ZoneReportingWalk Walk, WalkStep Last) RunWalk(
        ZoneFreeArea zone, PassSettings settings, Func<IReadOnlyList<Block>, bool>? device = null)
    {
        var walk = new ZoneReportingWalk(zone, settings);
        var reports = new List<WalkReport>();
        var step = walk.Advance();
        while (step.Kind == WalkStepKind.Report)
        {
            foreach (var block in step.Batch)
                Assert.True(zone.IsIsolatedBlock(block.Pfn, block.Order), $"{block} is in the batch but not isolated");
            var ok = device?.Invoke(step.Batch) ?? true;
            reports.Add(new WalkReport(step.Batch, step.IsLeftover, ok));
            step = walk.Complete(ok).Next;
        }
        Assert.Equal(0, zone.IsolatedPages);
        Assert.Null(zone.CheckInvariants());
        return (reports, walk, step);
    }
}
