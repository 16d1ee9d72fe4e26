using PageReportingActors.Host.Scenarios;

namespace PageReportingActors.Host.Simulation;

/// <summary>Runs a scenario's guest, device and hypervisor on virtual time.</summary>
public static class ScenarioRunner
{
    public static Task<RunResult> RunAsync(Scenario scenario, RunOptions options, CancellationToken cancellationToken = default)
        => throw new NotImplementedException("the simulation is being written");
}
