using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace PageReportingActors.Host.Fleet;

/// <summary>How a fleet node listens and how quickly the cluster gives up on a silent member.</summary>
/// <param name="Port">0: any free port.</param>
/// <param name="StableAfter">The split-brain resolver's stable-after: how long membership must be still before an unreachable member is downed.</param>
/// <param name="Coordinates">The fleet's own node (the <c>fleet</c> or <c>sweep</c> process), which the other nodes exit without.</param>
internal sealed record FleetNodeOptions(string Host, int Port, TimeSpan StableAfter, bool Coordinates = false)
{
    /// <summary>
    /// Guest steps running at once on this node: one per core keeps every core busy without piling
    /// simulations onto the thread pool the cluster also needs.
    /// </summary>
    public int Simulations { get; init; } = Environment.ProcessorCount;
}

/// <summary>
/// One member of a fleet's cluster: an actor system on real time with Akka.Cluster, the
/// split-brain resolver (keep-majority) and the guests' shard region. Guests do not run on this
/// system's scheduler: each guest's simulation has its own actor system and virtual clock, so
/// gossip, failure detection and Sharding keep real time while guests keep theirs.
/// </summary>
internal sealed class FleetNode : IAsyncDisposable
{
    public const string SystemName = "page-reporting-fleet";
    public const string RegionName = "guests";

    /// <summary>The cluster role of the node that runs the fleet's coordinator.</summary>
    public const string CoordinatorRole = "fleet";

    /// <summary>Every fleet node says the version of this assembly, whatever program hosts it.</summary>
    public static readonly string AppVersion = typeof(FleetNode).Assembly.GetName().Version?.ToString(3) ?? "1.0.0";

    private readonly IHost _host;

    private FleetNode(IHost host, ActorSystem system, IActorRef guests)
    {
        _host = host;
        System = system;
        Guests = guests;
    }

    public ActorSystem System { get; }

    /// <summary>The guests' shard region on this node.</summary>
    public IActorRef Guests { get; }

    public Cluster Cluster => Cluster.Get(System);

    /// <summary>"host:port", as fleet.json names nodes.</summary>
    public string Name => $"{Cluster.SelfAddress.Host}:{Cluster.SelfAddress.Port}";

    public static async Task<FleetNode> StartAsync(FleetNodeOptions options, Func<string, Props>? entityProps = null, CancellationToken cancellationToken = default)
    {
        // Shared by this node's guests; not disposed, as a step may still hold it while the node stops.
        var simulations = new SemaphoreSlim(Math.Max(1, options.Simulations));
        var host = new HostBuilder()
            .ConfigureServices(services => services
                // SIGINT and SIGTERM belong to the host program, which stops the node with its command;
                // the console lifetime would take them too and stop the application from the signal handler.
                .AddSingleton<IHostLifetime, Cli.NoSignalLifetime>()
                .AddAkka(SystemName, builder =>
            {
                builder
                    .AddHocon(Hocon(options), HoconAddMode.Prepend)
                    .WithRemoting(options.Host, options.Port)
                    .WithClustering(new ClusterOptions
                    {
                        SplitBrainResolver = new KeepMajorityOption(),
                        AppVersion = AppVersion,
                        Roles = options.Coordinates ? [CoordinatorRole] : [],
                    })
                    .WithShardRegion<GuestEntityActor>(
                        RegionName,
                        entityProps ?? (_ => GuestEntityActor.Props(simulations)),
                        new GuestMessageExtractor(),
                        new ShardOptions
                        {
                            // A guest's state is its run, which its definition rebuilds: nothing to remember.
                            RememberEntities = false,
                            // An entity waits idle while other guests' runs are made; passivating it would throw its run away.
                            ShouldPassivateIdleEntities = false,
                            StateStoreMode = Akka.Cluster.Sharding.StateStoreMode.DData,
                        });
            }))
            .Build();
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        var system = host.Services.GetRequiredService<ActorSystem>();
        var guests = host.Services.GetRequiredService<ActorRegistry>().Get<GuestEntityActor>();
        return new FleetNode(host, system, guests);
    }

    private static string Hocon(FleetNodeOptions options) => $$"""
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.cluster.log-info = off
        akka.remote.log-remote-lifecycle-events = off
        # Sharding places shards on the members with the newest app version, which defaults to the entry
        # assembly's: a process that embeds the fleet (a test runner) would otherwise take every guest.
        akka.cluster.app-version = "{{AppVersion}}"
        akka.cluster.split-brain-resolver.stable-after = {{(int)Math.Ceiling(options.StableAfter.TotalMilliseconds)}}ms
        akka.cluster.sharding.passivate-idle-entity-after = off
        # A guest's definition carries its scenario's text, which may be as large as a scenario file may be.
        akka.remote.dot-netty.tcp.maximum-frame-size = {{MaxFrameBytes}}b
        akka.coordinated-shutdown.exit-clr = off
        # Akka's own SIGINT/SIGTERM hook would run the whole shutdown (cluster leave, sharding hand-off)
        # inside the signal handler before the host program's handler, which stops the command, runs.
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        {{SerializationHocon}}
        """;

    /// <summary>The largest scenario file and room for the rest of the definition.</summary>
    private const long MaxFrameBytes = Scenarios.ScenarioBounds.MaxFileBytes + (1L << 20);

    /// <summary>
    /// The fleet's messages bound to their own serializer, as Akka.Cluster.Sharding binds its own
    /// in its reference configuration.
    /// </summary>
    public const string SerializationHocon = """
        akka.actor.serializers.page-reporting-fleet = "PageReportingActors.Host.Fleet.FleetMessageSerializer, PageReportingActors.Host"
        akka.actor.serialization-bindings {
          "PageReportingActors.Host.Fleet.IFleetMessage, PageReportingActors.Host" = page-reporting-fleet
        }
        akka.actor.serialization-identifiers {
          "PageReportingActors.Host.Fleet.FleetMessageSerializer, PageReportingActors.Host" = 7310
        }
        """;

    /// <summary>Joins the cluster at <paramref name="seed"/> (host:port), or starts a new one when it is this node.</summary>
    public void Join(string? seed)
    {
        Cluster.Join(seed is null ? Cluster.SelfAddress : new Address("akka.tcp", SystemName, SplitHost(seed).Host, SplitHost(seed).Port));
    }

    /// <summary>Waits until <paramref name="members"/> members are Up, as the cluster announces them.</summary>
    public async Task WaitForMembersAsync(int members, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watcher = System.ActorOf(MembersUpActor.Props(members, up));
        try
        {
            await up.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            System.Stop(watcher);
            throw new TimeoutException($"{Cluster.State.Members.Count(m => m.Status == MemberStatus.Up)} of {members} fleet nodes joined within {timeout.TotalSeconds:0} s");
        }
        catch (OperationCanceledException)
        {
            System.Stop(watcher);
            throw;
        }
    }

    /// <summary>Waits until this node is Up in the cluster it joined; a <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public async Task WaitForSelfUpAsync(string seed, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Cluster.SelfMember.Status != MemberStatus.Up)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"--join: no fleet at {seed} took this node within {Scenarios.Durations.Format(timeout)} (nothing listens there, or its fleet has finished)");
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Completes once the fleet's own node (<see cref="CoordinatorRole"/>), seen Up, is down or gone
    /// from the cluster without this node having been asked to leave: its process was stopped or died.
    /// </summary>
    public async Task WaitForCoordinatorGoneAsync(CancellationToken cancellationToken)
    {
        var seen = false;
        while (true)
        {
            var state = Cluster.State;
            var coordinator = state.Members.FirstOrDefault(m => m.HasRole(CoordinatorRole));
            seen |= coordinator is { Status: MemberStatus.Up };
            var dismissed = Cluster.SelfMember.Status is MemberStatus.Leaving or MemberStatus.Exiting or MemberStatus.Removed;
            if (seen && !dismissed && coordinator is null or { Status: MemberStatus.Down or MemberStatus.Removed }) return;
            await Task.Delay(250, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits until <paramref name="count"/> shard regions are registered with Sharding's coordinator:
    /// shards are placed when first used, so a region that registers late would get none.
    /// </summary>
    public async Task WaitForRegionsAsync(int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var seen = 0;
        while (true)
        {
            try
            {
                var regions = await Guests.Ask<CurrentRegions>(GetCurrentRegions.Instance, TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
                seen = regions.Regions.Count;
                if (seen >= count) return;
            }
            catch (AskTimeoutException)
            {
                // The coordinator is still starting.
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{seen} of {count} fleet nodes registered their guests' shard region within {timeout.TotalSeconds:0} s");
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Asks every other member to leave, and waits (briefly) until they have.</summary>
    public async Task DismissOthersAsync(TimeSpan timeout)
    {
        // Members leaving at the end is the plan, not news: keep their disassociation warnings off the console.
        System.EventStream.SetLogLevel(Akka.Event.LogLevel.ErrorLevel);
        var self = Cluster.SelfAddress;
        foreach (var member in Cluster.State.Members.Where(m => m.Address != self)) Cluster.Leave(member.Address);
        var deadline = DateTime.UtcNow + timeout;
        while (Cluster.State.Members.Any(m => m.Address != self) && DateTime.UtcNow < deadline)
            await Task.Delay(100).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops this node at once, for a fleet that was stopped: its guests' runs are thrown away, so
    /// the graceful steps (shard hand-off, leaving the cluster) would only make the stop late. The
    /// other members see it unreachable and exit on their own.
    /// </summary>
    public Task StopNowAsync() =>
        CoordinatedShutdown.Get(System).Run(StoppedReason.Instance, CoordinatedShutdown.PhaseBeforeActorSystemTerminate);

    /// <summary>Why a node stopped without leaving: its fleet was stopped.</summary>
    private sealed class StoppedReason : CoordinatedShutdown.Reason
    {
        public static readonly StoppedReason Instance = new();

        public override int ExitCode => Cli.HostProgram.ExitInterrupted;
    }

    public static (string Host, int Port) SplitHost(string hostPort)
    {
        var colon = hostPort.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(hostPort[(colon + 1)..], global::System.Globalization.NumberStyles.None, global::System.Globalization.CultureInfo.InvariantCulture, out var port) || port > 65535)
            throw new Cli.UsageException($"\"{hostPort}\" is not HOST:PORT");
        return (hostPort[..colon], port);
    }

    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _host.StopAsync(stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _host.Dispose();
    }
}
