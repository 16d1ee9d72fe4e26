using System.ComponentModel;
using System.Diagnostics;
using Akka.Cluster;
using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Sweep;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PageReportingActors.Host.Fleet;

/// <summary>The host's <c>fleet</c>, <c>fleet-node</c> and <c>sweep</c> commands.</summary>
internal static class FleetCommands
{
    public const int MaxNodes = 64;

    internal static void Register(IConfigurator config, TextWriter stdout, IAnsiConsole console, bool interactive, RunProgress progress)
    {
        var context = new Context(stdout, console, interactive, progress);
        config.AddAsyncDelegate<FleetSettings>("fleet", (_, s, ct) => RunFleetAsync(context, s, ct))
            .WithDescription("Runs a fleet of guests on one host, on one node or a cluster, and writes fleet.json, fleet-timeline.csv and fleet.png.")
            .WithExample("fleet", "samples/fleets/web-and-batch.json", "--out", "out/fleet")
            .WithExample("fleet", "samples/fleets/web-and-batch.json", "--nodes", "3");
        config.AddAsyncDelegate<FleetNodeSettings>("fleet-node", (_, s, ct) => RunNodeAsync(s, ct))
            .WithDescription("Joins a fleet's cluster as one more node and runs the guests it is given.")
            .WithExample("fleet-node", "--join", "10.0.0.1:4053");
        config.AddAsyncDelegate<SweepSettings>("sweep", (_, s, ct) => SweepCommand.RunAsync(context, s, ct))
            .WithDescription("Runs a scenario once per combination of reporting order, delay and capacity, and writes sweep.csv and sweep.png.")
            .WithExample("sweep", "default", "--order", "5,7,9", "--delay", "500ms,2s,8s", "--capacity", "16,32,64");
    }

    internal sealed record Context(TextWriter Out, IAnsiConsole Console, bool Interactive, RunProgress Progress);

    internal static FleetClusterOptions ClusterOptions(int? nodes, string? listen, int? expect)
    {
        if (nodes is { } n && (n < 1 || n > MaxNodes)) throw new UsageException($"--nodes: {n} must be in 1..{MaxNodes}");
        if (expect is { } e && (e < 1 || e > MaxNodes)) throw new UsageException($"--expect: {e} must be in 1..{MaxNodes}");
        if (listen is not null && nodes is not null) throw new UsageException("--nodes: give either --nodes or --listen with --expect, not both");
        if (expect is not null && listen is null) throw new UsageException("--expect: needs --listen HOST:PORT");
        if (listen is not null) FleetNode.SplitHost(listen);
        return listen is null ? new FleetClusterOptions(nodes ?? 1) : new FleetClusterOptions(expect ?? 1, listen);
    }

    private static async Task<int> RunFleetAsync(Context context, FleetSettings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Out)) throw new UsageException("--out: is empty");
        if (FleetOutput.TargetProblem(settings.Out) is { } badOut) throw new UsageException($"--out: {badOut}");
        var options = ClusterOptions(settings.Nodes, settings.Listen, settings.Expect);
        if (!File.Exists(settings.Fleet)) throw new UsageException($"fleet file not found: {settings.Fleet}");
        var fleet = FleetParser.ParseFile(settings.Fleet);
        if (ScenarioHost.ReadCostsOption(settings.Costs) is { } costs) fleet = fleet.WithCosts(costs);
        // Nodes started here share this machine's cores with this process.
        if (options.Listen is null) options = options with { Simulations = FleetEngine.LocalShare(options.Nodes) };

        context.Out.WriteLine($"fleet \"{fleet.Name}\": {fleet.Guests.Count} guests, {Durations.Format(fleet.Duration)} sampled every {Durations.Format(fleet.Sample)}, on {options.Nodes} node(s)");
        var result = await WithProgressAsync(context, "guests", progress => FleetRunner.RunAsync(fleet, options, progress, cancellationToken),
                LockstepPlan.TotalGuestSeconds(fleet.Guests.Select(g => g.Definition)))
            .ConfigureAwait(false);
        var files = FleetOutput.WriteAll(result, settings.Out, cancellationToken);
        var s = result.Summary;
        context.Out.WriteLine($"peak host memory {Sizes.Human(s.PeakHostResidentBytes)} with reporting, {Sizes.Human(s.PeakWithoutReportingBytes)} without; returned {Sizes.Human(s.ReturnedBytes)}");
        if (s.OvercommitRatio is { } ratio)
            context.Out.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"guest memory {Sizes.Human(s.GuestMemoryBytes)}, overcommit {ratio:0.00}x, {(s.Fits == true ? "fits" : "does not fit")} in {Sizes.Human(result.HostMemoryBytes!.Value)}"));
        context.Out.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{s.GuestSeconds:0} guest-seconds in {s.WallSeconds:0.0} s ({s.GuestSeconds / Math.Max(s.WallSeconds, 1e-9):0} per second) on {result.Guests.Select(g => g.Node).Distinct().Count()} node(s)"));
        context.Out.WriteLine($"written {files.FleetJson}, {files.TimelineCsv}, {files.Png}");
        return HostProgram.ExitOk;
    }

    private static async Task<int> RunNodeAsync(FleetNodeSettings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Join)) throw new UsageException("--join: needs HOST:PORT");
        FleetNode.SplitHost(settings.Join);
        var (host, port) = FleetNode.SplitHost(settings.Listen);
        var stableAfter = TimeSpan.FromSeconds(5);
        if (settings.StableAfter is { } text && !Durations.TryParse(text, out stableAfter))
            throw new UsageException($"--stable-after: {Durations.Problem(text)}");
        if (stableAfter <= TimeSpan.Zero)
            throw new UsageException($"--stable-after: \"{settings.StableAfter}\" is not a positive duration");
        if (!Durations.TryParse(settings.JoinTimeout, out var joinTimeout) || joinTimeout < MinJoinTimeout || joinTimeout > MaxJoinTimeout)
            throw new UsageException($"--join-timeout: \"{settings.JoinTimeout}\" is not a duration in {Durations.Format(MinJoinTimeout)}..{Durations.Format(MaxJoinTimeout)}");

        if (settings.Simulations is { } simulations && (simulations < 1 || simulations > 1024))
            throw new UsageException($"--simulations: {simulations} must be in 1..1024");
        var nodeOptions = new FleetNodeOptions(host, port, stableAfter) { Simulations = settings.Simulations ?? Environment.ProcessorCount };
        var node = await FleetNode.StartAsync(nodeOptions, cancellationToken: cancellationToken).ConfigureAwait(false);
        var removed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        node.Cluster.RegisterOnMemberRemoved(() => removed.TrySetResult());
        node.Join(settings.Join);

        // Exit with the parent that started us, whatever way it ends.
        var parentGone = settings.ParentPid is { } pid ? WatchParentAsync(pid, cancellationToken) : Task.Delay(Timeout.Infinite, cancellationToken);
        var stop = Task.Delay(Timeout.Infinite, cancellationToken);
        // A seed where nothing listens, or a fleet that has finished, never takes this node: give up.
        var joined = node.WaitForSelfUpAsync(settings.Join, joinTimeout, cancellationToken);
        var ended = await Task.WhenAny(joined, removed.Task, parentGone, stop).ConfigureAwait(false);
        var failure = ended == joined && joined.IsFaulted ? joined.Exception!.GetBaseException().Message : null;
        if (ended == joined && joined.IsCompletedSuccessfully)
        {
            // A fleet whose own node was stopped or died never dismisses this one: go with it.
            var fleetGone = node.WaitForCoordinatorGoneAsync(cancellationToken);
            ended = await Task.WhenAny(removed.Task, parentGone, fleetGone, stop).ConfigureAwait(false);
            if (ended == fleetGone && fleetGone.IsCompletedSuccessfully)
                failure = $"the fleet at {settings.Join} is gone (stopped or died) without dismissing this node";
        }
        // Removed without being dismissed: two members that lost each other, and the split-brain resolver downed this one.
        if (ended == removed.Task && node.Cluster.SelfMember.Status == MemberStatus.Down)
            failure = $"the fleet at {settings.Join} is gone (stopped or died) without dismissing this node";
        // Leave the cluster politely, but never let a stuck shutdown keep an orphan alive.
        var code = failure is not null ? HostProgram.ExitFailure : NodeExitCode(ended == removed.Task, cancellationToken);
        var stopped = node.DisposeAsync().AsTask();
        if (await Task.WhenAny(stopped, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None)).ConfigureAwait(false) != stopped)
        {
            if (failure is not null) await Console.Error.WriteLineAsync(failure).ConfigureAwait(false);
            Environment.Exit(code);
        }
        if (failure is not null) throw new InvalidOperationException(failure);
        // Stopped by Ctrl+C or SIGTERM: the host program's one line and exit code.
        cancellationToken.ThrowIfCancellationRequested();
        return code;
    }

    /// <summary>How long <c>fleet-node</c> tries to join before it gives up: a fleet may start after its nodes.</summary>
    public static readonly TimeSpan MinJoinTimeout = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxJoinTimeout = TimeSpan.FromHours(24);

    /// <summary>0 when the fleet dismissed the node, 130 when Ctrl+C or SIGTERM stopped it, 1 when its parent vanished.</summary>
    private static int NodeExitCode(bool dismissed, CancellationToken cancellationToken) =>
        dismissed ? HostProgram.ExitOk : cancellationToken.IsCancellationRequested ? HostProgram.ExitInterrupted : HostProgram.ExitFailure;

    /// <summary>
    /// Completes when the process <paramref name="pid"/> is gone. Polled: a process that is not our
    /// child cannot be waited on, and its exit must be seen however it ended (killed included).
    /// </summary>
    private static async Task WatchParentAsync(int pid, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                using var parent = Process.GetProcessById(pid);
                if (parent.HasExited) return;
            }
            catch (ArgumentException)
            {
                return;
            }
            catch (InvalidOperationException)
            {
                return;
            }
            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }
    }

    internal static Task<T> WithProgressAsync<T>(Context context, string what, Func<IProgress<double>, Task<T>> run, double guestSeconds) =>
        context.Progress.RunAsync(what, run, guestSeconds);
}

/// <summary>Arguments of <c>fleet</c>.</summary>
internal sealed class FleetSettings : CommandSettings
{
    [CommandArgument(0, "<FLEET>")]
    [Description("A fleet file (FLEET.json); samples/fleets/ in the repository has three to start from.")]
    public string Fleet { get; set; } = "";

    [CommandOption("--out <DIR>")]
    [Description("Directory for fleet.json, fleet-timeline.csv and fleet.png.")]
    [DefaultValue("./out")]
    public string Out { get; set; } = "./out";

    [CommandOption("--nodes <N>")]
    [Description("Cluster members on this machine, this process included (default 1).")]
    public int? Nodes { get; set; }

    [CommandOption("--listen <HOSTPORT>")]
    [Description("Listen on HOST:PORT and wait for --expect N members (fleet-node --join HOST:PORT on other machines).")]
    public string? Listen { get; set; }

    [CommandOption("--expect <N>")]
    [Description("With --listen: members in all, this process included.")]
    public int? Expect { get; set; }

    [CommandOption("--costs <FILE>")]
    [Description("Unit costs (a costs.json that calibrate wrote) instead of the scenario's host.costs or the defaults.")]
    public string? Costs { get; set; }
}

/// <summary>Arguments of <c>fleet-node</c>.</summary>
internal sealed class FleetNodeSettings : CommandSettings
{
    [CommandOption("--join <HOSTPORT>")]
    [Description("HOST:PORT of the fleet process (its --listen).")]
    public string Join { get; set; } = "";

    [CommandOption("--listen <HOSTPORT>")]
    [Description("HOST:PORT this node listens on (port 0: any free port).")]
    [DefaultValue("127.0.0.1:0")]
    public string Listen { get; set; } = "127.0.0.1:0";

    [CommandOption("--parent-pid <PID>", IsHidden = true)]
    public int? ParentPid { get; set; }

    [CommandOption("--stable-after <DURATION>", IsHidden = true)]
    public string? StableAfter { get; set; }

    [CommandOption("--join-timeout <DURATION>")]
    [Description("How long to keep trying to join before giving up (exit 1), e.g. 30s, 10min.")]
    [DefaultValue("60s")]
    public string JoinTimeout { get; set; } = "60s";

    [CommandOption("--simulations <N>")]
    [Description("Guest simulations this node runs at once (default: one per core).")]
    public int? Simulations { get; set; }
}
