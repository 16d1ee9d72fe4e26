using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;
using PageReportingActors.Hypervisor;
using Xunit;

namespace PageReportingActors.Tests.Simulation;

/// <summary>The host's backing through a whole run: the guest's reports, the host's discards and the cost in report.json's terms.</summary>
public sealed class HostBackingRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backing-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// A 256 MiB guest reporting at order 5 frees every other 256 KiB of 64 MiB it wrote, at 15 s,
    /// once the boot's free memory has long been reported.
    /// </summary>
    private static Scenario EveryOther256KiB(string host) => ScenarioParser.Parse($$"""
        { "name": "every other 256 KiB", "guest": { "memory": "256MiB" }, "reporting": { "order": 5 }, "host": {{host}},
          "workload": [ { "at": "0s", "op": "register" },
                        { "at": "1s", "op": "allocate", "id": "a", "size": "64MiB", "order": 0 },
                        { "at": "15s", "op": "free", "id": "a", "pattern": "every-other", "chunk": "256KiB" },
                        { "at": "25s", "op": "stop" } ] }
        """);

    private Task<RunResult> Run(Scenario scenario) => ScenarioRunner.RunAsync(scenario, new RunOptions(TimeSpan.FromMilliseconds(100), _dir));

    [Fact]
    public async Task On_hugetlb_2MiB_order_5_reports_are_ignored_but_the_guest_flags_them_reported()
    {
        var huge = await Run(EveryOther256KiB("""{ "backing": "hugetlb-2MiB" }"""));
        var small = await Run(EveryOther256KiB("""{ "backing": "4KiB" }"""));

        // The same guest: the same reports, acknowledged, and the same memory flagged Reported.
        Assert.Equal(small.Reports.Select(r => (r.T, r.Bytes, r.Ok)), huge.Reports.Select(r => (r.T, r.Bytes, r.Ok)));
        Assert.Equal(small.Timeline[^1].ReportedBytes, huge.Timeline[^1].ReportedBytes);
        // Entries below order 9 are smaller than a 2 MiB frame: ignored whole. Order 9 and 10 blocks are
        // aligned to their size, so they are whole frames and discarded.
        var small5 = huge.Reports.Where(r => r.Ok).SelectMany(r => r.Orders).Where(o => o.Key < 9).ToList();
        var cost = huge.Host!;
        Assert.Equal(small5.Sum(o => (long)o.Value), cost.IgnoredEntries);
        Assert.Equal(small5.Sum(o => o.Value * (4096L << o.Key)), cost.IgnoredBytes);
        Assert.True(cost.IgnoredBytes > 0, "the freed 256 KiB runs are reported at order 5");
        Assert.Equal(cost.DiscardedBytes + cost.IgnoredBytes, huge.Summary.ReportedBytes);
        // Whole frames hold at least what 4 KiB pages hold; the ignored entries' pages stay besides.
        Assert.Equal(0, small.Host!.IgnoredBytes);
        Assert.True(huge.Timeline[^1].HostResidentBytes >= small.Timeline[^1].HostResidentBytes);
    }

    [Fact]
    public async Task With_discards_inhibited_every_report_is_acknowledged_and_nothing_comes_back()
    {
        var run = await Run(EveryOther256KiB("""{ "discard": "inhibited" }"""));
        var cost = run.Host!;
        Assert.True(run.Summary.ReportedBytes > 0);
        Assert.Equal(0, run.Summary.FailedReports);
        Assert.Equal((0L, run.Summary.ReportedBytes, (long)run.Summary.ReportCalls), (cost.DiscardedBytes, cost.IgnoredBytes, cost.ReportCalls));
        Assert.Equal(run.Summary.HostResidentPeakBytes, run.Summary.HostResidentEndBytes);
    }

    [Fact]
    public async Task On_4KiB_every_fault_makes_4KiB_resident_and_the_cost_adds_up()
    {
        var run = await Run(BuiltInScenarios.Load("default"));
        var cost = run.Host!;
        // The run only writes (never frees a page the host must fault in): resident memory rises by one page per fault.
        var written = run.Timeline.Zip(run.Timeline.Skip(1)).Where(p => p.Second.HostFaults > p.First.HostFaults).ToList();
        Assert.NotEmpty(written);
        foreach (var (first, second) in written)
            Assert.Equal((second.HostFaults - first.HostFaults) * 4096, second.HostResidentBytes - first.HostResidentBytes);
        Assert.Equal(run.Summary.ReportedBytes, cost.DiscardedBytes);
        var discarded4KiB = (run.Summary.HostResidentStartBytes + cost.HostFaults * 4096L - run.Summary.HostResidentEndBytes) / 4096;
        var expected = cost.HostFaults * UnitCosts.Defaults.Fault4KiBSeconds + discarded4KiB * UnitCosts.Defaults.Discard128KiBSeconds / 32;
        Assert.Equal(Math.Round(expected, 6), cost.HostCpuSeconds, 6);
    }
}
