namespace PageReportingActors.Host.Fleet;

/// <summary>A fleet file, parsed and validated: every guest ready to run.</summary>
internal sealed record Fleet(
    string Name,
    int Seed,
    TimeSpan Duration,
    TimeSpan Sample,
    long? HostMemoryBytes,
    IReadOnlyList<FleetGuest> Guests)
{
    /// <summary>Every guest with these unit costs (<c>--costs</c>), written into the scenario it carries.</summary>
    public Fleet WithCosts(PageReportingActors.Hypervisor.UnitCosts costs) => this with
    {
        Guests = Guests.Select(g => g with
        {
            Definition = g.Definition with { ScenarioJson = Scenarios.ScenarioHost.WithCosts(g.Definition.ScenarioJson, costs) },
        }).ToList(),
    };

    /// <summary>The fleet's sample instants, 0 to <see cref="Duration"/> inclusive.</summary>
    public IEnumerable<TimeSpan> SampleTimes()
    {
        for (var t = TimeSpan.Zero; t <= Duration; t += Sample) yield return t;
    }

    public int SampleCount => (int)(Duration.Ticks / Sample.Ticks) + 1;
}

/// <summary>One guest: how to run it, and what the fleet's figures need to know of it.</summary>
internal sealed record FleetGuest(GuestDefinition Definition, long MemoryBytes);
