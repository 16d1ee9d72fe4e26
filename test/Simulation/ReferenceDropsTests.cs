using PageReportingActors.Host.Measurement;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;
using PageReportingActors.Hypervisor;
using System.Globalization;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Simulation;

/// <summary>
/// R21-R23 against real guests: each reference case's scenario, run on virtual time and sampled every
/// 50 ms as the measurement was, gives the measured drops of host-resident memory one to one, as
/// "Holding a run against a measurement" defines it. One model for all three cases.
/// </summary>
public sealed class ReferenceDropsTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("refdrops-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static string CaseDir(string name) => Path.Combine(AppContext.BaseDirectory, "Data", "reference", name);

    /// <summary>Runs a reference case's scenario and compares it with its measurement.</summary>
    internal static async Task<(DropComparison Comparison, RunResult Run, MeasurementCase Case, IReadOnlyList<ResidentSample> Measured)> RunCase(
        string name, double dropFloorMib, string outDir, HostBacking? backing = null)
    {
        var dir = CaseDir(name);
        var @case = MeasurementCase.Load(Path.Combine(dir, "case.json"));
        var scenario = ScenarioParser.ParseFile(Path.Combine(dir, @case.Scenario!));
        if (backing is { } b) scenario = scenario with { Host = scenario.Host with { Backing = b } };
        var run = await ScenarioRunner.RunAsync(scenario, new RunOptions(TimeSpan.FromMilliseconds(50), outDir));
        var measured = MeasurementComparison.ReadMeasured(Path.Combine(dir, "measured.csv"));
        var runSeries = run.Timeline.Select(r => new ResidentSample(r.T, r.HostResidentBytes / (double)(1 << 20))).ToList();
        return (MeasurementComparison.Compare(measured, runSeries, @case.Trigger, @case.From, dropFloorMib), run, @case, measured);
    }

    private async Task<DropComparison> Hold(string name, double floor, HostBacking? backing = null)
    {
        var (comparison, _, _, _) = await RunCase(name, floor, _dir, backing);
        output.WriteLine("measured: " + string.Join("  ", comparison.Measured.Select(d => $"{d.T:0.00}s/{d.Mib:0.0}")));
        output.WriteLine("run:      " + string.Join("  ", comparison.Run.Select(d => $"{d.T:0.00}s/{d.Mib:0.0}")));
        output.WriteLine($"sum: measured {comparison.MeasuredSumMib:0.0}, run {comparison.RunSumMib:0.0}");
        foreach (var problem in comparison.Problems) output.WriteLine(problem);
        return comparison;
    }

    [Fact]
    public async Task R21_R23_linux_6_1_guest_frees_512MiB_drop_by_drop()
    {
        var comparison = await Hold("qemu-1g-free512", floor: 12);
        Assert.Equal(2, comparison.Measured.Count);
        Assert.True(comparison.Matches, string.Join("; ", comparison.Problems));
    }

    [Fact]
    public async Task R21_R22_linux_6_12_guest_frees_512MiB_drop_by_drop()
    {
        var comparison = await Hold("qemu612-1g-free512", floor: 8);
        Assert.Equal(2, comparison.Measured.Count);
        Assert.True(comparison.Matches, string.Join("; ", comparison.Problems));
    }

    /// <summary>
    /// The whole definition for the order-5 case. It does not hold yet: the run has the ten measured
    /// drops one to one, but after the rest is unmapped the model keeps more unreported order-5 blocks
    /// than the guest did (the buddy lists beside the pages left on the per-CPU list), and a third
    /// pass returns two more reports of them, 8 MiB, where the guest returned nothing.
    /// </summary>
    [Fact]
    public async Task R21_R22_linux_6_12_guest_frees_every_other_256KiB_at_order_5_drop_by_drop()
    {
        var comparison = await Hold("qemu612-1g-half256-o5", floor: 8);
        Assert.True(comparison.Matches, string.Join("; ", comparison.Problems));
    }

    /// <summary>
    /// What holds of the order-5 case today: every measured drop (the budget-held 12 MiB passes
    /// every 2 s, then the two large ones after the rest is unmapped) has its run drop within
    /// 0.3 s and max(10%, 8 MiB), the sum is within max(5%, 8 MiB), and the run's one extra drop is
    /// the last and no larger than 8 MiB.
    /// </summary>
    [Fact]
    public async Task R21_R22_linux_6_12_guest_frees_every_other_256KiB_at_order_5_matches_all_measured_drops_with_one_small_extra()
    {
        var comparison = await Hold("qemu612-1g-half256-o5", floor: 8);
        Assert.Equal(10, comparison.Measured.Count);
        Assert.InRange(comparison.Run.Count, 10, 11);
        Assert.All(comparison.Pairs, pair => Assert.True(pair.Ok, $"run {pair.Run} against measured {pair.Measured}"));
        if (comparison.Run.Count == 11) Assert.True(comparison.Run[^1].Mib <= 8.0 + 1e-9, $"extra drop {comparison.Run[^1]}");
        var tolerance = Math.Max(0.05 * comparison.MeasuredSumMib, 8);
        Assert.InRange(comparison.RunSumMib, comparison.MeasuredSumMib - tolerance, comparison.MeasuredSumMib + tolerance);
    }

    /// <summary>
    /// The real guests ran on a host whose THP is <c>madvise</c>, so their RAM was on 2 MiB frames:
    /// with <c>thp</c> the drops still match (order 9 and 10 reports discard whole frames; the order-5
    /// case's 128 KiB entries split frames and free their own pages).
    /// </summary>
    [Theory]
    [InlineData("qemu-1g-free512", 12.0, 2)]
    [InlineData("qemu612-1g-free512", 8.0, 2)]
    public async Task The_drops_match_on_a_thp_host_too(string name, double floor, int drops)
    {
        var comparison = await Hold(name, floor, HostBacking.Thp);
        Assert.Equal(drops, comparison.Measured.Count);
        Assert.True(comparison.Matches, string.Join("; ", comparison.Problems));
    }

    /// <summary>The order-5 case on <c>thp</c>: what holds of it on 4KiB (above) holds on 2 MiB frames, and its reports split frames.</summary>
    [Fact]
    public async Task The_order_5_case_matches_its_measured_drops_on_a_thp_host_too()
    {
        var (comparison, run, _, _) = await RunCase("qemu612-1g-half256-o5", 8, _dir, HostBacking.Thp);
        Assert.Equal(10, comparison.Measured.Count);
        Assert.InRange(comparison.Run.Count, 10, 11);
        Assert.All(comparison.Pairs, pair => Assert.True(pair.Ok, $"run {pair.Run} against measured {pair.Measured}"));
        if (comparison.Run.Count == 11) Assert.True(comparison.Run[^1].Mib <= 8.0 + 1e-9, $"extra drop {comparison.Run[^1]}");
        var tolerance = Math.Max(0.05 * comparison.MeasuredSumMib, 8);
        Assert.InRange(comparison.RunSumMib, comparison.MeasuredSumMib - tolerance, comparison.MeasuredSumMib + tolerance);
        Assert.True(run.Host!.SplitFrames > 0, "128 KiB entries split 2 MiB frames");
    }

    /// <summary>
    /// README's figures: each case's drops as a table (printed) and the 6.12 case as a chart of both
    /// curves. With DOCS_UPDATE=1 the chart is written to docs/, else to a temporary folder.
    /// </summary>
    [Fact]
    public async Task Model_and_measurement_chart_and_tables_are_drawn()
    {
        foreach (var (name, floor) in new[] { ("qemu-1g-free512", 12.0), ("qemu612-1g-free512", 8.0), ("qemu612-1g-half256-o5", 8.0) })
        {
            var (comparison, run, @case, measured) = await RunCase(name, floor, _dir);
            output.WriteLine($"{name}\n| drop | measured | model |\n|---|---|---|");
            for (var i = 0; i < Math.Max(comparison.Measured.Count, comparison.Run.Count); i++)
            {
                string Cell(IReadOnlyList<ResidentDrop> drops) => i < drops.Count
                    ? string.Create(CultureInfo.InvariantCulture, $"{drops[i].Mib:0} MiB at +{drops[i].T:0.00} s") : "none";
                output.WriteLine($"| {i + 1} | {Cell(comparison.Measured)} | {Cell(comparison.Run)} |");
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| sum | {comparison.MeasuredSumMib:0} MiB | {comparison.RunSumMib:0} MiB |"));
            if (name != "qemu612-1g-free512") continue;
            var docs = Environment.GetEnvironmentVariable("DOCS_UPDATE") == "1" ? DocsDirectory() : _dir;
            var path = Path.Combine(docs, "measured-qemu612-1g-free512.png");
            var runSeries = run.Timeline.Select(r => new ResidentSample(r.T, r.HostResidentBytes / (double)(1 << 20))).ToList();
            MeasurementChartWriter.WritePng(measured, runSeries, @case.Trigger, @case.From, comparison, "Linux 6.12 guest frees 512 MiB", path);
            Assert.True(new FileInfo(path).Length > 10_000, "the chart is drawn");
        }
    }

    /// <summary>docs/ in the source tree.</summary>
    private static string DocsDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PageReportingActors.sln"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("repository root not found"), "docs");
    }
}
