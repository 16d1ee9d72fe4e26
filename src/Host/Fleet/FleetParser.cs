using System.Globalization;
using System.Text.Json;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Memory;

namespace PageReportingActors.Host.Fleet;

/// <summary>
/// Reads a fleet file: guests named by scenario (built-in, file relative to the fleet file, or
/// inline), with counts and staggered starts. Every problem is a <see cref="ScenarioException"/>
/// naming the field, as for scenarios, and every scenario is parsed here, so no node ever meets a
/// guest it cannot run.
/// </summary>
internal static class FleetParser
{
    public const int MaxGuests = 100_000;
    public const int MaxSamples = 1_000_000;
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(7);
    public static readonly TimeSpan MinSample = TimeSpan.FromMilliseconds(1);

    /// <summary>Reads a fleet file, bounded as every input file is (<see cref="JsonInput.ReadFileText"/>).</summary>
    public static Fleet ParseFile(string path) =>
        Parse(JsonInput.ReadFileText(path, "fleet"), Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".");

    /// <param name="baseDirectory">Where scenario paths in the file are found.</param>
    public static Fleet Parse(string json, string baseDirectory)
    {
        using var document = JsonInput.Parse(json);
        return Parse(document.RootElement, baseDirectory);
    }

    private static Fleet Parse(JsonElement rootElement, string baseDirectory)
    {
        var root = Fields.Of(rootElement, "");
        root.AllowOnly("name", "description", "seed", "duration", "sample", "hostMemory", "guests");

        // The fleet's name is printed on one line and written into fleet.json: the rules of a scenario's name.
        var name = root.RequiredString("name");
        if (string.IsNullOrWhiteSpace(name)) throw new ScenarioException("name", "is empty");
        if (root.Has("description")) root.RequiredFreeText("description");
        var seed = root.OptionalInt("seed", int.MinValue, int.MaxValue) ?? 1;

        var duration = root.RequiredDuration("duration");
        if (duration <= TimeSpan.Zero) throw new ScenarioException("duration", $"{Durations.Format(duration)} must be positive");
        if (duration > MaxDuration) throw new ScenarioException("duration", $"{Durations.Format(duration)} is over the {Durations.Format(MaxDuration)} maximum");

        var sample = root.OptionalDuration("sample") ?? TimeSpan.FromSeconds(1);
        if (sample < MinSample) throw new ScenarioException("sample", $"{Durations.Format(sample)} is under the {Durations.Format(MinSample)} minimum");
        if (sample > duration) throw new ScenarioException("sample", $"{Durations.Format(sample)} is longer than duration ({Durations.Format(duration)})");
        if (duration.Ticks / sample.Ticks + 1 > MaxSamples)
            throw new ScenarioException("sample", string.Create(CultureInfo.InvariantCulture,
                $"{Durations.Format(sample)} gives more than {MaxSamples} samples over {Durations.Format(duration)}"));

        long? hostMemory = null;
        if (root.Optional("hostMemory") is { } hostElement)
        {
            var bytes = JsonInput.ReadSize(hostElement, "hostMemory");
            if (bytes <= 0) throw new ScenarioException("hostMemory", $"{hostElement.GetRawText()} must be positive");
            hostMemory = bytes;
        }

        var guestsElement = root.Required("guests");
        if (guestsElement.ValueKind != JsonValueKind.Array) throw new ScenarioException("guests", $"{JsonInput.Show(guestsElement)} is not an array");
        if (guestsElement.GetArrayLength() == 0) throw new ScenarioException("guests", "is empty");

        var guests = new List<FleetGuest>();
        var entry = 0;
        foreach (var element in guestsElement.EnumerateArray())
        {
            var path = $"guests[{entry}]";
            var fields = Fields.Of(element, path);
            fields.AllowOnly("scenario", "count", "stagger", "host");
            var (scenarioName, scenarioJson, scenario) = ReadScenario(fields.Required("scenario"), fields.PathOf("scenario"), baseDirectory);
            if (fields.Optional("host") is { } entryHost)
            {
                // The entry's host over the scenario's own: checked by the scenario parser, errors named at the entry.
                var hostPath = fields.PathOf("host");
                scenarioJson = ScenarioHost.With(scenarioJson, ScenarioHost.ReadEntryHost(entryHost, hostPath, baseDirectory));
                try
                {
                    scenario = ScenarioParser.Parse(scenarioJson);
                }
                catch (ScenarioException e) when (e.Path.StartsWith("host", StringComparison.Ordinal))
                {
                    throw new ScenarioException($"{path}.{e.Path}", e.Problem);
                }
            }
            var count = fields.OptionalInt("count", 1, MaxGuests) ?? 1;
            if (guests.Count + count > MaxGuests)
                throw new ScenarioException($"{path}.count", string.Create(CultureInfo.InvariantCulture, $"{count} brings the fleet over {MaxGuests} guests"));
            var stagger = fields.OptionalDuration("stagger") ?? TimeSpan.Zero;
            var lastStart = TimeSpan.FromTicks(Math.Min(stagger.Ticks, MaxDuration.Ticks) * (count - 1));
            if (stagger > MaxDuration || lastStart >= duration)
                throw new ScenarioException($"{path}.stagger", string.Create(CultureInfo.InvariantCulture,
                    $"{Durations.Format(stagger)} starts guest {count - 1} of this entry at or after the fleet's end ({Durations.Format(duration)})"));

            // A scenario's own stop ends the guest; without one it runs to the fleet's end (SCENARIOS.md).
            var ownStop = scenario.StopGiven ? scenario.Workload[^1].At : (TimeSpan?)null;
            var memory = scenario.Zones.Sum(z => PageGeometry.BytesOfPages(z.Pages));
            for (var i = 0; i < count; i++)
            {
                var index = guests.Count;
                var guestSeed = (long)seed + index;
                if (guestSeed > int.MaxValue)
                    throw new ScenarioException("seed", string.Create(CultureInfo.InvariantCulture, $"{seed} + guest number {index} is over {int.MaxValue}"));
                var start = TimeSpan.FromTicks(stagger.Ticks * i);
                var untilEnd = duration - start;
                var stop = ownStop is { } own && own < untilEnd ? own : untilEnd;
                guests.Add(new FleetGuest(
                    new GuestDefinition(index, scenarioName, scenarioJson, (int)guestSeed, start.Ticks, stop.Ticks, sample.Ticks),
                    memory));
            }
            entry++;
        }
        // The coordinator keeps every guest's sample at every instant until the fleet ends.
        if (ScenarioBounds.SampleCellsProblem(guests.Count, duration, sample, "sample", "guests") is { } tooMany)
            throw new ScenarioException("sample", tooMany["sample: ".Length..]);
        return new Fleet(name, seed, duration, sample, hostMemory, guests);
    }

    private static (string Name, string Json, Scenario Scenario) ReadScenario(JsonElement element, string path, string baseDirectory)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
            {
                var json = element.GetRawText();
                try
                {
                    var scenario = ScenarioParser.Parse(element);
                    return (scenario.Name, json, scenario);
                }
                catch (ScenarioException e)
                {
                    throw new ScenarioException(e.Path.Length == 0 ? path : $"{path}.{e.Path}", e.Problem);
                }
            }
            case JsonValueKind.String:
            {
                var text = ScenarioBounds.CheckText(JsonInput.Text(element, path), path);
                if (string.IsNullOrWhiteSpace(text)) throw new ScenarioException(path, "is empty");
                var looksLikePath = text.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || text.Contains('/') || text.Contains(Path.DirectorySeparatorChar);
                string json;
                if (!looksLikePath && BuiltInScenarios.Exists(text))
                {
                    json = BuiltInScenarios.GetJson(text);
                }
                else
                {
                    var file = Path.GetFullPath(Path.Combine(baseDirectory, text));
                    if (!File.Exists(file))
                        throw new ScenarioException(path, looksLikePath
                            ? $"\"{text}\" is not a file (paths are relative to the fleet file)"
                            : $"\"{text}\" is not a built-in scenario ({string.Join(", ", BuiltInScenarios.Names)}) or a file");
                    // The bounds of `run`: a named file is read as a scenario file is, whatever it is (/dev/zero included).
                    json = JsonInput.ReadFileText(file, "scenario", path);
                }
                try
                {
                    var scenario = ScenarioParser.Parse(json);
                    return (scenario.Name, json, scenario);
                }
                catch (ScenarioException e)
                {
                    throw new ScenarioException(path, $"\"{text}\": {e.Message}");
                }
            }
            default:
                throw new ScenarioException(path, $"{JsonInput.Show(element)} is not a scenario name, path or object");
        }
    }
}
