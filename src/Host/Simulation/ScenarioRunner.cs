using System.Diagnostics;
using PageReportingActors.Host.Scenarios;

namespace PageReportingActors.Host.Simulation;

/// <summary>
/// Runs a scenario's guest, device and hypervisor on virtual time from start to stop, one timeline
/// sample at a time (<see cref="GuestSimulation.RunToStop"/> does the work).
/// </summary>
internal static class ScenarioRunner
{
    public static Task<RunResult> RunAsync(Scenario scenario, RunOptions options, CancellationToken cancellationToken = default) =>
        Task.Run(() => Run(scenario, options, cancellationToken), cancellationToken);

    private static RunResult Run(Scenario scenario, RunOptions options, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        var wall = Stopwatch.StartNew();
        using var simulation = GuestSimulation.Start(scenario, cancellation: cancellation);
        simulation.RunToStop(options);
        return simulation.BuildResult(wall.Elapsed.TotalSeconds);
    }
}
