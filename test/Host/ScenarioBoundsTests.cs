using System.Text;
using System.Text.Json.Nodes;
using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;
using Xunit;

namespace PageReportingActors.Tests.Host;

/// <summary>
/// Values a scenario file may hold but the host cannot run with: each is refused before the run,
/// exit 2, with one line naming the field and the bound (docs/bounds.md).
/// </summary>
public sealed class ScenarioBoundsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("host-bounds-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonArray Workload(JsonObject root) => root["workload"]!.AsArray();

    private static JsonObject Zone(JsonObject root, int i) => root["guest"]!["zones"]![i]!.AsObject();

    private static string ErrorOf(string json) => Assert.Throws<ScenarioException>(() => ScenarioParser.Parse(json)).Message;

    private static Task<RunResult> MustNotRun(Scenario scenario, RunOptions options, CancellationToken ct) =>
        throw new InvalidOperationException("the simulation must not start on bad input");

    private async Task<(int Code, string Err)> RunFile(string json, params string[] extra)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(path, json);
        var stderr = new StringWriter();
        var code = await HostProgram.RunAsync(["run", path, "--out", Path.Combine(_dir, "out"), .. extra], new StringWriter(), stderr, MustNotRun, interactive: false);
        return (code, stderr.ToString());
    }

    private static void AssertOneLine(string err, string startsWith)
    {
        Assert.StartsWith(startsWith, err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    public static TheoryData<string, string> OutOfBounds() => new()
    {
        // Durations.
        { ScenarioParserTests.Mutate(r => r["reporting"]!["delay"] = "5000000000min"),
            "reporting.delay: 5000000000min is outside 1ms..60min" },
        { ScenarioParserTests.Mutate(r => r["reporting"]!["delay"] = "0.5ms"), "reporting.delay: 0.0005s is outside 1ms..60min" },
        { ScenarioParserTests.Mutate(r => r["device"]!["latency"] = "61min"), "device.latency: 61min is outside 0s..60min" },
        { ScenarioParserTests.Mutate(r => Workload(r)[3]!["at"] = "5000000000min"), "workload[3].at: 5000000000min is outside 0s..527040min" },
        { ScenarioParserTests.Mutate(r => Workload(r)[1]!["at"] = "600000000min"), "workload[1].at: 600000000min is outside 0s..527040min" },
        { ScenarioParserTests.Mutate(r => Workload(r).Insert(2, new JsonObject
            { ["at"] = "12s", ["op"] = "churn", ["id"] = "c", ["size"] = "4KiB", ["period"] = "1s", ["until"] = "600000000min" })),
            "workload[2].until: 600000000min is outside 0s..527040min" },
        { ScenarioParserTests.Mutate(r => Workload(r).Insert(2, new JsonObject
            { ["at"] = "12s", ["op"] = "churn", ["id"] = "c", ["size"] = "4KiB", ["period"] = "0.5ms", ["until"] = "20s" })),
            "workload[2].period: 0.0005s is outside 1ms..527040min" },
        { ScenarioParserTests.Mutate(r => Workload(r).Insert(2, new JsonObject
            { ["at"] = "12s", ["op"] = "churn", ["id"] = "c", ["size"] = "4KiB", ["period"] = "1ms", ["until"] = "100min" })),
            "workload[2].period: 1ms from 12s until 100min is 5988000 rounds; at most 1000000 (a longer period or an earlier until)" },
        // Pages, pfns, watermarks, sizes.
        { ScenarioParserTests.Mutate(r => { Zone(r, 1)["pages"] = 2147483648L; Zone(r, 1)["freePages"] = 0; }),
            "guest.zones[1].pages: 2147483648 must be in 1..67108864" },
        { ScenarioParserTests.Mutate(r => { Zone(r, 1)["pages"] = 1L << 26; Zone(r, 1)["freePages"] = 0; }),
            "guest.zones[1].pages: the guest's zones add up to 67112960 pages; at most 67108864 (256GiB)" },
        { ScenarioParserTests.Mutate(r => Zone(r, 1)["startPfn"] = 1L << 31),
            "guest.zones[1].startPfn: 2147483648 must be in 0..2147483647" },
        { ScenarioParserTests.Mutate(r => Zone(r, 1)["startPfn"] = (1L << 52)),
            "guest.zones[1].startPfn: 4503599627370496 must be in 0..2147483647" },
        { ScenarioParserTests.Mutate(r => Zone(r, 1)["startPfn"] = (1L << 31) - 100),
            "guest.zones[1].startPfn: the zone ends at pfn 2147741564, beyond pfn 2147483648 (8192GiB of guest-physical address)" },
        { ScenarioParserTests.Mutate(r => Zone(r, 0)["watermarks"]!["high"] = 5000),
            "guest.zones[0].watermarks.high: 5000 must be in 0..4096" },
        { ScenarioParserTests.Mutate(r => Zone(r, 0)["watermarks"]!["min"] = long.MaxValue),
            "guest.zones[0].watermarks.min: 9223372036854775807 must be in 0..4096" },
        { ScenarioParserTests.Mutate(r => r["guest"] = new JsonObject { ["memory"] = "257GiB" }),
            "guest.memory: \"257GiB\" is above the 256GiB maximum" },
        { ScenarioParserTests.Mutate(r => Workload(r)[1]!["size"] = "9000GiB"),
            "workload[1].size: \"9000GiB\" is above the 8192GiB maximum (the guest-physical address space)" },
        // Counts.
        { ScenarioParserTests.Mutate(r => r["device"]!["failReports"] = new JsonArray(Enumerable.Range(1, 100_001).Select(i => (JsonNode)i).ToArray())),
            "device.failReports: has 100001 entries; at most 100000" },
        { ScenarioParserTests.Mutate(r =>
            {
                var w = Workload(r);
                for (var i = 0; i < 100_000; i++) w.Insert(1, new JsonObject { ["at"] = "0s", ["op"] = "register" });
            }),
            "workload: has 100004 steps; at most 100000" },
        { ScenarioParserTests.Mutate(r => r["name"] = new string('n', 1025)), "name: is 1025 characters long; at most 1024" },
        { ScenarioParserTests.Mutate(r => r["name"] = "two\nlines"), "name: contains a control character (U+000A); names and ids are one line of text" },
        { ScenarioParserTests.Mutate(r => r["workload"]![1]!["id"] = "h\u001b[31mog"),
            "workload[1].id: contains a control character (U+001B); names and ids are one line of text" },
        // Text that is not text: a lone UTF-16 surrogate.
        { ScenarioParserTests.Example.Replace("\"1 GiB guest frees 512 MiB\"", "\"\\ud800\"", StringComparison.Ordinal),
            "name: \"\\ud800\" is not valid text (a lone UTF-16 surrogate)" },
        { ScenarioParserTests.Example.Replace("\"hog\"", "\"h\\udc00g\"", StringComparison.Ordinal),
            "workload[1].id: \"h\\udc00g\" is not valid text (a lone UTF-16 surrogate)" },
        { ScenarioParserTests.Example.Replace("\"512MiB\"", "\"512\\ud800MiB\"", StringComparison.Ordinal),
            "workload[1].size: \"512\\ud800MiB\" is not valid text (a lone UTF-16 surrogate)" },
        { ScenarioParserTests.Example.Replace("\"seed\"", "\"se\\ud800ed\"", StringComparison.Ordinal),
            "a field name is not valid text (a lone UTF-16 surrogate)" },
        // Numbers JSON does not have, or does not mean here.
        { ScenarioParserTests.Mutate(r => r["seed"] = 1e300), "seed: 1E+300 is not an integer" },
        { ScenarioParserTests.Example.Replace("\"seed\": 1", "\"seed\": 1e400", StringComparison.Ordinal), "seed: 1e400 is not an integer" },
        { ScenarioParserTests.Example.Replace("\"seed\": 1", "\"seed\": NaN", StringComparison.Ordinal),
            "invalid JSON at line 3, position 11: 'N' is an invalid start of a value." },
        { ScenarioParserTests.Example.Replace("\"seed\": 1", "\"seed\": Infinity", StringComparison.Ordinal),
            "invalid JSON at line 3, position 11: 'I' is an invalid start of a value." },
        { ScenarioParserTests.Example.Replace("\"id\": \"hog\" }", "\"id\": \"hog\", \"fraction\": 1e400 }", StringComparison.Ordinal),
            "workload[2].fraction: 1e400 is not a number" },
        { ScenarioParserTests.Example.Replace("\"id\": \"hog\" }", "\"id\": \"hog\", \"fraction\": -0.0 }", StringComparison.Ordinal),
            "workload[2].fraction: -0.0 must be in (0, 1]" },
        // The same field twice: which one would count is a guess, so neither does.
        { ScenarioParserTests.Example.Replace("\"seed\": 1,", "\"seed\": 1, \"seed\": 2,", StringComparison.Ordinal),
            "seed: is given twice" },
        { ScenarioParserTests.Example.Replace("\"op\": \"register\"", "\"op\": \"register\", \"op\": \"stop\"", StringComparison.Ordinal),
            "workload[0].op: is given twice" },
        // Nesting deeper than any scenario needs.
        { "{\"name\":" + new string('[', 100) + new string(']', 100) + "}",
            "invalid JSON at line 1, position 72: The maximum configured depth of 64 has been exceeded. Cannot read next JSON array." },
    };

    [Theory]
    [MemberData(nameof(OutOfBounds))]
    public void A_value_outside_its_bounds_is_one_line_naming_the_field(string json, string message)
    {
        var error = ErrorOf(json);
        Assert.Equal(message, error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void Negative_zero_is_zero_where_an_integer_is_read()
    {
        var s = ScenarioParser.Parse(ScenarioParserTests.Example.Replace("\"startPfn\": 0,", "\"startPfn\": -0,", StringComparison.Ordinal));
        Assert.Equal(0, s.Zones[0].StartPfn);
    }

    [Fact]
    public void A_long_value_is_shown_shortened_in_its_error()
    {
        var error = ErrorOf(ScenarioParserTests.Mutate(r => Workload(r)[1]!["size"] = new string('9', 5000) + "XB"));
        Assert.StartsWith("workload[1].size: \"99999", error);
        Assert.True(error.Length < 200, error);
    }

    [Fact]
    public void The_bounds_keep_every_built_in_scenario()
    {
        foreach (var name in BuiltInScenarios.Names) Assert.NotNull(BuiltInScenarios.Load(name));
    }

    [Fact]
    public async Task A_delay_of_five_billion_minutes_exits_2_with_one_line()
    {
        var (code, err) = await RunFile(ScenarioParserTests.Mutate(r => r["reporting"]!["delay"] = "5000000000min"));
        Assert.Equal(2, code);
        Assert.Equal("reporting.delay: 5000000000min is outside 1ms..60min" + Environment.NewLine, err);
    }

    [Fact]
    public async Task A_stop_thousands_of_years_out_exits_2_with_one_line()
    {
        var (code, err) = await RunFile(ScenarioParserTests.Mutate(r => Workload(r)[3]!["at"] = "5000000000min"));
        Assert.Equal(2, code);
        AssertOneLine(err, "workload[3].at: ");
    }

    [Fact]
    public async Task A_zone_of_2_pow_31_pages_exits_2_with_one_line()
    {
        var (code, err) = await RunFile(ScenarioParserTests.Mutate(r => { Zone(r, 1)["pages"] = 1L << 31; Zone(r, 1)["freePages"] = 0; }));
        Assert.Equal(2, code);
        AssertOneLine(err, "guest.zones[1].pages: ");
    }

    [Fact]
    public async Task A_start_pfn_above_8_TiB_exits_2_with_one_line()
    {
        var (code, err) = await RunFile(ScenarioParserTests.Mutate(r => Zone(r, 1)["startPfn"] = 1L << 52));
        Assert.Equal(2, code);
        AssertOneLine(err, "guest.zones[1].startPfn: ");
    }

    [Fact]
    public async Task A_lone_surrogate_exits_2_with_one_line()
    {
        var (code, err) = await RunFile(ScenarioParserTests.Example.Replace("\"1 GiB guest frees 512 MiB\"", "\"\\ud800\"", StringComparison.Ordinal));
        Assert.Equal(2, code);
        AssertOneLine(err, "name: ");
    }

    [Fact]
    public async Task A_100_MB_file_exits_2_before_it_is_read()
    {
        var path = Path.Combine(_dir, "huge.json");
        await using (var file = File.Create(path)) file.SetLength(100L << 20);
        var stderr = new StringWriter();
        var code = await HostProgram.RunAsync(["run", path], new StringWriter(), stderr, MustNotRun, interactive: false);
        Assert.Equal(2, code);
        Assert.Equal($"{path}: is 100MiB; a scenario file is at most 16MiB" + Environment.NewLine, stderr.ToString());
    }

    [Fact]
    public void A_file_of_invalid_UTF8_is_one_line()
    {
        var path = Path.Combine(_dir, "bad.json");
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetBytes("{\"name\": \""), 0xFF, 0xFE, .. Encoding.UTF8.GetBytes("\"}")]);
        var error = Assert.Throws<ScenarioException>(() => ScenarioParser.ParseFile(path)).Message;
        Assert.Equal($"{path}: is not UTF-8 text (byte 10 of the file)", error);
    }
}
