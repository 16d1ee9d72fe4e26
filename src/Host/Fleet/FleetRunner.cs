namespace PageReportingActors.Host.Fleet;

/// <summary>Runs a fleet on its cluster and sums it up: fleet.json's rows and figures.</summary>
internal static class FleetRunner
{
    public static async Task<FleetResult> RunAsync(Fleet fleet, FleetClusterOptions options, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        var times = fleet.SampleTimes().ToList();
        var outcome = await FleetEngine.RunAsync(fleet.Guests.Select(g => g.Definition).ToList(), times, options, progress, cancellationToken)
            .ConfigureAwait(false);
        return Summarize(fleet, times, outcome);
    }

    public static FleetResult Summarize(Fleet fleet, IReadOnlyList<TimeSpan> times, EngineOutcome outcome)
    {
        var samples = outcome.Lockstep.Samples;
        var timeline = times.Select((t, k) => FleetAggregate.Row(t, samples.Select(g => g[k]))).ToList();
        var guests = outcome.Lockstep.Results.Select((r, i) => new FleetGuestRow(r, outcome.Lockstep.Nodes[i])).ToList();
        var summary = FleetAggregate.Summarize(timeline,
            fleet.Guests.Select(g => g.MemoryBytes),
            outcome.Lockstep.Results.Select(r => r.VirtualSeconds),
            fleet.HostMemoryBytes,
            outcome.WallSeconds) with
        {
            HostFaults = outcome.Lockstep.Results.Sum(r => r.HostFaults),
            Refaults = outcome.Lockstep.Results.Sum(r => r.Refaults),
            RefaultBytes = outcome.Lockstep.Results.Sum(r => r.RefaultBytes),
            HostCpuSeconds = outcome.Lockstep.Results.Sum(r => r.HostCpuSeconds),
        };
        return new FleetResult(fleet.Name, fleet.Seed, outcome.Nodes, fleet.HostMemoryBytes, guests, timeline, summary);
    }
}
