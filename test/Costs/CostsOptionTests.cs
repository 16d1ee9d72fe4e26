using System.Text.Json.Nodes;
using PageReportingActors.Host.Cli;
using PageReportingActors.Tests.Replay;
using Xunit;

namespace PageReportingActors.Tests.Costs;

/// <summary>
/// <c>--costs FILE</c> on <c>fleet</c> and <c>replay</c>, end to end through the host program: the
/// file's unit costs price every fault and discard, the counts stay what the run did, and a file
/// that cannot be read is refused before anything runs.
/// </summary>
public sealed class CostsOptionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("costs-option-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const double Fault4KiB = 1e-5, Discard128KiB = 5e-5;

    private string CostsFile(string name, double fault4KiB)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, $$"""{"source": "{{name}}", "fault4KiBSeconds": {{fault4KiB}}, "faultHuge2MiBSeconds": 1e-3, "discard128KiBSeconds": {{Discard128KiB}}, "discard2MiBSeconds": 2e-5}""");
        return path;
    }

    private async Task<JsonNode> Host(string output, params string[] args)
    {
        var outDir = Path.Combine(_dir, $"out-{Guid.NewGuid():N}");
        var stderr = new StringWriter();
        var code = await HostProgram.RunAsync([.. args, "--out", outDir], new StringWriter(), stderr, interactive: false);
        Assert.True(code == 0, stderr.ToString());
        return JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, output)))!;
    }

    [Fact]
    public async Task Replay_prices_the_traces_faults_and_refaults_at_the_file_figures()
    {
        // The first pass (2 s to 3 s) reports free order-10 blocks. At 4 s the guest takes 512 of
        // those pages (first touch: never written), frees them at 5 s (merged back at 5.1 s,
        // reported again from 7.1 s, back at 8.1 s), and takes them again at 9 s: 512 refaults.
        string Alloc(double t) =>
            ReplayKit.Line(t, "mm_page_alloc_zone_locked: page=0 pfn=0x1000 order=9 migratetype=1 percpu_refill=0") +
            ReplayKit.Line(t + 0.001, "mm_page_alloc: page=0 pfn=0x1000 order=9 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE");
        var trace = Alloc(4) + ReplayKit.Line(5, "mm_page_free: page=0 pfn=0x1000 order=9") +
            // 6.12 frees a pageblock-order block to the per-CPU list; the drain puts it back on the buddy lists.
            ReplayKit.Line(5.1, "mm_page_pcpu_drain: page=0 pfn=0x1000 order=9 migratetype=1") + Alloc(9);
        var tracePath = Path.Combine(_dir, "trace.txt");
        var guestPath = Path.Combine(_dir, "guest.json");
        File.WriteAllText(tracePath, trace);
        File.WriteAllText(guestPath, ReplayCommandTests.Guest);
        string[] replay = ["replay", tracePath, "--guest", guestPath, "--sample", "1s"];

        var plain = (await Host("report.json", replay))["cost"]!;
        var priced = (await Host("report.json", [.. replay, "--costs", CostsFile("box.json", Fault4KiB)]))["cost"]!;

        Assert.Equal(1024, (long)priced["hostFaults"]!);
        Assert.Equal(512, (long)priced["refaults"]!);
        Assert.Equal(512L * 4096, (long)priced["refaultBytes"]!);
        Assert.Equal((long)plain["hostFaults"]!, (long)priced["hostFaults"]!);
        Assert.Equal((long)plain["discardedBytes"]!, (long)priced["discardedBytes"]!);
        Assert.Equal("box.json", (string)priced["unitCosts"]!["source"]!);
        // 1,024 faults of 4 KiB, and the second report's discard of the 512 pages the guest had
        // written (discarding pages that are not resident costs nothing), a 32nd of a 128 KiB discard each.
        Assert.Equal(1024 * Fault4KiB + 512 * (Discard128KiB / 32), (double)priced["hostCpuSeconds"]!, 6);
        Assert.NotEqual((double)plain["hostCpuSeconds"]!, (double)priced["hostCpuSeconds"]!, 6);
    }

    [Fact]
    public async Task Fleet_costs_price_every_guest_over_an_entrys_own_host_costs()
    {
        CostsFile("entry.json", 1e-3);
        var fleetPath = Path.Combine(_dir, "fleet.json");
        File.WriteAllText(fleetPath, """
            { "name": "priced", "seed": 1, "duration": "46s", "sample": "1s",
              "guests": [ { "scenario": "retouch" },
                          { "scenario": "retouch", "host": { "costs": "entry.json" } } ] }
            """);

        var own = await Host("fleet.json", "fleet", fleetPath);
        var at10us = await Host("fleet.json", "fleet", fleetPath, "--costs", CostsFile("a.json", Fault4KiB));
        var at20us = await Host("fleet.json", "fleet", fleetPath, "--costs", CostsFile("b.json", 2 * Fault4KiB));

        // Two files that differ only in the 4 KiB fault: each guest's host CPU differs by its
        // faults times 10 us, the second guest's too, so its entry's own costs gave way to --costs.
        for (var i = 0; i < 2; i++)
        {
            var (a, b) = (at10us["guests"]![i]!, at20us["guests"]![i]!);
            var faults = (long)a["hostFaults"]!;
            Assert.True(faults > 50_000, $"guest {i}: {faults} faults");
            Assert.Equal(faults, (long)b["hostFaults"]!);
            Assert.Equal((long)own["guests"]![i]!["hostFaults"]!, faults);
            Assert.Equal(faults * Fault4KiB, (double)b["hostCpuSeconds"]! - (double)a["hostCpuSeconds"]!, 5);
        }
        // Without --costs the second guest pays its entry's 1 ms per fault, the first the defaults.
        var entryPriced = (double)own["guests"]![1]!["hostCpuSeconds"]!;
        Assert.True(entryPriced > 50 * (double)at10us["guests"]![1]!["hostCpuSeconds"]!, $"{entryPriced}");
        Assert.True(entryPriced > 50 * (double)own["guests"]![0]!["hostCpuSeconds"]!, $"{entryPriced}");
        var summary = at10us["summary"]!;
        Assert.Equal((long)at10us["guests"]![0]!["hostFaults"]! + (long)at10us["guests"]![1]!["hostFaults"]!, (long)summary["hostFaults"]!);
        Assert.Equal((double)at10us["guests"]![0]!["hostCpuSeconds"]! + (double)at10us["guests"]![1]!["hostCpuSeconds"]!,
            (double)summary["hostCpuSeconds"]!, 5);
    }

    [Theory]
    [InlineData("fleet")]
    [InlineData("replay")]
    public async Task A_costs_file_that_is_missing_exits_2_naming_the_option_before_anything_runs(string command)
    {
        var input = Path.Combine(_dir, "input.json");
        File.WriteAllText(input, """{ "name": "f", "seed": 1, "duration": "10s", "sample": "1s", "guests": [ { "scenario": "default" } ] }""");
        File.WriteAllText(Path.Combine(_dir, "guest.json"), ReplayCommandTests.Guest);
        string[] args = command == "fleet" ? ["fleet", input] : ["replay", input, "--guest", Path.Combine(_dir, "guest.json")];
        var outDir = Path.Combine(_dir, "bad");
        var stderr = new StringWriter();

        var code = await HostProgram.RunAsync([.. args, "--costs", Path.Combine(_dir, "none.json"), "--out", outDir], new StringWriter(), stderr, interactive: false);

        Assert.Equal(2, code);
        Assert.StartsWith("--costs: ", stderr.ToString());
        Assert.Single(stderr.ToString().TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(outDir));
    }
}
