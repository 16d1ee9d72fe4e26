using System.Globalization;
using System.Text;
using System.Text.Json;
using PageReportingActors.Host.Output;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Hypervisor;

namespace PageReportingActors.Host.Costs;

/// <summary>A costs.json: the unit costs, and for the figures a calibration measured, their spread.</summary>
internal sealed record CostsFileContent(UnitCosts Costs, IReadOnlyDictionary<string, CostSpread> Spread);

/// <summary>
/// Reads and writes costs.json, the file <c>calibrate</c> writes and <c>--costs</c> and a scenario's
/// <c>host.costs</c> read:
/// <c>{"source": "...", "fault4KiBSeconds": 3.2e-6, ..., "spread": {"fault4KiBSeconds": {"min": ..., "p10": ..., "median": ..., "p90": ..., "max": ..., "samples": N}}}</c>.
/// Every problem is a <see cref="ScenarioException"/> naming the file and the field, as for scenarios.
/// </summary>
internal static class CostsFile
{
    /// <summary>A costs file is a few hundred bytes; anything this large is not one.</summary>
    public const long MaxFileBytes = 64L << 10;

    /// <summary>Most repeats one figure's spread may claim (a calibration runs at most a minute).</summary>
    public const int MaxSamples = 100_000_000;

    private const string SourceField = "source";
    private const string SpreadField = "spread";

    private static readonly string[] SpreadFields = ["min", "p10", "median", "p90", "max", "samples"];

    /// <summary>The unit costs of the file at <paramref name="path"/>.</summary>
    public static UnitCosts Read(string path) => ReadContent(path).Costs;

    /// <summary>The file at <paramref name="path"/>, spread included; errors read "PATH: field: problem".</summary>
    public static CostsFileContent ReadContent(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new ScenarioException(path, "costs file not found");
        var text = JsonInput.ReadFileText(path, "costs", maxBytes: MaxFileBytes);
        try
        {
            using var document = JsonInput.Parse(text);
            return Parse(document.RootElement, "", Path.GetFileName(path));
        }
        catch (ScenarioException e)
        {
            throw new ScenarioException(e.Path.Length == 0 ? path : $"{path}: {e.Path}", e.Problem);
        }
    }

    /// <summary>
    /// The costs object at <paramref name="path"/> of a document (a scenario's <c>host.costs</c>, or a
    /// whole costs file at ""): the four figures required, <c>source</c> and <c>spread</c> optional,
    /// nothing else.
    /// </summary>
    /// <param name="defaultSource">The source when the object names none.</param>
    public static CostsFileContent Parse(JsonElement element, string path, string defaultSource)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (element.ValueKind != JsonValueKind.Object)
            throw new ScenarioException(path, path.Length == 0 ? "the document is not a JSON object" : $"{JsonInput.Show(element)} is not an object");
        var figureNames = UnitCosts.Defaults.Figures().Select(f => f.Name).ToArray();
        var known = figureNames.Append(SourceField).Append(SpreadField).ToArray();
        var fields = Fields(element, path, known);

        var source = defaultSource;
        if (fields.TryGetValue(SourceField, out var sourceElement))
        {
            var sourcePath = Join(path, SourceField);
            if (sourceElement.ValueKind != JsonValueKind.String)
                throw new ScenarioException(sourcePath, $"{JsonInput.Show(sourceElement)} is not a string");
            source = ScenarioBounds.CheckText(JsonInput.Text(sourceElement, sourcePath), sourcePath);
            if (string.IsNullOrWhiteSpace(source)) throw new ScenarioException(sourcePath, "is empty");
        }

        var values = new double[figureNames.Length];
        for (var i = 0; i < figureNames.Length; i++)
            values[i] = fields.TryGetValue(figureNames[i], out var value)
                ? Seconds(value, Join(path, figureNames[i]))
                : throw new ScenarioException(Join(path, figureNames[i]), "is missing");
        var costs = new UnitCosts(values[0], values[1], values[2], values[3], source);

        var spread = new Dictionary<string, CostSpread>(StringComparer.Ordinal);
        if (fields.TryGetValue(SpreadField, out var spreadElement) && spreadElement.ValueKind != JsonValueKind.Null)
        {
            var spreadPath = Join(path, SpreadField);
            if (spreadElement.ValueKind != JsonValueKind.Object)
                throw new ScenarioException(spreadPath, $"{JsonInput.Show(spreadElement)} is not an object");
            foreach (var (name, figure) in Fields(spreadElement, spreadPath, figureNames))
                spread[name] = ParseSpread(figure, Join(spreadPath, name));
        }
        return new CostsFileContent(costs, spread);
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>, whole or not at all.</summary>
    public static void Write(string path, CostsFileContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content.Costs.FirstInvalid() is { } invalid)
            throw new ArgumentException($"{invalid} is not a positive, finite number of seconds at most {UnitCosts.MaxSeconds}", nameof(content));
        var text = ToJson(content);
        AtomicFile.Write(path, temporary => File.WriteAllText(temporary, text, new UTF8Encoding(false)));
    }

    /// <summary>The file's text: the figures in <see cref="UnitCosts.Figures"/>' order, then the spread.</summary>
    public static string ToJson(CostsFileContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString(SourceField, content.Costs.Source);
            foreach (var (name, seconds) in content.Costs.Figures())
                json.WriteNumber(name, seconds);
            if (content.Spread.Count > 0)
            {
                json.WriteStartObject(SpreadField);
                foreach (var (name, _) in content.Costs.Figures())
                {
                    if (!content.Spread.TryGetValue(name, out var s)) continue;
                    json.WriteStartObject(name);
                    json.WriteNumber("min", s.Min);
                    json.WriteNumber("p10", s.P10);
                    json.WriteNumber("median", s.Median);
                    json.WriteNumber("p90", s.P90);
                    json.WriteNumber("max", s.Max);
                    json.WriteNumber("samples", s.Samples);
                    json.WriteEndObject();
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static CostSpread ParseSpread(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new ScenarioException(path, $"{JsonInput.Show(element)} is not an object");
        var fields = Fields(element, path, SpreadFields);
        double Figure(string name) => fields.TryGetValue(name, out var v)
            ? Seconds(v, Join(path, name))
            : throw new ScenarioException(Join(path, name), "is missing");
        var spread = new CostSpread(Figure("min"), Figure("p10"), Figure("median"), Figure("p90"), Figure("max"),
            fields.TryGetValue("samples", out var samples)
                ? JsonInput.ReadInt(samples, Join(path, "samples"), 1, MaxSamples)
                : throw new ScenarioException(Join(path, "samples"), "is missing"));
        if (!(spread.Min <= spread.P10 && spread.P10 <= spread.Median && spread.Median <= spread.P90 && spread.P90 <= spread.Max))
            throw new ScenarioException(path, "min, p10, median, p90 and max must not decrease");
        return spread;
    }

    /// <summary>A unit cost: a positive, finite number of seconds, at most <see cref="UnitCosts.MaxSeconds"/>.</summary>
    private static double Seconds(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetDouble(out var seconds) || !double.IsFinite(seconds))
            throw new ScenarioException(path, $"{JsonInput.Show(element)} is not a number of seconds");
        if (seconds <= 0)
            throw new ScenarioException(path, string.Create(CultureInfo.InvariantCulture, $"{seconds:R} must be positive: no host operation is free"));
        if (seconds > UnitCosts.MaxSeconds)
            throw new ScenarioException(path, string.Create(CultureInfo.InvariantCulture, $"{seconds:R} is over {UnitCosts.MaxSeconds:R} s, no page operation takes that long"));
        return seconds;
    }

    /// <summary>The object's fields by name: each at most once, none but <paramref name="known"/> (checked by the reader every input file shares).</summary>
    private static Dictionary<string, JsonElement> Fields(JsonElement element, string path, string[] known)
    {
        Scenarios.Fields.Of(element, path).AllowOnly(known);
        return element.EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
