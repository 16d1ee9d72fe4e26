using PageReportingActors.Allocator;

namespace PageReportingActors.Benchmarks;

/// <summary>
/// (4) Managed heap per modeled 4 KiB page: GC.GetTotalMemory(true) before and after building the
/// ZoneFreeArea objects of a guest (BenchmarkDotNet's allocation column counts allocations, not what stays).
/// </summary>
internal static class MemoryMode
{
    public static readonly long[] Sizes = [1, 16, 256];

    public static void Run()
    {
        Console.WriteLine("| guest | modeled pages | managed heap | bytes per page | target <= 10 |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var gib in Sizes)
        {
            var (pages, bytes) = Measure(gib * Zones.GiB);
            var perPage = (double)bytes / pages;
            Console.WriteLine($"| {gib} GiB | {pages:N0} | {bytes / (double)(1 << 20):N1} MiB | {perPage:F2} | {(perPage <= 10 ? "met" : "MISSED")} |");
        }
    }

    public static (long Pages, long Bytes) Measure(long guestBytes)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var zones = Zones.Guest(guestBytes);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var pages = Zones.Pages(zones);
        GC.KeepAlive(zones);
        return (pages, after - before);
    }
}
