using System.Text.Json;
using System.Text.Json.Nodes;
using PageReportingActors.Host.Output;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;
using Xunit;

namespace PageReportingActors.Tests.Golden;

/// <summary>
/// Every built-in scenario's <c>reports</c>, <c>passes</c> and <c>timeline</c>, byte for byte against a
/// copy kept in test/Data/golden. A change of behaviour shows here first; when it is meant, regenerate
/// the copies with <c>GOLDEN_UPDATE=1 dotnet test --filter BuiltInGoldenTests</c> and say why in the commit.
/// </summary>
public sealed class BuiltInGoldenTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("golden-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var name in BuiltInScenarios.Names) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Built_in_scenario_gives_its_golden_reports_passes_and_timeline(string name)
    {
        var result = await ScenarioRunner.RunAsync(BuiltInScenarios.Load(name), new RunOptions(TimeSpan.FromMilliseconds(100), _dir));
        var report = JsonNode.Parse(ReportJsonWriter.ToJson(result))!.AsObject();
        var sections = new JsonObject
        {
            ["reports"] = report["reports"]!.DeepClone(),
            ["passes"] = report["passes"]!.DeepClone(),
            ["timeline"] = report["timeline"]!.DeepClone(),
        };
        var actual = sections.ToJsonString(new JsonSerializerOptions { WriteIndented = false });

        var sourcePath = Path.Combine(SourceDataDirectory(), "golden", name + ".json");
        if (Environment.GetEnvironmentVariable("GOLDEN_UPDATE") == "1")
        {
            File.WriteAllText(sourcePath, actual + "\n");
            return;
        }
        var expected = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", "golden", name + ".json")).TrimEnd('\n');
        Assert.True(expected == actual, $"{name}: reports, passes or timeline differ from test/Data/golden/{name}.json");
    }

    /// <summary>test/Data in the source tree (the output folder holds a copy).</summary>
    private static string SourceDataDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PageReportingActors.Tests.csproj"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("test project folder not found"), "Data");
    }
}
