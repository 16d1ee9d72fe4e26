using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Fleet;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Memory;

namespace PageReportingActors.Host.Sweep;

/// <summary>One policy of a sweep: the configured reporting order (null: the scenario leaves it unset), delay and capacity.</summary>
/// <param name="Backing">The host backing (<c>--backing</c>), or null: the scenario's.</param>
internal sealed record SweepPolicy(int? Order, TimeSpan Delay, int Capacity, string? Backing = null)
{
    public string Label => $"o{(Order is { } o ? o.ToString(CultureInfo.InvariantCulture) : "-")} d{Durations.Format(Delay)} c{Capacity.ToString(CultureInfo.InvariantCulture)}"
        + (Backing is null ? "" : $" {Backing}");
}

/// <summary>A sweep ready to run: the scenario once per combination, each as a guest starting at 0.</summary>
internal sealed record SweepPlan(Scenario Scenario, IReadOnlyList<SweepPolicy> Policies, IReadOnlyList<GuestDefinition> Guests, TimeSpan Sample)
{
    public const int MaxCombinations = 4096;

    /// <summary>
    /// R23: a 6.1 guest's registration overwrites a configured order, so a sweep over order sets it
    /// right after each registration instead, as one writes the module parameter once the driver
    /// has loaded: the order then holds as on later kernels.
    /// </summary>
    public bool SetsOrderAfterRegistration { get; init; }

    /// <summary>The instants every run is sampled at: 0 to the scenario's stop.</summary>
    public IReadOnlyList<TimeSpan> Times()
    {
        var stop = Scenario.Workload[^1].At;
        var times = new List<TimeSpan>();
        for (var t = TimeSpan.Zero; t <= stop; t += Sample) times.Add(t);
        return times;
    }

    /// <param name="scenarioJson">The scenario's text.</param>
    /// <param name="orders">"5,7,9" or null to keep the scenario's.</param>
    /// <param name="backings">"4KiB,thp" or null to keep the scenario's host backing.</param>
    /// <param name="costs">Unit costs for every run (<c>--costs</c>), or null: the scenario's.</param>
    public static SweepPlan Create(string scenarioJson, string? orders, string? delays, string? capacities, TimeSpan sample,
        string? backings = null, PageReportingActors.Hypervisor.UnitCosts? costs = null)
    {
        if (costs is not null) scenarioJson = ScenarioHost.WithCosts(scenarioJson, costs);
        var scenario = ScenarioParser.Parse(scenarioJson);
        var orderValues = orders is null
            ? [scenario.Reporting.Order]
            : List("--order", orders, text => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v <= PageGeometry.MaxOrder ? v : (int?)null,
                $"an order in 0..{PageGeometry.MaxOrder}").Select(v => (int?)v).ToList();
        var delayValues = delays is null
            ? [scenario.Reporting.Delay]
            : List("--delay", delays, text => Durations.TryParse(text, out var d) && d > TimeSpan.Zero && d <= TimeSpan.FromHours(1) ? d : (TimeSpan?)null,
                "a positive duration up to 1h");
        var capacityValues = capacities is null
            ? [scenario.Reporting.Capacity]
            : List("--capacity", capacities, text => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var c) && c >= 1 && c <= ScenarioParser.MaxCapacity ? c : (int?)null,
                $"a capacity in 1..{ScenarioParser.MaxCapacity}");
        var backingValues = backings is null
            ? [null]
            : List("--backing", backings, text => PageReportingActors.Hypervisor.HostBackings.TryParse(text, out var b) ? b : (PageReportingActors.Hypervisor.HostBacking?)null,
                $"a backing ({string.Join(", ", PageReportingActors.Hypervisor.HostBackings.All.Select(b => b.Name))})")
                .Select(b => (string?)PageReportingActors.Hypervisor.HostBackings.Name(b)).ToList();
        var count = (long)orderValues.Count * delayValues.Count * capacityValues.Count * backingValues.Count;
        if (count > MaxCombinations) throw new UsageException($"--order, --delay, --capacity, --backing: {count} combinations; at most {MaxCombinations}");

        var policies = new List<SweepPolicy>();
        foreach (var order in orderValues)
            foreach (var delay in delayValues)
                foreach (var capacity in capacityValues)
                    foreach (var backing in backingValues)
                        policies.Add(new SweepPolicy(order, delay, capacity, backing));

        var stop = scenario.Workload[^1].At;
        // Every run's samples are kept until the sweep ends: a run's timeline as run bounds it, and all of them together.
        if (ScenarioBounds.TimelineProblem(stop, sample) is { } tooLong) throw new UsageException(tooLong);
        if (ScenarioBounds.SampleCellsProblem(policies.Count, stop, sample, "--sample", "combinations") is { } tooMany) throw new UsageException(tooMany);
        var afterRegistration = orders is not null && scenario.Kernel == KernelProfile.Linux6_1;
        var guests = policies.Select((p, i) => new GuestDefinition(i, scenario.Name, WithPolicy(scenarioJson, p, afterRegistration), scenario.Seed, 0, stop.Ticks, sample.Ticks)).ToList();
        return new SweepPlan(scenario, policies, guests, sample) { SetsOrderAfterRegistration = afterRegistration };
    }

    private static List<T> List<T>(string option, string text, Func<string, T?> parse, string what) where T : struct
    {
        var values = new List<T>();
        foreach (var part in text.Split(','))
        {
            var trimmed = part.Trim();
            var value = parse(trimmed) ?? throw new UsageException($"{option}: \"{trimmed}\" is not {what}");
            if (values.Contains(value)) throw new UsageException($"{option}: \"{trimmed}\" is listed twice");
            values.Add(value);
        }
        return values;
    }

    /// <summary>The scenario's text with this policy in its <c>reporting</c> object; the order is the configured order.</summary>
    private static string WithPolicy(string scenarioJson, SweepPolicy policy, bool orderAfterRegistration)
    {
        var root = JsonInput.ParseObject(scenarioJson);
        var reporting = root["reporting"] as JsonObject ?? new JsonObject();
        root["reporting"] = reporting;
        reporting["order"] = policy.Order is { } o ? JsonValue.Create(o) : null;
        reporting["delay"] = Durations.Format(policy.Delay);
        reporting["capacity"] = policy.Capacity;
        if (policy.Backing is { } backing)
        {
            var host = root["host"] as JsonObject ?? new JsonObject();
            root["host"] = host;
            host["backing"] = backing;
        }
        if (orderAfterRegistration && policy.Order is { } order && root["workload"] is JsonArray workload)
        {
            for (var i = workload.Count - 1; i >= 0; i--)
                if (workload[i] is JsonObject step && step["op"]?.GetValue<string>() == "register")
                    workload.Insert(i + 1, new JsonObject { ["at"] = step["at"]?.DeepClone(), ["op"] = "setOrder", ["value"] = order });
        }
        return root.ToJsonString();
    }
}
