using System.Diagnostics;
using PageReportingActors.Host.Fleet;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;

namespace PageReportingActors.Benchmarks;

/// <summary>
/// A fleet file run on one node, as <c>fleet</c> runs it: guest-seconds per wall second and per
/// CPU second, the process's peak memory, and what one guest of the fleet costs alone (wall time
/// stepped through every sample, and where that time goes: starting its simulation, advancing it,
/// sampling it, stopping it). <c>--guests N</c> runs only the first N guests, to keep the run short.
/// <c>--idle N</c> also holds N guests of the first entry started and idle, and prints the managed
/// heap they take beyond the allocator's 9 bytes per modeled page: the fixed cost per guest.
/// </summary>
internal static class FleetMode
{
    public static async Task Run(string path, int? guests, int nodes, int idle)
    {
        var fleet = FleetParser.ParseFile(path);
        if (guests is { } n && n < fleet.Guests.Count) fleet = fleet with { Guests = fleet.Guests.Take(n).ToList() };
        var first = fleet.Guests[0].Definition;

        // Warm-up, so JIT is not counted: one short guest alone.
        await ScenarioRunner.RunAsync(BuiltInScenarios.Load(BuiltInScenarios.DefaultName), new RunOptions(TimeSpan.FromSeconds(1), ""));
        OneGuest(first);

        if (idle > 0) IdleGuests(first, idle);

        using var self = Process.GetCurrentProcess();
        var cpuBefore = self.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var result = await FleetRunner.RunAsync(fleet, new FleetClusterOptions(nodes));
        var wall = clock.Elapsed.TotalSeconds;
        var s = result.Summary;
        self.Refresh();
        var cpu = (self.TotalProcessorTime - cpuBefore).TotalSeconds;
        Console.WriteLine("| fleet | guests | nodes | cores | guest-seconds | wall s | guest-s per wall s | CPU s (this process) | guest-s per CPU s | peak working set |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        Console.WriteLine($"| {fleet.Name} | {fleet.Guests.Count} | {nodes} | {Environment.ProcessorCount} | {s.GuestSeconds:F0} | {wall:F1} | {s.GuestSeconds / wall:F0} | {cpu:F1} | {s.GuestSeconds / cpu:F0} | {self.PeakWorkingSet64 / (1 << 20)} MiB |");
        Console.WriteLine($"guest steps at once per process: {Environment.ProcessorCount}; load average {LoadAverage()}");
    }

    /// <summary>One guest stepped alone through the fleet's samples, timed by part.</summary>
    private static void OneGuest(GuestDefinition definition)
    {
        var scenario = definition.ToScenario();
        var clock = Stopwatch.StartNew();
        var simulation = GuestSimulation.Start(scenario, keepTimeline: false);
        var start = clock.Elapsed;
        TimeSpan advance = TimeSpan.Zero, sample = TimeSpan.Zero;
        for (var t = TimeSpan.Zero; t <= definition.Stop; t += definition.Sample)
        {
            var before = clock.Elapsed;
            simulation.AdvanceTo(t);
            var advanced = clock.Elapsed;
            simulation.Sample();
            sample += clock.Elapsed - advanced;
            advance += advanced - before;
        }
        var beforeStop = clock.Elapsed;
        simulation.Dispose();
        var stop = clock.Elapsed - beforeStop;
        var seconds = definition.Stop.TotalSeconds;
        Console.WriteLine($"one guest alone ({seconds:F0} virtual s): {clock.Elapsed.TotalSeconds:F2} s wall = {seconds / clock.Elapsed.TotalSeconds:F0} guest-s per wall s; "
            + $"start {start.TotalMilliseconds:F0} ms, advance {advance.TotalMilliseconds:F0} ms, sample {sample.TotalMilliseconds:F0} ms, stop {stop.TotalMilliseconds:F0} ms");
    }

    /// <summary>N guests started and idle (advanced to their first instant): the managed heap they hold beyond 9 bytes per page.</summary>
    private static void IdleGuests(GuestDefinition definition, int count)
    {
        var scenario = definition.ToScenario() with { Workload = [new StopStep(definition.Stop)] };
        var pages = scenario.Zones.Sum(z => z.Pages);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var held = new List<GuestSimulation>(count);
        for (var i = 0; i < count; i++)
        {
            var simulation = GuestSimulation.Start(scenario);
            simulation.AdvanceTo(TimeSpan.Zero);
            held.Add(simulation);
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var heap = GC.GetTotalMemory(forceFullCollection: true) - before;
        var fixedPerGuest = (heap - count * pages * 9.0) / count;
        Console.WriteLine($"{count} idle guests of {pages} pages: managed heap {heap / (1 << 20)} MiB = {heap / (double)(count * pages):F2} B per modeled page; "
            + $"beyond 9 B per page: {fixedPerGuest / 1024:F0} KiB per guest");
        foreach (var simulation in held) simulation.Dispose();
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
