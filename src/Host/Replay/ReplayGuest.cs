using System.Text.Json;
using System.Text.Json.Nodes;
using PageReportingActors.Host.Scenarios;

namespace PageReportingActors.Host.Replay;

/// <summary>
/// The <c>--guest</c> file of a replay: a scenario whose workload holds only <c>register</c>,
/// <c>unregister</c>, <c>setOrder</c> and <c>stop</c>; the trace is the rest of the workload.
/// </summary>
/// <remarks>
/// The zones' per-CPU description (<c>guest.kernel</c>, <c>guest.cpus</c>, <c>zones[].pcp</c>,
/// <c>managedPages</c>, <c>protection</c>) is read here and taken out before the scenario is parsed:
/// in a replay the trace says which pages sit on which CPU's list, so the zones' own per-CPU lists
/// stay off; only whether a zone keeps per-CPU pages at all (<c>pcp.high</c> above 0) is used.
/// </remarks>
internal sealed record ReplayGuest(Scenario Scenario, IReadOnlyList<bool> ZoneHasCpuLists)
{
    public static readonly IReadOnlyList<string> AllowedOperations = ["register", "unregister", "setOrder", "stop"];

    public static ReplayGuest LoadFile(string path)
    {
        if (!File.Exists(path)) throw new ScenarioException("--guest", $"file not found: {path}");
        return Parse(JsonInput.ReadFileText(path, "guest"));
    }

    public static ReplayGuest Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        // One parse, checked as every input is; the tree is edited, then read as a scenario.
        var document = JsonInput.ParseObject(json);
        if (document["workload"] is JsonArray workload)
        {
            for (var i = 0; i < workload.Count; i++)
            {
                if (workload[i] is not JsonObject step || step["op"] is not JsonValue op || !op.TryGetValue<string>(out var name)) continue;
                if (!AllowedOperations.Contains(name))
                    throw new ScenarioException($"workload[{i}].op",
                        $"\"{name}\" is not allowed in a replay's guest: the trace is the workload (allowed: {string.Join(", ", AllowedOperations)})");
            }
        }

        var hasCpuLists = new List<bool>();
        if (document["guest"] is JsonObject guest)
        {
            if (guest["zones"] is JsonArray zones)
            {
                for (var i = 0; i < zones.Count; i++)
                {
                    if (zones[i] is not JsonObject zone) continue;
                    hasCpuLists.Add(KeepsCpuPages(zone["pcp"], $"guest.zones[{i}].pcp.high"));
                    zone.Remove("pcp");
                    zone.Remove("managedPages");
                    zone.Remove("protection");
                }
            }
        }
        var parsed = ScenarioParser.Parse(JsonSerializer.SerializeToElement(document));
        // The trace says when pages move on and off the per-CPU lists: the zones' own per-CPU lists
        // stay off, or the allocator would move pages a second time by the kernel's rules.
        var scenario = parsed with { Zones = parsed.Zones.Select(z => z with { Kernel = null }).ToList() };
        while (hasCpuLists.Count < scenario.Zones.Count) hasCpuLists.Add(true);
        return new ReplayGuest(scenario, hasCpuLists);
    }

    /// <summary>A zone keeps per-CPU pages unless its <c>pcp.high</c> is 0 (the DMA zone).</summary>
    private static bool KeepsCpuPages(JsonNode? pcp, string path)
    {
        if (pcp is null) return true;
        if (pcp is not JsonObject o) throw new ScenarioException(path[..^5], $"{pcp.ToJsonString()} is not an object");
        if (o["high"] is not { } high) return true;
        if (high is not JsonValue v || !v.TryGetValue<long>(out var value) || value < 0 || value > int.MaxValue)
            throw new ScenarioException(path, $"{high.ToJsonString()} is not a count of pages");
        return value > 0;
    }
}
