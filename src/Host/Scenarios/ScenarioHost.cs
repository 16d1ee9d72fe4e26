using System.Text.Json;
using System.Text.Json.Nodes;
using PageReportingActors.Host.Costs;
using PageReportingActors.Hypervisor;

namespace PageReportingActors.Host.Scenarios;

/// <summary>
/// Puts a <c>host</c> object (a fleet entry's, a sweep's backing, <c>--costs</c>) into a scenario's
/// JSON text. A guest crosses the wire as that text, so a costs file named in it is read here and
/// written in as an object: a node on another machine need not have the file.
/// </summary>
internal static class ScenarioHost
{
    /// <summary>The scenario text with its <c>host</c> fields replaced by those of <paramref name="host"/> (others kept).</summary>
    public static string With(string scenarioJson, JsonObject host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var root = JsonInput.ParseObject(scenarioJson);
        var merged = root["host"] as JsonObject ?? new JsonObject();
        foreach (var (name, value) in host) merged[name] = value?.DeepClone();
        root["host"] = merged;
        return root.ToJsonString();
    }

    /// <summary>The text with <c>host.costs</c> set to these costs, as an object.</summary>
    public static string WithCosts(string scenarioJson, UnitCosts costs) =>
        With(scenarioJson, new JsonObject { ["costs"] = CostsObject(costs) });

    /// <summary>The costs as the object <c>host.costs</c> takes (no spread: the run needs only the figures).</summary>
    public static JsonObject CostsObject(UnitCosts costs)
    {
        ArgumentNullException.ThrowIfNull(costs);
        var text = CostsFile.ToJson(new CostsFileContent(costs, new Dictionary<string, CostSpread>()));
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>
    /// A fleet entry's <c>host</c> at <paramref name="path"/>, checked as a scenario's host is; a
    /// <c>costs</c> path is read relative to <paramref name="baseDirectory"/> and inlined.
    /// </summary>
    public static JsonObject ReadEntryHost(JsonElement element, string path, string baseDirectory)
    {
        if (element.ValueKind != JsonValueKind.Object) throw new ScenarioException(path, $"{JsonInput.Show(element)} is not an object");
        Fields.Of(element, path).AllowOnly("backing", "discard", "costs");
        var host = JsonObject.Create(element.Clone())!;
        if (element.TryGetProperty("costs", out var costs) && costs.ValueKind == JsonValueKind.String)
        {
            var file = ScenarioBounds.CheckText(JsonInput.Text(costs, $"{path}.costs"), $"{path}.costs");
            if (string.IsNullOrWhiteSpace(file)) throw new ScenarioException($"{path}.costs", "is empty");
            try
            {
                host["costs"] = CostsObject(CostsFile.Read(Path.GetFullPath(file, baseDirectory)));
            }
            catch (ScenarioException e)
            {
                throw new ScenarioException($"{path}.costs", $"{e.Path}: {e.Problem}");
            }
        }
        return host;
    }

    /// <summary><c>--costs FILE</c>: the file's unit costs, its problems a usage error naming the option.</summary>
    public static UnitCosts? ReadCostsOption(string? file)
    {
        if (file is null) return null;
        if (string.IsNullOrWhiteSpace(file)) throw new Cli.UsageException("--costs: is empty");
        try
        {
            return CostsFile.Read(file);
        }
        catch (ScenarioException e)
        {
            throw new Cli.UsageException($"--costs: {e.Message}");
        }
    }
}
