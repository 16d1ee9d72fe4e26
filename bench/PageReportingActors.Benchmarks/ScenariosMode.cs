using System.Diagnostics;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;

namespace PageReportingActors.Benchmarks;

/// <summary>
/// (5) Each built-in scenario as the host runs it (100 ms samples): wall time of
/// ScenarioRunner.RunAsync only, after one warm-up run of the default scenario so JIT is not counted.
/// </summary>
internal static class ScenariosMode
{
    public static async Task Run(int repeat)
    {
        var outDir = Path.Combine(Path.GetTempPath(), "pra-bench-scenarios-" + Environment.ProcessId);
        var options = new RunOptions(TimeSpan.FromMilliseconds(100), outDir);
        await ScenarioRunner.RunAsync(BuiltInScenarios.Load(BuiltInScenarios.DefaultName), options);

        Console.WriteLine($"| scenario | virtual s | wall s (median of {repeat}) | virtual s per wall s | passes | reports |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var name in BuiltInScenarios.Names)
        {
            var scenario = BuiltInScenarios.Load(name);
            var walls = new List<double>();
            RunResult? result = null;
            for (var i = 0; i < repeat; i++)
            {
                var clock = Stopwatch.StartNew();
                result = await ScenarioRunner.RunAsync(scenario, options);
                walls.Add(clock.Elapsed.TotalSeconds);
            }
            walls.Sort();
            var wall = walls[walls.Count / 2];
            var s = result!.Summary;
            var failed = s.FailedReports > 0 ? $" ({s.FailedReports} failed)" : "";
            Console.WriteLine($"| {name} | {s.VirtualSeconds:F0} | {wall:F2} | {s.VirtualSeconds / wall:F0} | {s.Passes} | {s.ReportCalls}{failed} |");
        }
    }
}
