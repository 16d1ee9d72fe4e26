using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Scenarios;
using Xunit;

namespace PageReportingActors.Tests.Fleet;

/// <summary>
/// A fleet file and the scenario files it names are read as <c>run</c> reads a scenario: at most
/// 16 MiB each, a field at most once, names one line of text. Each is refused with exit 2 and one
/// line naming the field, before anything runs.
/// </summary>
public sealed class FleetFileBoundsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fleet-bounds-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Fleet(string scenario, string name = "\"f\"", string extra = "") =>
        $$"""{ "name": {{name}}, "duration": "40s", {{extra}} "guests": [ { "scenario": {{scenario}} } ] }""";

    private async Task<(int Code, string Err)> RunFleet(string fleetPath)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HostProgram.RunAsync(["fleet", fleetPath, "--out", Path.Combine(_dir, "out")], stdout, stderr, interactive: false);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
        return (code, stderr.ToString());
    }

    /// <summary><paramref name="json"/> padded with spaces to 17 MiB exactly: valid JSON over the bound.</summary>
    private static string Padded(string json) => json + new string(' ', (17 << 20) - json.Length);

    /// <summary>A valid scenario past 16 MiB: `run` refuses it, and so must a fleet that names it.</summary>
    private string BigScenario() => Write("big.json", Padded(BuiltInScenarios.GetJson("default")));

    [Fact]
    public async Task A_scenario_file_over_16MiB_named_by_a_fleet_exits_2_naming_the_entry()
    {
        var big = BigScenario();
        var (code, err) = await RunFleet(Write("f.json", Fleet("\"big.json\"")));
        Assert.Equal(2, code);
        Assert.Equal($"guests[0].scenario: \"{big}\" is 17MiB; a scenario file is at most 16MiB" + Environment.NewLine, err);
    }

    [Fact]
    public async Task Dev_zero_named_as_a_scenario_is_refused_after_16MiB_not_read_to_its_end()
    {
        if (!File.Exists("/dev/zero")) return;
        var (code, err) = await RunFleet(Write("f.json", Fleet("\"/dev/zero\"")));
        Assert.Equal(2, code);
        Assert.Equal("guests[0].scenario: \"/dev/zero\" holds more than 16MiB; a scenario file is at most 16MiB" + Environment.NewLine, err);
    }

    [Fact]
    public async Task A_fleet_file_over_16MiB_exits_2_naming_the_file()
    {
        var path = Write("f.json", Padded(Fleet("\"default\"")));
        var (code, err) = await RunFleet(path);
        Assert.Equal(2, code);
        Assert.Equal($"{path}: is 17MiB; a fleet file is at most 16MiB" + Environment.NewLine, err);
    }

    [Theory]
    [InlineData("""{ "name": "f", "duration": "40s", "duration": "forever", "guests": [ { "scenario": "default" } ] }""", "duration: is given twice")]
    [InlineData("""{ "name": "f", "duration": "40s", "guests": [ { "scenario": "default", "count": 1, "count": 0 } ] }""", "guests[0].count: is given twice")]
    [InlineData("""{ "name": "f", "name": "g", "duration": "40s", "guests": [ { "scenario": "default" } ] }""", "name: is given twice")]
    public async Task A_field_given_twice_exits_2_naming_it(string json, string message)
    {
        var (code, err) = await RunFleet(Write("f.json", json));
        Assert.Equal(2, code);
        Assert.Equal(message + Environment.NewLine, err);
    }

    [Theory]
    [InlineData("\"\\ud800\"", "name: \"\\ud800\" is not valid text (a lone UTF-16 surrogate)")]
    [InlineData("\"two\\nlines\"", "name: contains a control character (U+000A); names and ids are one line of text")]
    public async Task The_fleets_name_follows_the_rules_of_a_scenarios_name(string name, string message)
    {
        var (code, err) = await RunFleet(Write("f.json", Fleet("\"default\"", name)));
        Assert.Equal(2, code);
        Assert.Equal(message + Environment.NewLine, err);
    }

    [Fact]
    public async Task A_name_over_1024_characters_is_refused_as_a_scenarios_is()
    {
        var (code, err) = await RunFleet(Write("f.json", Fleet("\"default\"", "\"" + new string('x', 1025) + "\"")));
        Assert.Equal(2, code);
        Assert.Equal("name: is 1025 characters long; at most 1024" + Environment.NewLine, err);
    }

    [Fact]
    public async Task The_fleet_file_is_nested_no_deeper_than_a_scenario()
    {
        var deep = new string('[', 100) + new string(']', 100);
        var (code, err) = await RunFleet(Write("f.json", Fleet("\"default\"", extra: $"\"description\": {deep},")));
        Assert.Equal(2, code);
        Assert.StartsWith("invalid JSON at line 1, position ", err, StringComparison.Ordinal);
        Assert.Contains("depth", err, StringComparison.Ordinal);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
