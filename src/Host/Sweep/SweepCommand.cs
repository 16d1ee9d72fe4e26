using System.ComponentModel;
using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Fleet;
using PageReportingActors.Host.Scenarios;
using Spectre.Console.Cli;

namespace PageReportingActors.Host.Sweep;

/// <summary><c>sweep SCENARIO --order ... --delay ... --capacity ...</c>: one run per combination on the fleet's engine.</summary>
internal static class SweepCommand
{
    internal static async Task<int> RunAsync(FleetCommands.Context context, SweepSettings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Out)) throw new UsageException("--out: is empty");
        if (SweepOutput.TargetProblem(settings.Out) is { } badOut) throw new UsageException($"--out: {badOut}");
        if (!Durations.TryParse(settings.Sample, out var sample))
            throw new UsageException($"--sample: {Durations.Problem(settings.Sample)}");
        if (sample < FleetParser.MinSample)
            throw new UsageException($"--sample: \"{settings.Sample}\" is not a duration of at least {Durations.Format(FleetParser.MinSample)}");
        var options = FleetCommands.ClusterOptions(settings.Nodes, null, null);
        var (scenario, _) = HostProgram.LoadScenario(settings.Scenario);
        // The same choice LoadScenario made: a name that is not path-like and is built in is the built-in.
        var looksLikePath = settings.Scenario.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            || settings.Scenario.Contains('/') || settings.Scenario.Contains(Path.DirectorySeparatorChar);
        var json = !looksLikePath && BuiltInScenarios.Exists(settings.Scenario)
            ? BuiltInScenarios.GetJson(settings.Scenario)
            : File.ReadAllText(settings.Scenario);
        var plan = SweepPlan.Create(json, settings.Order, settings.Delay, settings.Capacity, sample, settings.Backing, ScenarioHost.ReadCostsOption(settings.Costs));

        context.Out.WriteLine($"sweep of \"{scenario.Name}\": {plan.Policies.Count} combinations on {options.Nodes} node(s)");
        if (plan.SetsOrderAfterRegistration)
            context.Out.WriteLine("kernel 6.1 overwrites a configured reporting order at registration (R23): each order is set right after it, as on later kernels");
        var rows = await RunPlanAsync(plan, options, context, cancellationToken).ConfigureAwait(false);
        var (csv, png) = SweepOutput.WriteAll(scenario.Name, rows, settings.Out, cancellationToken);
        context.Out.WriteLine($"Pareto front: {string.Join(", ", rows.Where(r => r.Pareto).Select(r => r.Policy.Label))}");
        context.Out.WriteLine($"written {csv}, {png}");
        return HostProgram.ExitOk;
    }

    private static Task<IReadOnlyList<SweepRow>> RunPlanAsync(SweepPlan plan, FleetClusterOptions options, FleetCommands.Context context, CancellationToken cancellationToken) =>
        FleetCommands.WithProgressAsync(context, "runs", progress => RunAsync(plan, options, progress, cancellationToken),
            LockstepPlan.TotalGuestSeconds(plan.Guests));

    public static async Task<IReadOnlyList<SweepRow>> RunAsync(SweepPlan plan, FleetClusterOptions options, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var times = plan.Times();
        var outcome = await FleetEngine.RunAsync(plan.Guests, times, options, progress, cancellationToken).ConfigureAwait(false);
        return SweepAnalysis.Rows(plan, times, outcome.Lockstep);
    }
}

/// <summary>Arguments of <c>sweep</c>.</summary>
internal sealed class SweepSettings : CommandSettings
{
    [CommandArgument(0, "<SCENARIO>")]
    [Description("A scenario file (FILE.json) or the name of a built-in scenario.")]
    public string Scenario { get; set; } = "";

    [CommandOption("--order <LIST>")]
    [Description("Reporting orders, e.g. 5,7,9 (set as the configured order).")]
    public string? Order { get; set; }

    [CommandOption("--delay <LIST>")]
    [Description("Delays, e.g. 500ms,2s,8s.")]
    public string? Delay { get; set; }

    [CommandOption("--capacity <LIST>")]
    [Description("Entries per report, e.g. 16,32,64.")]
    public string? Capacity { get; set; }

    [CommandOption("--backing <LIST>")]
    [Description("Host backings, e.g. 4KiB,thp,hugetlb-2MiB (one more axis).")]
    public string? Backing { get; set; }

    [CommandOption("--costs <FILE>")]
    [Description("Unit costs (a costs.json that calibrate wrote) for every run.")]
    public string? Costs { get; set; }

    [CommandOption("--sample <DURATION>")]
    [Description("Virtual time between samples of each run.")]
    [DefaultValue("100ms")]
    public string Sample { get; set; } = "100ms";

    [CommandOption("--out <DIR>")]
    [Description("Directory for sweep.csv and sweep.png.")]
    [DefaultValue("./out")]
    public string Out { get; set; } = "./out";

    [CommandOption("--nodes <N>")]
    [Description("Cluster members on this machine, this process included (default 1).")]
    public int? Nodes { get; set; }
}
