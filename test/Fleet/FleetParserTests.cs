using System.Text.Json.Nodes;
using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Fleet;
using PageReportingActors.Host.Scenarios;
using Xunit;

namespace PageReportingActors.Tests.Fleet;

public sealed class FleetParserTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fleet-parse-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static string DataFleet(string name) => Path.Combine(AppContext.BaseDirectory, "Data", "fleets", name);

    private const string Small = """
        { "name": "small", "seed": 3, "duration": "40s", "sample": "1s", "hostMemory": "8GiB",
          "guests": [ { "scenario": "default", "count": 2, "stagger": "1s" } ] }
        """;

    private static string Mutate(Action<JsonObject> change)
    {
        var root = JsonNode.Parse(Small)!.AsObject();
        change(root);
        return root.ToJsonString();
    }

    private void AssertError(string expected, string json)
    {
        var e = Assert.Throws<ScenarioException>(() => FleetParser.Parse(json, _dir));
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void Mixed_24_has_its_guests_seeds_starts_and_stops()
    {
        var fleet = FleetParser.ParseFile(DataFleet("mixed-24.json"));
        Assert.Equal(24, fleet.Guests.Count);
        Assert.Equal(301, fleet.SampleCount);
        Assert.Equal(32L << 30, fleet.HostMemoryBytes);
        var d = fleet.Guests.Select(g => g.Definition).ToList();
        Assert.Equal(Enumerable.Range(0, 24), d.Select(g => g.Index));
        // seed = fleet seed + guest number, numbered in file order across entries.
        Assert.Equal(Enumerable.Range(11, 24), d.Select(g => g.Seed));
        // Entry 1 (failing-device) starts its own stagger from 0: guest 8 + i starts at i * 11 s.
        Assert.Equal(TimeSpan.FromSeconds(33), d[11].Start);
        // default has its own stop at 35 s; the churning guest's stop at 5 min is cut at the fleet's end.
        Assert.Equal(TimeSpan.FromSeconds(35), d[7].Stop);
        Assert.Equal(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(5 * 11), d[23].Stop);
        Assert.Equal(TimeSpan.FromSeconds(5 * 11), d[23].Start);
        Assert.Equal(2L << 30, fleet.Guests[23].MemoryBytes);
    }

    [Fact]
    public void Churn_200_cuts_late_guests_at_the_fleets_end()
    {
        var fleet = FleetParser.ParseFile(DataFleet("churn-200.json"));
        Assert.Equal(200, fleet.Guests.Count);
        var last = fleet.Guests[^1].Definition;
        Assert.Equal(TimeSpan.FromSeconds(199), last.Start);
        // Its own stop (10 min) would end it at 799 s; the fleet ends at 600 s.
        Assert.Equal(TimeSpan.FromSeconds(401), last.Stop);
        Assert.Equal(TimeSpan.FromMinutes(10), fleet.Guests[0].Definition.Stop);
        Assert.Equal(204, last.Seed);
        Assert.Equal(200L << 30, fleet.Guests.Sum(g => g.MemoryBytes));
    }

    [Fact]
    public void A_scenario_without_a_stop_runs_to_the_fleets_end()
    {
        var scenario = """{ "name": "no stop", "guest": { "memory": "1GiB" }, "workload": [ { "at": "0s", "op": "register" } ] }""";
        var fleet = FleetParser.Parse(Mutate(r =>
        {
            r["guests"]![0]!["scenario"] = JsonNode.Parse(scenario);
            r["guests"]![0]!["stagger"] = "7s";
        }), _dir);
        Assert.Equal(TimeSpan.FromSeconds(40), fleet.Guests[0].Definition.Stop);
        Assert.Equal(TimeSpan.FromSeconds(33), fleet.Guests[1].Definition.Stop);
        Assert.Equal(TimeSpan.FromSeconds(33), fleet.Guests[1].Definition.ToScenario().Workload[^1].At);
    }

    [Fact]
    public void A_scenario_path_is_relative_to_the_fleet_file()
    {
        var sub = Directory.CreateDirectory(Path.Combine(_dir, "fleets")).FullName;
        File.WriteAllText(Path.Combine(sub, "mine.json"), BuiltInScenarios.GetJson("default").Replace("\"seed\": 1", "\"seed\": 9", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(sub, "f.json"), Mutate(r => r["guests"]![0]!["scenario"] = "mine.json"));
        var fleet = FleetParser.ParseFile(Path.Combine(sub, "f.json"));
        Assert.Equal(2, fleet.Guests.Count);
        Assert.Equal(4, fleet.Guests[1].Definition.Seed);
    }

    [Fact]
    public void Bad_fields_name_themselves()
    {
        AssertError("duration: is missing", Mutate(r => r.Remove("duration")));
        AssertError("duration: \"forever\" is not a duration", Mutate(r => r["duration"] = "forever"));
        AssertError("sample: 1min is longer than duration (40s)", Mutate(r => r["sample"] = "1min"));
        AssertError("hostMemory: \"8XB\" is not a size (a number and B, KiB, MiB or GiB, such as 512MiB)", Mutate(r => r["hostMemory"] = "8XB"));
        AssertError("guests: is empty", Mutate(r => r["guests"] = new JsonArray()));
        AssertError("guests[0].count: 0 must be in 1..100000", Mutate(r => r["guests"]![0]!["count"] = 0));
        AssertError("guests[0].colour: is not a known field (known: scenario, count, stagger, host)", Mutate(r => r["guests"]![0]!["colour"] = "red"));
        AssertError("guests[0].scenario: \"nope\" is not a built-in scenario (default, qemu-1g-free512, idle-64g, churn-10min, failing-device, reregister-during-pass, order-change, retouch) or a file",
            Mutate(r => r["guests"]![0]!["scenario"] = "nope"));
        AssertError("guests[0].scenario: \"missing.json\" is not a file (paths are relative to the fleet file)", Mutate(r => r["guests"]![0]!["scenario"] = "missing.json"));
        AssertError("guests[0].stagger: 40s starts guest 1 of this entry at or after the fleet's end (40s)", Mutate(r => r["guests"]![0]!["stagger"] = "40s"));
        AssertError("guests[0].scenario.workload[0].size: \"12XB\" is not a size (a number and B, KiB, MiB or GiB, such as 512MiB)", Mutate(r => r["guests"]![0]!["scenario"] = JsonNode.Parse(
            """{ "name": "x", "guest": { "memory": "1GiB" }, "workload": [ { "at": "0s", "op": "allocate", "id": "a", "size": "12XB" } ] }""")));
        AssertError("seed: 2147483647 + guest number 1 is over 2147483647", Mutate(r => r["seed"] = int.MaxValue));
    }

    [Fact]
    public async Task The_fleet_command_exits_2_with_one_line_and_writes_nothing()
    {
        var path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, Mutate(r => r["guests"]![0]!["count"] = -1));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var outDir = Path.Combine(_dir, "out");
        var code = await HostProgram.RunAsync(["fleet", path, "--out", outDir], stdout, stderr, interactive: false);
        Assert.Equal(2, code);
        Assert.Equal("guests[0].count: -1 must be in 1..100000" + Environment.NewLine, stderr.ToString());
        Assert.False(Directory.Exists(outDir));

        stderr = new StringWriter();
        code = await HostProgram.RunAsync(["fleet", DataFleet("mixed-24.json"), "--nodes", "0", "--out", outDir], stdout, stderr, interactive: false);
        Assert.Equal(2, code);
        Assert.Equal("--nodes: 0 must be in 1..64" + Environment.NewLine, stderr.ToString());
        Assert.False(Directory.Exists(outDir));
    }
}
