using System.Diagnostics;
using Akka.Actor;

namespace PageReportingActors.Host.Fleet;

/// <summary>Where the fleet's cluster comes from.</summary>
/// <param name="Nodes">Members in all, this process included; with <see cref="Listen"/> unset, the others are started here.</param>
/// <param name="Listen">HOST:PORT to listen on and wait for <see cref="Nodes"/> - 1 <c>fleet-node</c>s to join; null: 127.0.0.1 on a free port, nodes started here.</param>
internal sealed record FleetClusterOptions(int Nodes = 1, string? Listen = null)
{
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan JoinTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Guest simulations this process steps at once; null: one per core.</summary>
    public int? Simulations { get; init; }

    /// <summary>Called after each sample instant is complete, with the child processes (null when none); null
    /// unless a test sets it, to disturb the cluster at a known instant.</summary>
    internal Action<int, NodeProcesses?>? AfterSample { get; init; }
}

/// <summary>What a lockstep run gave, and on how many nodes.</summary>
internal sealed record EngineOutcome(LockstepOutcome Lockstep, int Nodes, double WallSeconds);

/// <summary>
/// Forms the cluster (this process, plus nodes it starts or that join it), advances the guests
/// in lockstep through the coordinator, and takes the cluster down again.
/// </summary>
internal static class FleetEngine
{
    /// <summary>Simulations at once per node when <paramref name="nodes"/> nodes share this machine's cores.</summary>
    public static int LocalShare(int nodes) => Math.Max(1, Environment.ProcessorCount / Math.Max(1, nodes));

    public static async Task<EngineOutcome> RunAsync(
        IReadOnlyList<GuestDefinition> guests,
        IReadOnlyList<TimeSpan> times,
        FleetClusterOptions options,
        IProgress<double>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(guests);
        ArgumentNullException.ThrowIfNull(options);
        var wall = Stopwatch.StartNew();
        var (host, port) = options.Listen is null ? ("127.0.0.1", 0) : FleetNode.SplitHost(options.Listen);
        var nodeOptions = new FleetNodeOptions(host, port, options.StableAfter, Coordinates: true) { Simulations = options.Simulations ?? Environment.ProcessorCount };
        await using var node = await FleetNode.StartAsync(nodeOptions, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        NodeProcesses? children = null;
        try
        {
            node.Join(null);
            await node.WaitForMembersAsync(1, options.JoinTimeout, cancellationToken).ConfigureAwait(false);
            if (options.Nodes > 1 && options.Listen is null)
                children = NodeProcesses.Start(options.Nodes - 1, node.Name, options.StableAfter, LocalShare(options.Nodes));
            await node.WaitForMembersAsync(options.Nodes, options.JoinTimeout, cancellationToken).ConfigureAwait(false);
            await node.WaitForRegionsAsync(options.Nodes, options.JoinTimeout, cancellationToken).ConfigureAwait(false);

            var done = new TaskCompletionSource<LockstepOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
            var afterSample = options.AfterSample is { } hook ? k => hook(k, children) : (Action<int>?)null;
            var plan = new LockstepPlan(guests, times, options.RetryInterval, progress, afterSample);
            var coordinator = node.System.ActorOf(FleetCoordinatorActor.Props(plan, node.Guests, done), "fleet-coordinator");
            LockstepOutcome outcome;
            try
            {
                outcome = await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                coordinator.Tell(PoisonPill.Instance);
            }
            return new EngineOutcome(outcome, options.Nodes, wall.Elapsed.TotalSeconds);
        }
        finally
        {
            if (cancellationToken.IsCancellationRequested)
            {
                // Stopped: nothing of the run is kept, so nothing is handed off or waited for.
                children?.Dispose();
                await node.StopNowAsync().ConfigureAwait(false);
            }
            else
            {
                await node.DismissOthersAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                children?.Stop(TimeSpan.FromSeconds(5));
            }
        }
    }
}
