using System.Globalization;
using System.Text.Json.Nodes;
using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Fleet;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Sweep;
using PageReportingActors.Hypervisor;
using Xunit;

namespace PageReportingActors.Tests.Fleet;

/// <summary>Cost in fleets and sweeps: a fleet entry's <c>host</c>, <c>--backing</c>, <c>--costs</c>.</summary>
public sealed class CostAxesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cost-axes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string CostsText =
        """{"source": "test box", "fault4KiBSeconds": 1e-5, "faultHuge2MiBSeconds": 1e-3, "discard128KiBSeconds": 5e-5, "discard2MiBSeconds": 2e-5}""";

    private async Task<JsonNode> RunReport(params string[] args)
    {
        var outDir = Path.Combine(_dir, $"run-{Guid.NewGuid():N}");
        var stderr = new StringWriter();
        var code = await HostProgram.RunAsync(["run", .. args, "--sample", "1s", "--out", outDir, "--quiet"], new StringWriter(), stderr, interactive: false);
        Assert.True(code == 0, stderr.ToString());
        return JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")))!;
    }

    [Fact]
    public async Task A_fleet_entry_host_backs_its_guests_and_the_summary_adds_up_their_cost()
    {
        File.WriteAllText(Path.Combine(_dir, "costs.json"), CostsText);
        var fleet = FleetParser.Parse("""
            { "name": "cost", "seed": 1, "duration": "46s", "sample": "1s",
              "guests": [ { "scenario": "retouch" },
                          { "scenario": "retouch", "host": { "backing": "thp", "costs": "costs.json" } } ] }
            """, _dir);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var result = await FleetRunner.RunAsync(fleet, FleetRunTests.Bounded(1), cancellationToken: timeout.Token);

        var plain = (await RunReport("retouch", "--seed", "1"))["cost"]!;
        var thpFile = Path.Combine(_dir, "retouch-thp.json");
        File.WriteAllText(thpFile, ScenarioHost.With(BuiltInScenarios.GetJson("retouch"),
            new JsonObject { ["backing"] = "thp", ["costs"] = Path.Combine(_dir, "costs.json") }));
        var thp = (await RunReport(thpFile, "--seed", "2"))["cost"]!;

        var (a, b) = (result.Guests[0].Result, result.Guests[1].Result);
        Assert.Equal((long)plain["hostFaults"]!, a.HostFaults);
        Assert.Equal((long)plain["refaults"]!, a.Refaults);
        Assert.Equal((long)thp["hostFaults"]!, b.HostFaults);
        Assert.Equal((long)thp["refaultBytes"]!, b.RefaultBytes);
        Assert.Equal((double)thp["hostCpuSeconds"]!, b.HostCpuSeconds, 6);
        // A 2 MiB frame per fault: far fewer faults than 4 KiB pages for the same memory.
        Assert.True(b.HostFaults * 100 < a.HostFaults, $"thp {b.HostFaults} vs 4KiB {a.HostFaults}");

        var s = result.Summary;
        Assert.Equal(a.HostFaults + b.HostFaults, s.HostFaults);
        Assert.Equal(a.Refaults + b.Refaults, s.Refaults);
        Assert.Equal(a.RefaultBytes + b.RefaultBytes, s.RefaultBytes);
        Assert.Equal(a.HostCpuSeconds + b.HostCpuSeconds, s.HostCpuSeconds, 9);
        var summary = JsonNode.Parse(FleetOutput.ToJson(result))!["summary"]!;
        Assert.Equal(s.HostFaults, (long)summary["hostFaults"]!);
        Assert.Equal(s.Refaults, (long)summary["refaults"]!);
        Assert.Equal(s.RefaultBytes, (long)summary["refaultBytes"]!);
        Assert.Equal(Math.Round(s.HostCpuSeconds, 6), (double)summary["hostCpuSeconds"]!, 6);
    }

    [Theory]
    [InlineData("""{ "backing": "64KiB" }""", "guests[0].host.backing: \"64KiB\" is not a backing")]
    [InlineData("""{ "pages": "4KiB" }""", "guests[0].host")]
    [InlineData("""{ "costs": "missing.json" }""", "guests[0].host.costs")]
    [InlineData("\"thp\"", "guests[0].host: \"thp\" is not an object")]
    public void A_bad_fleet_entry_host_names_the_field(string host, string start)
    {
        var e = Assert.Throws<ScenarioException>(() => FleetParser.Parse(
            $$"""{ "name": "bad", "seed": 1, "duration": "10s", "sample": "1s", "guests": [ { "scenario": "default", "host": {{host}} } ] }""", _dir));
        Assert.StartsWith(start, e.Message);
    }

    [Fact]
    public async Task Backing_is_a_sweep_axis_and_thp_refaults_cost_the_host_less()
    {
        var outDir = Path.Combine(_dir, "sweep");
        var stderr = new StringWriter();
        var code = await HostProgram.RunAsync(
            ["sweep", "retouch", "--order", "9", "--delay", "2s", "--backing", "4KiB,thp", "--sample", "1s", "--out", outDir],
            new StringWriter(), stderr, interactive: false);
        Assert.True(code == 0, stderr.ToString());
        var rows = File.ReadAllLines(Path.Combine(outDir, SweepOutput.CsvName)).Skip(1).Select(l => l.Split(',')).ToDictionary(r => r[3]);
        Assert.Equal(["4KiB", "thp"], rows.Keys.Order());
        double Cpu(string b) => double.Parse(rows[b][9], CultureInfo.InvariantCulture);
        long Refaults(string b) => long.Parse(rows[b][6], CultureInfo.InvariantCulture);
        // The same guest, the same reports; on THP the retouch faults 2 MiB at a time.
        Assert.Equal(rows["4KiB"][4], rows["thp"][4]);
        Assert.True(Refaults("thp") * 10 < Refaults("4KiB"), $"{Refaults("thp")} vs {Refaults("4KiB")}");
        Assert.True(Cpu("thp") * 2 < Cpu("4KiB"), $"{Cpu("thp")} vs {Cpu("4KiB")}");
    }

    [Fact]
    public async Task The_default_sweep_trades_discard_cpu_for_memory_along_the_order_and_a_shorter_delay_costs_nothing()
    {
        var outDir = Path.Combine(_dir, "default-sweep");
        var stderr = new StringWriter();
        var code = await HostProgram.RunAsync(
            ["sweep", "default", "--order", "5,7,9", "--delay", "250ms,2s,8s", "--sample", "1s", "--out", outDir],
            new StringWriter(), stderr, interactive: false);
        Assert.True(code == 0, stderr.ToString());
        var rows = File.ReadAllLines(Path.Combine(outDir, SweepOutput.CsvName)).Skip(1).Select(l => l.Split(','))
            .ToDictionary(r => (int.Parse(r[0], CultureInfo.InvariantCulture), double.Parse(r[1], CultureInfo.InvariantCulture)));
        double Cpu(int o, double d) => double.Parse(rows[(o, d)][9], CultureInfo.InvariantCulture);
        long Mean(int o, double d) => long.Parse(rows[(o, d)][11], CultureInfo.InvariantCulture);

        Assert.Equal(9, rows.Count);
        // The default workload never writes the freed memory again: no refaults, so for each order
        // every delay costs the same host CPU and a longer one only holds more memory.
        Assert.All(rows.Values, r => Assert.Equal("0", r[6]));
        foreach (var o in new[] { 5, 7, 9 })
        {
            Assert.Equal(Cpu(o, 0.25), Cpu(o, 8), 9);
            Assert.True(Mean(o, 0.25) < Mean(o, 2) && Mean(o, 2) < Mean(o, 8), $"order {o}: {Mean(o, 0.25)}, {Mean(o, 2)}, {Mean(o, 8)}");
        }
        // Along the order the front trades: a lower order discards more (its smaller blocks) and
        // keeps less resident, at more host CPU.
        Assert.True(Cpu(5, 0.25) > Cpu(7, 0.25) && Cpu(7, 0.25) > Cpu(9, 0.25), $"{Cpu(5, 0.25)}, {Cpu(7, 0.25)}, {Cpu(9, 0.25)}");
        Assert.True(Mean(5, 0.25) < Mean(7, 0.25) && Mean(7, 0.25) < Mean(9, 0.25), $"{Mean(5, 0.25)}, {Mean(7, 0.25)}, {Mean(9, 0.25)}");
        Assert.Equal([(5, 0.25), (7, 0.25), (9, 0.25)], rows.Where(r => r.Value[14] == "true").Select(r => r.Key).Order());
    }

    [Fact]
    public async Task Costs_option_prices_run_and_sweep_at_the_file_figures()
    {
        var file = Path.Combine(_dir, "costs.json");
        File.WriteAllText(file, CostsText);
        var defaults = (await RunReport("retouch"))["cost"]!;
        var priced = (await RunReport("retouch", "--costs", file))["cost"]!;
        Assert.Equal("test box", (string)priced["unitCosts"]!["source"]!);
        Assert.Equal((long)defaults["hostFaults"]!, (long)priced["hostFaults"]!);
        // Faults at 10 us instead of 3.2 us: the run costs about three times as much.
        Assert.InRange((double)priced["hostCpuSeconds"]! / (double)defaults["hostCpuSeconds"]!, 2.5, 3.5);

        var plan = SweepPlan.Create(BuiltInScenarios.GetJson("default"), null, null, "8,16", TimeSpan.FromSeconds(1),
            costs: PageReportingActors.Host.Costs.CostsFile.Read(file));
        Assert.All(plan.Guests, g => Assert.Equal(1e-5, g.ToScenario().Host.Costs.Fault4KiBSeconds));
    }

    [Theory]
    [InlineData("run", "default")]
    [InlineData("sweep", "default")]
    public async Task A_bad_costs_option_exits_2_naming_it(string command, string scenario)
    {
        var stderr = new StringWriter();
        var outDir = Path.Combine(_dir, "bad");
        var code = await HostProgram.RunAsync([command, scenario, "--costs", Path.Combine(_dir, "none.json"), "--out", outDir], new StringWriter(), stderr, interactive: false);
        Assert.Equal(2, code);
        Assert.StartsWith("--costs: ", stderr.ToString());
        Assert.Single(stderr.ToString().TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(outDir));
    }
}
