using System.Diagnostics;
using PageReportingActors.Allocator;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;

namespace PageReportingActors.Benchmarks;

/// <summary>
/// How cost grows with the guest: for 1..256 GiB, report the guest completely, then make
/// <c>fresh</c> order-10 blocks unreported again (allocate and free them) and time one pass.
/// That pass reports the same blocks at every size; its time should follow the blocks it visits,
/// not the guest. Memory per guest is measured as in <see cref="MemoryMode"/>.
/// </summary>
internal static class ScalingMode
{
    public static readonly long[] Sizes = [1, 4, 16, 64, 256];
    private const int Repeats = 11;

    public static void Run(int fresh)
    {
        Console.WriteLine($"| guest | passes to report it all | blocks on lists | pass with {fresh} fresh order-10 blocks (median of {Repeats}) | reports | blocks reported | managed heap | bytes per page |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var gib in Sizes)
        {
            var (pages, bytes) = MemoryMode.Measure(gib * Zones.GiB);
            var zones = Zones.Guest(gib * Zones.GiB);
            var passes = Zones.ReportCompletely(zones, Zones.DefaultSettings);
            var onLists = zones.Sum(z => Enumerable.Range(0, PageGeometry.OrderCount).Sum(o => z.NrFree(o)));

            var times = new List<double>();
            PassOutcome? outcome = null;
            for (var r = 0; r < Repeats; r++)
            {
                Refresh(zones[^1], fresh);
                var clock = Stopwatch.StartNew();
                outcome = PassRunner.RunPass(zones, Zones.DefaultSettings, static (_, _) => true);
                times.Add(clock.Elapsed.TotalMicroseconds);
            }
            times.Sort();
            var blocks = outcome!.Reports.Sum(r => r.Blocks.Count);
            Console.WriteLine($"| {gib} GiB | {passes} | {onLists:N0} | {times[Repeats / 2]:N0} µs | {outcome.Reports.Count} | {blocks} | {bytes / (double)(1 << 20):N0} MiB | {(double)bytes / pages:F2} |");
        }
    }

    /// <summary>Allocating a reported block clears its flag; freeing it puts it back unreported.</summary>
    private static void Refresh(ZoneFreeArea zone, int count)
    {
        var blocks = new List<Block>(count);
        for (var i = 0; i < count; i++)
        {
            var got = zone.Allocate(PageGeometry.MaxOrder);
            if (!got.Succeeded) throw new InvalidOperationException($"zone {zone.Name}: {got.Failure}");
            blocks.Add(got.Block);
        }
        foreach (var block in blocks) zone.Free(block.Pfn, block.Order);
    }
}
