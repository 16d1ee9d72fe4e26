using PageReportingActors.Host.Scenarios;

namespace PageReportingActors.Host.Fleet;

/// <summary>
/// Everything a node needs to run one guest, in a form that crosses the wire: the scenario's own
/// JSON text, the seed to run it with, when it starts on the fleet's clock and when it stops on
/// its own. Times are ticks, as <see cref="FleetMessageSerializer"/> writes them.
/// </summary>
/// <param name="Index">The guest's number in the fleet, from 0 in file order.</param>
/// <param name="ScenarioJson">The scenario as written (built-in text, file text or the inline object).</param>
/// <param name="StartTicks">When the guest starts, on the fleet's clock.</param>
/// <param name="StopTicks">When the guest stops, on its own clock: its scenario's stop, or the fleet's end if that comes first or the scenario has none.</param>
/// <param name="SampleTicks">The fleet's sample period.</param>
internal sealed record GuestDefinition(
    int Index,
    string ScenarioName,
    string ScenarioJson,
    int Seed,
    long StartTicks,
    long StopTicks,
    long SampleTicks)
{
    public TimeSpan Start => TimeSpan.FromTicks(StartTicks);
    public TimeSpan Stop => TimeSpan.FromTicks(StopTicks);
    public TimeSpan Sample => TimeSpan.FromTicks(SampleTicks);

    /// <summary>
    /// The scenario this guest runs: its file with this seed and this stop. Run alone with
    /// <see cref="Simulation.ScenarioRunner"/>, it is the guest, step for step.
    /// </summary>
    public Scenario ToScenario()
    {
        var parsed = ScenarioParser.Parse(ScenarioJson);
        // The parser ends every workload with a stop (its own or one it adds): replace it with this guest's.
        var steps = parsed.Workload.Take(parsed.Workload.Count - 1).Where(s => s.At <= Stop).ToList();
        steps.Add(new StopStep(Stop));
        return parsed with { Seed = Seed, Workload = steps };
    }
}
