using System.Text.Json.Nodes;
using PageReportingActors.Guest;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using Xunit;

namespace PageReportingActors.Tests.Host;

public class ScenarioParserTests
{
    /// <summary>The example scenario of the format, the base every bad-input case changes one thing in.</summary>
    internal const string Example = """
        {
          "name": "1 GiB guest frees 512 MiB",
          "seed": 1,
          "guest": {
            "zones": [
              { "name": "DMA",   "startPfn": 0,    "pages": 4096,   "freePages": 3808,
                "watermarks": { "min": 178,   "low": 222,   "high": 266 } },
              { "name": "DMA32", "startPfn": 4096, "pages": 258016, "freePages": 231892,
                "watermarks": { "min": 11085, "low": 13856, "high": 16627 } }
            ]
          },
          "reporting": { "order": null, "delay": "2s", "capacity": 32 },
          "device": { "order": null, "latency": "1ms", "failReports": [] },
          "workload": [
            { "at": "0s",  "op": "register" },
            { "at": "10s", "op": "allocate", "id": "hog", "size": "512MiB", "order": 0 },
            { "at": "15s", "op": "free", "id": "hog" },
            { "at": "35s", "op": "stop" }
          ]
        }
        """;

    internal static string Mutate(Action<JsonObject> change)
    {
        var root = JsonNode.Parse(Example)!.AsObject();
        change(root);
        return root.ToJsonString();
    }

    private static JsonArray Workload(JsonObject root) => root["workload"]!.AsArray();

    private static string ErrorOf(string json) => Assert.Throws<ScenarioException>(() => ScenarioParser.Parse(json)).Message;

    [Fact]
    public void Parses_the_example_with_every_field()
    {
        var s = ScenarioParser.Parse(Example);
        Assert.Equal("1 GiB guest frees 512 MiB", s.Name);
        Assert.Equal(1, s.Seed);
        Assert.Equal(
            [
                new ZoneSpec("DMA", 0, 4096, 3808, new Watermarks(178, 222, 266)),
                new ZoneSpec("DMA32", 4096, 258016, 231892, new Watermarks(11085, 13856, 16627)),
            ],
            // Each zone also follows the default kernel (RealGuestFieldsParserTests).
            s.Zones.Select(z => z with { Kernel = null }));
        Assert.Equal(new ReportingPolicy(null, TimeSpan.FromSeconds(2), 32), s.Reporting);
        Assert.Null(s.Device.Order);
        Assert.Equal(TimeSpan.FromMilliseconds(1), s.Device.Latency);
        Assert.Empty(s.Device.FailReports);
        Assert.Null(s.Device.FailEvery);
        Assert.Equal<WorkloadStep>(
            [
                new RegisterStep(TimeSpan.Zero),
                new AllocateStep(TimeSpan.FromSeconds(10), "hog", 512L << 20, 0, Migratetype.Movable),
                new FreeStep(TimeSpan.FromSeconds(15), "hog", 1.0, FreePattern.All),
                new StopStep(TimeSpan.FromSeconds(35)),
            ],
            s.Workload);
    }

    [Fact]
    public void Fills_in_the_defaults()
    {
        var s = ScenarioParser.Parse("""
            { "name": "minimal", "guest": { "memory": "1GiB" },
              "workload": [ { "at": "0s", "op": "register" },
                            { "at": "1s", "op": "allocate", "id": "a", "size": "4KiB" },
                            { "at": "2s", "op": "free", "id": "a" } ] }
            """);
        Assert.Equal(new ReportingPolicy(null, TimeSpan.FromSeconds(2), 32), s.Reporting);
        Assert.Equal(TimeSpan.FromMilliseconds(1), s.Device.Latency);
        Assert.Null(s.Device.Order);
        Assert.Empty(s.Device.FailReports);
        Assert.Equal(X86GuestLayout.ForMemory(1L << 30), s.Zones.Select(z => z with { Kernel = null }));
        Assert.All(s.Zones, z => Assert.Same(KernelProfile.Linux6_12, z.Kernel!.Profile));
        Assert.Equal(new AllocateStep(TimeSpan.FromSeconds(1), "a", 4096, 0, Migratetype.Movable), s.Workload[1]);
        Assert.Equal(new FreeStep(TimeSpan.FromSeconds(2), "a", 1.0, FreePattern.All), s.Workload[2]);
        // No stop: the run ends 10 s after the last step.
        Assert.Equal(new StopStep(TimeSpan.FromSeconds(12)), s.Workload[^1]);
        Assert.Equal(4, s.Workload.Count);
    }

    [Fact]
    public void Reads_every_optional_field()
    {
        var s = ScenarioParser.Parse("""
            { "name": "all", "seed": 7, "guest": { "memory": "4GiB" },
              "reporting": { "order": 5, "delay": "250ms", "capacity": 16 },
              "device": { "order": 9, "latency": "2ms", "failReports": [3, 1], "failEvery": 10 },
              "workload": [
                { "at": "0s", "op": "register" },
                { "at": "1s", "op": "allocate", "id": "a", "size": "64MiB", "order": 5, "migratetype": "Unmovable" },
                { "at": "2s", "op": "free", "id": "a", "fraction": 0.5, "pattern": "every-other" },
                { "at": "3s", "op": "free", "id": "a", "pattern": "random" },
                { "at": "4s", "op": "churn", "id": "c", "size": "1GiB", "order": 0, "period": "5s", "until": "10min" },
                { "at": "5s", "op": "setOrder", "value": 3 },
                { "at": "6s", "op": "unregister" }
              ] }
            """);
        Assert.Equal(7, s.Seed);
        Assert.Equal(new ReportingPolicy(5, TimeSpan.FromMilliseconds(250), 16), s.Reporting);
        Assert.Equal(9, s.Device.Order);
        Assert.Equal(TimeSpan.FromMilliseconds(2), s.Device.Latency);
        Assert.Equal([1, 3], s.Device.FailReports.Order());
        Assert.Equal(10, s.Device.FailEvery);
        Assert.Equal(new AllocateStep(TimeSpan.FromSeconds(1), "a", 64L << 20, 5, Migratetype.Unmovable), s.Workload[1]);
        Assert.Equal(new FreeStep(TimeSpan.FromSeconds(2), "a", 0.5, FreePattern.EveryOther), s.Workload[2]);
        Assert.Equal(new FreeStep(TimeSpan.FromSeconds(3), "a", 1.0, FreePattern.Random), s.Workload[3]);
        Assert.Equal(new ChurnStep(TimeSpan.FromSeconds(4), "c", 1L << 30, 0, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(10)), s.Workload[4]);
        Assert.Equal(new SetOrderStep(TimeSpan.FromSeconds(5), 3), s.Workload[5]);
        Assert.Equal(new UnregisterStep(TimeSpan.FromSeconds(6)), s.Workload[6]);
        // No stop: 10 s after the churn ends, its last action.
        Assert.Equal(new StopStep(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(10)), s.Workload[^1]);
    }

    [Fact]
    public void Every_built_in_scenario_parses()
    {
        Assert.Equal(BuiltInScenarios.Names.Order(StringComparer.Ordinal), BuiltInScenarios.EmbeddedNames());
        foreach (var name in BuiltInScenarios.Names)
        {
            var s = BuiltInScenarios.Load(name);
            Assert.False(string.IsNullOrWhiteSpace(s.Name), name);
            Assert.IsType<StopStep>(s.Workload[^1]);
            Assert.False(string.IsNullOrWhiteSpace(BuiltInScenarios.All.Single(b => b.Name == name).Description));
        }
    }

    [Fact]
    public void Built_in_scenarios_have_the_promised_content()
    {
        var reference = ScenarioParser.Parse(File.ReadAllText(ReferencePath()));
        AssertSame(reference, BuiltInScenarios.Load("qemu-1g-free512"));
        Assert.Equal(File.ReadAllText(ReferencePath()), BuiltInScenarios.GetJson("qemu-1g-free512"));
        AssertSame(ScenarioParser.Parse(Example), BuiltInScenarios.Load("default"));
        // The reference names kernel 6.1; the default scenario keeps the default kernel, 6.12.
        Assert.Same(KernelProfile.Linux6_1, reference.Kernel);
        Assert.Equal(TimeSpan.FromSeconds(0.2), reference.Workload.OfType<FreeStep>().Single().Over);
        Assert.Equal(reference.Zones.Select(z => z with { Kernel = null }), BuiltInScenarios.Load("default").Zones.Select(z => z with { Kernel = null }));

        Assert.Equal(X86GuestLayout.ForMemory(64L << 30), BuiltInScenarios.Load("idle-64g").Zones.Select(z => z with { Kernel = null }));
        Assert.Equal(new StopStep(TimeSpan.FromSeconds(40)), BuiltInScenarios.Load("idle-64g").Workload[^1]);
        Assert.Equal(10, BuiltInScenarios.Load("failing-device").Device.FailEvery);
        Assert.Contains(BuiltInScenarios.Load("order-change").Workload, s => s is SetOrderStep { Value: 5 });
        Assert.Contains(BuiltInScenarios.Load("churn-10min").Workload, s => s is ChurnStep { Until.TotalMinutes: 10 });
        Assert.Contains(BuiltInScenarios.Load("reregister-during-pass").Workload, s => s is UnregisterStep);
    }

    /// <summary>Records compare lists by reference, so compare the parts.</summary>
    private static void AssertSame(Scenario expected, Scenario actual)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Seed, actual.Seed);
        Assert.Equal(expected.Zones, actual.Zones);
        Assert.Same(expected.Kernel, actual.Kernel);
        Assert.Equal(expected.Cpus, actual.Cpus);
        Assert.Equal(expected.Reporting, actual.Reporting);
        Assert.Equal(expected.Device.Order, actual.Device.Order);
        Assert.Equal(expected.Device.Latency, actual.Device.Latency);
        Assert.Equal(expected.Device.FailReports.Order(), actual.Device.FailReports.Order());
        Assert.Equal(expected.Device.FailEvery, actual.Device.FailEvery);
        Assert.Equal(expected.Workload, actual.Workload);
    }

    private static string ReferencePath() =>
        Path.Combine(AppContext.BaseDirectory, "Data", "reference", "qemu-1g-free512", "scenario-full.json");

    public static TheoryData<string, string> BadScenarios() => new()
    {
        { Mutate(r => Workload(r)[1]!["size"] = "12XB"), "workload[1].size: \"12XB\" is not a size (a number and B, KiB, MiB or GiB, such as 512MiB)" },
        { Mutate(r => Workload(r)[1]!["size"] = "512M"), "workload[1].size: \"512M\" is not a size; write it as 512MiB" },
        { Mutate(r => Workload(r)[1]!["size"] = "512 mb"), "workload[1].size: \"512 mb\" is not a size; write it as 512MiB" },
        { Mutate(r => Workload(r)[1]!["size"] = 512), "workload[1].size: 512 is not a size (a number and B, KiB, MiB or GiB, such as 512MiB)" },
        { Mutate(r => Workload(r)[1]!["size"] = "1000B"), "workload[1].size: \"1000B\" is not a whole number of order-0 blocks (4KiB each)" },
        { Mutate(r => Workload(r)[1]!["size"] = "0B"), "workload[1].size: \"0B\" must be positive" },
        { Mutate(r => r["guest"]!["zones"]![1]!["watermarks"]!["low"] = 100), "guest.zones[1].watermarks.low: must be >= min" },
        { Mutate(r => r["guest"]!["zones"]![1]!["watermarks"]!["high"] = 100), "guest.zones[1].watermarks.high: must be >= low" },
        { Mutate(r => r["guest"]!["zones"]![0]!["watermarks"]!.AsObject().Remove("min")), "guest.zones[0].watermarks.min: is missing" },
        { Mutate(r => Workload(r)[2]!["op"] = "explode"),
            "workload[2].op: \"explode\" is not an operation (register, unregister, allocate, free, churn, setOrder, stop)" },
        { Mutate(r => Workload(r)[2]!.AsObject().Remove("op")), "workload[2].op: is missing" },
        { Mutate(r => Workload(r).Add(new JsonObject { ["at"] = "5s", ["op"] = "register" })), "workload[4]: comes after the stop at workload[3]; stop must be the last step" },
        { Mutate(r => Workload(r)[3]!["at"] = "5s"), "workload[3].at: 5s is before the previous step (15s)" },
        { Mutate(r => Workload(r)[3]!["at"] = "soon"), "workload[3].at: \"soon\" is not a duration" },
        { Mutate(r => r["reporting"]!["capacity"] = 0), "reporting.capacity: 0 must be in 1..1024" },
        { Mutate(r => r["reporting"]!["capacity"] = 1025), "reporting.capacity: 1025 must be in 1..1024" },
        { Mutate(r => r["reporting"]!["capacity"] = "32"), "reporting.capacity: \"32\" is not an integer" },
        { Mutate(r => r["reporting"]!["order"] = 11), "reporting.order: 11 must be in 0..10" },
        { Mutate(r => r["reporting"]!["delay"] = "0s"), "reporting.delay: 0s must be positive" },
        { Mutate(r => r["device"]!["order"] = -1), "device.order: -1 must be in 0..10" },
        { Mutate(r => r["device"]!["latency"] = "1h"), "device.latency: \"1h\" is not a duration" },
        { Mutate(r => r["device"]!["failReports"] = new JsonArray(2, 0)), "device.failReports[1]: 0 must be >= 1" },
        { Mutate(r => r["device"]!["failEvery"] = 0), "device.failEvery: 0 must be >= 1" },
        { Mutate(r => Workload(r)[2]!["id"] = "hgo"), "workload[2].id: \"hgo\" is not allocated by an earlier allocate or churn step" },
        { Mutate(r => Workload(r)[2]!.AsObject().Remove("id")), "workload[2].id: is missing" },
        { Mutate(r => Workload(r)[1]!.AsObject().Remove("size")), "workload[1].size: is missing" },
        { Mutate(r => Workload(r)[1]!["order"] = 11), "workload[1].order: 11 must be in 0..10" },
        { Mutate(r => Workload(r)[1]!["migratetype"] = "Isolate"),
            "workload[1].migratetype: \"Isolate\" is not a migratetype (Unmovable, Movable, Reclaimable, HighAtomic, Cma)" },
        { Mutate(r => Workload(r)[2]!["fraction"] = 1.5), "workload[2].fraction: 1.5 must be in (0, 1]" },
        { Mutate(r => Workload(r)[2]!["pattern"] = "odd"), "workload[2].pattern: \"odd\" is not a pattern (all, every-other, random)" },
        { Mutate(r => Workload(r)[2]!["fraciton"] = 0.5), "workload[2].fraciton: is not a known field (known: at, op, cpu, id, fraction, pattern, over, chunk)" },
        { Mutate(r => Workload(r).Insert(2, new JsonObject { ["at"] = "12s", ["op"] = "allocate", ["id"] = "hog", ["size"] = "4KiB" })),
            "workload[2].id: \"hog\" is already used by workload[1]" },
        { Mutate(r => Workload(r).Insert(2, new JsonObject { ["at"] = "12s", ["op"] = "churn", ["id"] = "c", ["size"] = "4KiB", ["period"] = "1s", ["until"] = "11s" })),
            "workload[2].until: 11s must be after at (12s)" },
        { Mutate(r => Workload(r).Insert(2, new JsonObject { ["at"] = "12s", ["op"] = "setOrder" })), "workload[2].value: is missing" },
        { Mutate(r => r["workload"] = new JsonArray()), "workload: is empty" },
        { Mutate(r => r.Remove("workload")), "workload: is missing" },
        { Mutate(r => r.Remove("name")), "name: is missing" },
        { Mutate(r => r["seed"] = 1.5), "seed: 1.5 is not an integer" },
        { Mutate(r => r["guest"]!["memory"] = "4GiB"), "guest: give either zones or memory, not both" },
        { Mutate(r => r["guest"] = new JsonObject()), "guest: needs zones or memory" },
        { Mutate(r => r["guest"] = new JsonObject { ["memory"] = "32MiB" }), "guest.memory: \"32MiB\" is below the 64MiB minimum" },
        { Mutate(r => r["guest"] = new JsonObject { ["memory"] = "1000001KiB" }), "guest.memory: \"1000001KiB\" is not a whole number of 4KiB pages" },
        { Mutate(r => r["guest"] = new JsonObject { ["memory"] = "lots" }), "guest.memory: \"lots\" is not a size (a number and B, KiB, MiB or GiB, such as 512MiB)" },
        { Mutate(r => r["guest"] = new JsonObject { ["memory"] = "4G" }), "guest.memory: \"4G\" is not a size; write it as 4GiB" },
        { Mutate(r => r["guest"] = new JsonObject { ["memory"] = "4GB" }), "guest.memory: \"4GB\" is not a size; write it as 4GiB" },
        { Mutate(r => r["guest"]!["zones"]![1]!["startPfn"] = 4000), "guest.zones[1].startPfn: 4000 overlaps guest.zones[0], which ends at pfn 4096" },
        { Mutate(r => { r["guest"]!["zones"]![0]!["startPfn"] = 300000; r["guest"]!["zones"]![1]!["startPfn"] = 0; }),
            "guest.zones[1].startPfn: 0 is before guest.zones[0] (startPfn 300000); zones must be in pfn order" },
        { Mutate(r => r["guest"]!["zones"]![1]!["name"] = "DMA"), "guest.zones[1].name: \"DMA\" is already the name of guest.zones[0]" },
        { Mutate(r => r["guest"]!["zones"]![0]!["freePages"] = 5000), "guest.zones[0].freePages: 5000 must be in 0..4096" },
        { Mutate(r => r["guest"]!["zones"]![0]!["pages"] = 0), "guest.zones[0].pages: 0 must be in 1..67108864" },
        { Mutate(r => r["guest"]!["zones"] = new JsonArray()), "guest.zones: is empty" },
        { Mutate(r => r["guest"]!["zones"]![0] = "DMA"), "guest.zones[0]: \"DMA\" is not an object" },
        { "[1, 2]", "the document is not a JSON object" },
        { "{ \"name\": \"x\",\n  \"seed\": }", "invalid JSON at line 2, position 11: '}' is an invalid start of a value." },
    };

    [Theory]
    [MemberData(nameof(BadScenarios))]
    public void Each_problem_is_one_line_naming_the_field(string json, string message)
    {
        var error = ErrorOf(json);
        Assert.Equal(message, error);
        Assert.DoesNotContain('\n', error);
    }
}
