using System.Text.Json.Nodes;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;
using PageReportingActors.Hypervisor;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Simulation;

/// <summary>
/// What a retouch of reported memory costs a real host (QEMU on a 6.12 guest, host RAM on 4 KiB
/// pages and on THP): each case's scenario, run on virtual time, gives over the retouch (from
/// <c>retouchAt</c> to 2 s after) host faults within max(10%, 16) of the measured and a rise of
/// host-resident memory within max(10%, 8 MiB).
/// </summary>
public sealed class CostReferenceTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cost-ref-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("qemu612-cost-4k", HostBacking.Pages4KiB)]
    [InlineData("qemu612-cost-thp", HostBacking.Thp)]
    public async Task Retouch_after_reporting_takes_the_measured_host_faults_and_resident_rise(string name, HostBacking backing)
    {
        var dir = ReferenceDropsTests.CaseDir(name);
        var @case = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "case.json")))!;
        var retouchAt = (double)@case["retouchAt"]!;
        var measuredFaults = (long)@case["retouch"]!["faults"]!;
        var measuredRise = (long)@case["retouch"]!["rssRiseBytes"]!;
        var scenario = ScenarioParser.ParseFile(Path.Combine(dir, "scenario.json"));
        Assert.Equal(backing, scenario.Host.Backing);
        Assert.Equal((string)@case["backing"]!, HostBackings.Name(backing));

        var run = await ScenarioRunner.RunAsync(scenario, new RunOptions(TimeSpan.FromMilliseconds(50), _dir));
        var before = run.Timeline.Last(r => r.T < retouchAt);
        var after = run.Timeline.Last(r => r.T <= retouchAt + 2);
        var faults = after.HostFaults - before.HostFaults;
        var rise = after.HostResidentBytes - before.HostResidentBytes;
        output.WriteLine($"{name}: faults {faults} (measured {measuredFaults}), refaults {after.Refaults - before.Refaults}, " +
            $"rise {rise / (double)(1 << 20):0.0} MiB (measured {measuredRise / (double)(1 << 20):0.0} MiB)");

        var faultTolerance = Math.Max(0.10 * measuredFaults, 16);
        Assert.InRange(faults, measuredFaults - faultTolerance, measuredFaults + faultTolerance);
        var riseTolerance = Math.Max(0.10 * measuredRise, 8 << 20);
        Assert.InRange(rise, measuredRise - riseTolerance, measuredRise + riseTolerance);
    }
}
