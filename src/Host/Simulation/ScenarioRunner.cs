using System.Diagnostics;
using PageReportingActors.Host.Scenarios;

namespace PageReportingActors.Host.Simulation;

/// <summary>
/// Runs a scenario's guest, device and hypervisor on virtual time from start to stop, one timeline
/// sample at a time (<see cref="GuestSimulation"/> does the work).
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
        var stopAt = simulation.StopAt;
        var lastProgress = -1;
        for (long index = 0; ; index++)
        {
            cancellation.ThrowIfCancellationRequested();
            var at = TimeSpan.FromTicks(options.Sample.Ticks * index);
            if (at > stopAt) break;
            simulation.AdvanceTo(at);
            simulation.Sample();
            var percent = stopAt == TimeSpan.Zero ? 100 : (int)(100 * at.Ticks / stopAt.Ticks);
            if (percent != lastProgress)
            {
                lastProgress = percent;
                options.Progress?.Report(percent / 100.0);
            }
        }
        simulation.AdvanceTo(stopAt);
        return simulation.BuildResult(wall.Elapsed.TotalSeconds);
    }
}
