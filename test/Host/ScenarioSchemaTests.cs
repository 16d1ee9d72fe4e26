using System.Text.Json;
using Json.Schema;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;
using Xunit;

namespace PageReportingActors.Tests.Host;

/// <summary>
/// docs/scenario.schema.json describes what the parser accepts: every built-in scenario, every
/// scenario file the tests use and every example in docs/ validates against it, and the
/// examples also parse and run.
/// </summary>
public sealed class ScenarioSchemaTests
{
    private static readonly string DocsDir = Path.Combine(AppContext.BaseDirectory, "docs");
    private static readonly string ReferenceDir = Path.Combine(AppContext.BaseDirectory, "Data", "reference");
    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(File.ReadAllText(Path.Combine(DocsDir, "scenario.schema.json"))));

    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The schema's complaints about a document, empty when it is valid.</summary>
    internal static IReadOnlyList<string> SchemaErrors(string json)
    {
        using var document = JsonDocument.Parse(json, Lenient);
        var result = Schema.Value.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return [];
        return (result.Details ?? [])
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}"))
            .DefaultIfEmpty("invalid")
            .ToList();
    }

    private static void AssertValid(string json, string what)
    {
        var errors = SchemaErrors(json);
        Assert.True(errors.Count == 0, $"{what} does not validate: {string.Join("; ", errors.Take(5))}");
    }

    public static TheoryData<string> BuiltInNames() => new(BuiltInScenarios.Names);

    [Theory]
    [MemberData(nameof(BuiltInNames))]
    public void Built_in_scenario_validates(string name) => AssertValid(BuiltInScenarios.GetJson(name), name);

    [Fact]
    public void The_parser_tests_example_validates() => AssertValid(ScenarioParserTests.Example, "ScenarioParserTests.Example");

    public static TheoryData<string> ReferenceScenarios()
    {
        var files = Directory.GetFiles(ReferenceDir, "*.json", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "case.json")
            .Select(f => Path.GetRelativePath(ReferenceDir, f))
            .Order(StringComparer.Ordinal);
        return new(files);
    }

    /// <summary>The reference cases use the real-guests fields (kernel, cpus, pcp, over, chunk): the schema knows them.</summary>
    [Theory]
    [MemberData(nameof(ReferenceScenarios))]
    public void Reference_scenario_validates(string relativePath)
    {
        AssertValid(File.ReadAllText(Path.Combine(ReferenceDir, relativePath)), relativePath);
    }

    /// <summary>Every ```json block of every page in docs/, in order of appearance.</summary>
    public static TheoryData<string, int> DocExamples()
    {
        var data = new TheoryData<string, int>();
        foreach (var page in Directory.GetFiles(DocsDir, "*.md").Order(StringComparer.Ordinal))
            for (var i = 0; i < JsonBlocks(File.ReadAllText(page)).Count; i++)
                data.Add(Path.GetFileName(page), i);
        return data;
    }

    internal static List<string> JsonBlocks(string markdown)
    {
        var blocks = new List<string>();
        var lines = markdown.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimEnd() != "```json") continue;
            var end = Array.FindIndex(lines, i + 1, l => l.TrimEnd() == "```");
            blocks.Add(string.Join('\n', lines[(i + 1)..end]));
            i = end;
        }
        return blocks;
    }

    [Fact]
    public void Every_reference_case_and_doc_page_is_here()
    {
        Assert.Equal(7, ((IEnumerable<object[]>)ReferenceScenarios()).Count());
        Assert.True(JsonBlocks(File.ReadAllText(Path.Combine(DocsDir, "scenarios.md"))).Count >= 4, "docs/scenarios.md should show scenarios");
    }

    [Theory]
    [MemberData(nameof(DocExamples))]
    public async Task Doc_example_parses_validates_and_runs(string page, int index)
    {
        var json = JsonBlocks(File.ReadAllText(Path.Combine(DocsDir, page)))[index];
        AssertValid(json, $"{page} example {index}");
        var scenario = ScenarioParser.Parse(json);
        var result = await ScenarioRunner.RunAsync(scenario, new RunOptions(TimeSpan.FromSeconds(1), Path.GetTempPath()));
        Assert.Equal(ScenarioWorkload.StopTime(scenario).TotalSeconds, result.Summary.VirtualSeconds);
        Assert.NotEmpty(result.Passes);
        Assert.True(result.Summary.ReportCalls > 0, $"{page} example {index} reported nothing");
    }

    /// <summary>
    /// What the schema cannot say (order of steps and zones, references between steps, sums); every
    /// other bad scenario the parser refuses, the schema refuses too.
    /// </summary>
    private static readonly string[] BeyondTheSchema =
    [
        "watermarks.low: must be >= min", "watermarks.high: must be >= low", "comes after the stop", "is before the previous step",
        "must be positive", "is not allocated by an earlier", "is already used by", "must be after at", "is below the 64MiB minimum",
        "is not a whole number of 4KiB pages", "is not a whole number of order-", "overlaps", "zones must be in pfn order", "is already the name of", "freePages: 5000 must be in",
    ];

    [Theory]
    [MemberData(nameof(ScenarioParserTests.BadScenarios), MemberType = typeof(ScenarioParserTests))]
    public void The_schema_refuses_what_the_parser_refuses_unless_it_cannot_say(string json, string message)
    {
        try
        {
            using var _ = JsonDocument.Parse(json, Lenient);
        }
        catch (JsonException)
        {
            return; // not JSON: no schema to apply
        }
        if (BeyondTheSchema.Any(message.Contains)) return;
        Assert.True(SchemaErrors(json).Count > 0, $"the schema accepts what the parser refuses with \"{message}\"");
    }

    [Fact]
    public void The_schema_refuses_an_unknown_field_a_bad_size_and_an_unknown_operation()
    {
        var good = BuiltInScenarios.GetJson("default");
        Assert.Empty(SchemaErrors(good));
        Assert.NotEmpty(SchemaErrors(good.Replace("\"seed\": 1,", "\"seed\": 1, \"sead\": 2,")));
        Assert.NotEmpty(SchemaErrors(good.Replace("\"512MiB\"", "\"512M\"")));
        Assert.NotEmpty(SchemaErrors(good.Replace("\"op\": \"stop\"", "\"op\": \"halt\"")));
    }
}
