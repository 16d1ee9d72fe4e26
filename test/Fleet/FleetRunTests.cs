using System.Text.Json.Nodes;
using PageReportingActors.Host.Fleet;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;
using Xunit;

namespace PageReportingActors.Tests.Fleet;

/// <summary>A fleet on one node: per-guest rows equal the guests run alone, and the timeline is their sum.</summary>
public sealed class FleetRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fleet-run-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal const string Small = """
        { "name": "small", "seed": 3, "duration": "40s", "sample": "1s", "hostMemory": "2GiB",
          "guests": [ { "scenario": "default", "count": 2, "stagger": "2s" },
                      { "scenario": "failing-device", "count": 1 } ] }
        """;

    internal static FleetClusterOptions Bounded(int nodes) => new(nodes)
    {
        StableAfter = TimeSpan.FromSeconds(3),
        RetryInterval = TimeSpan.FromSeconds(2),
        JoinTimeout = TimeSpan.FromSeconds(30),
    };

    [Fact]
    public async Task Each_guest_is_its_scenario_run_alone_with_its_seed_and_the_timeline_adds_them_up()
    {
        var fleet = FleetParser.Parse(Small.Replace("\"failing-device\", \"count\": 1", "\"default\", \"count\": 1", StringComparison.Ordinal), _dir);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var result = await FleetRunner.RunAsync(fleet, Bounded(1), cancellationToken: timeout.Token);

        Assert.Equal(3, result.Guests.Count);
        var alone = new List<RunResult>();
        foreach (var (guest, seed, start) in new[] { (0, 3, 0), (1, 4, 2), (2, 5, 0) })
        {
            // The guest alone, as a user runs it: run default --seed S.
            var outDir = Path.Combine(_dir, $"alone-{guest}");
            var stderr = new StringWriter();
            var code = await PageReportingActors.Host.Cli.HostProgram.RunAsync(
                ["run", "default", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--sample", "1s", "--out", outDir, "--quiet"],
                new StringWriter(), stderr, interactive: false);
            Assert.True(code == 0, stderr.ToString());
            var report = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")))!;
            Assert.Equal(seed, (int)report["seed"]!);
            var summary = report["summary"]!;
            var row = result.Guests[guest].Result;
            Assert.Equal(guest, row.Index);
            Assert.Equal((int)summary["reportCalls"]!, row.Reports);
            Assert.Equal((int)summary["failedReports"]!, row.FailedReports);
            Assert.Equal((long)summary["reportedBytes"]!, row.ReportedBytes);
            Assert.Equal((long)summary["hostResidentPeakBytes"]!, row.PeakResidentBytes);
            Assert.Equal((long)summary["hostResidentEndBytes"]!, row.EndResidentBytes);
            alone.Add(await ScenarioRunner.RunAsync(BuiltInScenarios.Load("default") with { Seed = seed }, new RunOptions(TimeSpan.FromSeconds(1), "")));
        }
        Assert.Equal(41, result.Timeline.Count);
        foreach (var row in result.Timeline)
        {
            long resident = 0, free = 0;
            var running = 0;
            foreach (var (run, start) in alone.Zip(new[] { 0, 2, 0 }))
            {
                var local = row.T - start;
                if (local < 0 || local > 35) continue;
                var r = run.Timeline.Single(x => Math.Abs(x.T - local) < 1e-9);
                resident += r.HostResidentBytes;
                free += r.FreeBytes;
                running++;
            }
            Assert.Equal(running, row.Guests);
            Assert.Equal(resident, row.HostResidentBytes);
            Assert.Equal(free, row.FreeBytes);
        }
        Assert.Equal(3 * 35.0, result.Summary.GuestSeconds);
        Assert.Equal(result.Timeline.Max(r => r.HostResidentBytes), result.Summary.PeakHostResidentBytes);
        Assert.Equal(3 * BuiltInScenarios.Load("default").Zones.Sum(z => z.Pages) * 4096, result.Summary.GuestMemoryBytes);
    }

    [Fact]
    public async Task The_fleet_command_writes_fleet_json_the_timeline_csv_and_the_chart()
    {
        var fleetPath = Path.Combine(_dir, "small.json");
        File.WriteAllText(fleetPath, Small);
        var outDir = Path.Combine(_dir, "out");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await PageReportingActors.Host.Cli.HostProgram.RunAsync(["fleet", fleetPath, "--out", outDir], stdout, stderr, interactive: false,
            progressAfter: TimeSpan.Zero);
        Assert.True(code == 0, stderr.ToString());
        Assert.Matches(@"progress: 100% \([\d,]+ of [\d,]+ guest-seconds, [\d,]+ per second\)\r?\n$", stderr.ToString());
        Assert.DoesNotContain("progress", stdout.ToString());

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, FleetOutput.JsonName)))!;
        Assert.Equal("small", (string?)json["fleet"]);
        Assert.Equal(1, (int)json["nodes"]!);
        Assert.Equal(3, json["guests"]!.AsArray().Count);
        Assert.True((int)json["guests"]![2]!["failedReports"]! > 0);
        var summary = json["summary"]!;
        Assert.Equal((long)summary["peakWithoutReportingBytes"]! - (long)summary["peakHostResidentBytes"]!, (long)summary["returnedBytes"]!);
        var csv = File.ReadAllLines(Path.Combine(outDir, FleetOutput.CsvName));
        Assert.Equal(FleetOutput.CsvHeader, csv[0]);
        Assert.Equal(42, csv.Length);
        var png = File.ReadAllBytes(Path.Combine(outDir, FleetOutput.PngName));
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, png[..4]);
        Assert.Empty(Directory.GetFiles(outDir, ".*"));
    }
}
