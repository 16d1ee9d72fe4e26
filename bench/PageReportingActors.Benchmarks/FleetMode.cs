using System.Diagnostics;
using PageReportingActors.Host.Fleet;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;

namespace PageReportingActors.Benchmarks;

/// <summary>
/// A fleet file run on one node, as <c>fleet</c> runs it: guest-seconds per wall second, the
/// process's peak memory, and what one guest of the fleet costs alone (wall time, and the managed
/// memory its finished recording keeps). <c>--guests N</c> runs only the first N guests, to keep
/// the benchmark short; the rate does not depend on how many guests wait their turn.
/// </summary>
internal static class FleetMode
{
    public static async Task Run(string path, int? guests, int nodes)
    {
        var fleet = FleetParser.ParseFile(path);
        if (guests is { } n && n < fleet.Guests.Count) fleet = fleet with { Guests = fleet.Guests.Take(n).ToList() };
        var memoryPerGuest = fleet.Guests[0].MemoryBytes;

        // Warm-up, so JIT is not counted: one short guest alone.
        await ScenarioRunner.RunAsync(BuiltInScenarios.Load(BuiltInScenarios.DefaultName), new RunOptions(TimeSpan.FromSeconds(1), ""));

        // One guest alone, both runs (with and without reporting), as a fleet node makes it.
        var one = Stopwatch.StartNew();
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var run = new RecordedGuestRun(fleet.Guests[0].Definition);
        await run.Ready;
        var oneWall = one.Elapsed.TotalSeconds;
        GC.Collect();
        var kept = GC.GetTotalMemory(forceFullCollection: true) - before;
        GC.KeepAlive(run);
        run.Dispose();

        using var self = Process.GetCurrentProcess();
        var cpuBefore = self.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var result = await FleetRunner.RunAsync(fleet, new FleetClusterOptions(nodes));
        var wall = clock.Elapsed.TotalSeconds;
        var s = result.Summary;
        self.Refresh();
        var cpu = (self.TotalProcessorTime - cpuBefore).TotalSeconds;
        Console.WriteLine($"| fleet | guests | nodes | cores | guest-seconds | wall s | guest-s per wall s | CPU s (this process) | guest-s per CPU s | one guest alone: wall s | kept per finished guest | peak working set |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        Console.WriteLine($"| {fleet.Name} | {fleet.Guests.Count} | {nodes} | {Environment.ProcessorCount} | {s.GuestSeconds:F0} | {wall:F1} | {s.GuestSeconds / wall:F0} | {cpu:F1} | {s.GuestSeconds / cpu:F0} | {oneWall:F2} | {kept / 1024.0:F0} KiB | {self.PeakWorkingSet64 / (1 << 20)} MiB |");
        Console.WriteLine($"guest memory {Sizes.Human(memoryPerGuest)} each ({memoryPerGuest >> 12} pages); simulations at once per process: {RecordedGuestRun.Concurrency}");
    }
}
