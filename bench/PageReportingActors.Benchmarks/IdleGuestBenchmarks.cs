using BenchmarkDotNet.Attributes;
using PageReportingActors.Allocator;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;

namespace PageReportingActors.Benchmarks;

/// <summary>
/// (3) Reporting an idle 64 GiB guest completely with a device that does nothing: through the
/// actors (the host's idle-64g scenario on virtual time, 16 passes) and through PassRunner alone.
/// </summary>
public class IdleGuestBenchmarks
{
    private Scenario _scenario = null!;
    private string _outDir = null!;
    private ZoneFreeArea[] _zones = null!;

    [GlobalSetup]
    public void Setup()
    {
        _scenario = BuiltInScenarios.Load("idle-64g");
        _outDir = Path.Combine(Path.GetTempPath(), "pra-bench-" + Environment.ProcessId);
    }

    [Benchmark]
    public async Task<int> Idle64G_Actors_ScenarioRunner()
    {
        var result = await ScenarioRunner.RunAsync(_scenario, new RunOptions(TimeSpan.FromSeconds(1), _outDir));
        return result.Summary.Passes;
    }

    // A fresh guest for each run of the pass loop; building it is not timed.
    [IterationSetup(Target = nameof(Idle64G_PassRunner))]
    public void BuildGuest() => _zones = Zones.Guest(64 * Zones.GiB);

    [Benchmark]
    public int Idle64G_PassRunner() => Zones.ReportCompletely(_zones, Zones.DefaultSettings);
}
