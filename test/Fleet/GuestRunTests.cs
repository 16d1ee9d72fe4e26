using PageReportingActors.Host.Fleet;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;
using Xunit;

namespace PageReportingActors.Tests.Fleet;

/// <summary>A guest of a fleet is the same run as the scenario run alone with the guest's seed, shifted by its start.</summary>
public sealed class GuestRunTests
{
    internal static GuestDefinition Definition(string builtIn, int index, int seed, TimeSpan start, TimeSpan sample, TimeSpan? stop = null) =>
        new(index, builtIn, BuiltInScenarios.GetJson(builtIn), seed, start.Ticks,
            (stop ?? BuiltInScenarios.Load(builtIn).Workload[^1].At).Ticks, sample.Ticks);

    [Fact]
    public async Task A_staggered_guest_answers_the_single_runs_samples_shifted_by_its_start()
    {
        var sample = TimeSpan.FromSeconds(1);
        var start = TimeSpan.FromMilliseconds(2500);
        var definition = Definition("default", 4, 17, start, sample);
        // The run alone, sampled at 500 ms so it has a row wherever a fleet sample falls on the guest's clock.
        var alone = await ScenarioRunner.RunAsync(BuiltInScenarios.Load("default") with { Seed = 17 }, new RunOptions(TimeSpan.FromMilliseconds(500), ""));

        using var run = new SteppedGuestRun(definition);
        var compared = 0;
        for (var t = TimeSpan.Zero; t <= TimeSpan.FromSeconds(40); t += sample)
        {
            var got = run.AdvanceTo(t);
            var local = (t - start).TotalSeconds;
            if (local < 0 || local > 35)
            {
                Assert.Equal(GuestSample.Absent, got);
                continue;
            }
            var row = alone.Timeline.Single(r => Math.Abs(r.T - local) < 1e-9);
            Assert.True(got.Running);
            Assert.Equal(row.FreeBytes, got.FreeBytes);
            Assert.Equal(row.ReportedBytes, got.ReportedBytes);
            Assert.Equal(row.HostResidentBytes, got.HostResidentBytes);
            Assert.True(got.HostResidentWithoutReportingBytes >= got.HostResidentBytes);
            compared++;
        }
        Assert.Equal(35, compared);
        Assert.True(run.Finished);
        var s = alone.Summary;
        Assert.Equal(new GuestResult(4, alone.Scenario, s.ReportCalls, s.FailedReports, s.ReportedBytes, s.HostResidentPeakBytes, s.HostResidentEndBytes, 35.0)
            {
                HostFaults = alone.Host!.HostFaults,
                Refaults = alone.Host.Refaults,
                RefaultBytes = alone.Host.RefaultBytes,
                IgnoredBytes = alone.Host.IgnoredBytes,
                HostCpuSeconds = alone.Host.HostCpuSeconds,
            },
            run.Result);
        Assert.True(run.Result.HostFaults > 0);
        Assert.True(s.ReportCalls > 0);
    }

    [Fact]
    public void A_run_only_moves_forward()
    {
        using var run = new SteppedGuestRun(Definition("default", 0, 1, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1)));
        Assert.Equal(GuestSample.Absent, run.AdvanceTo(TimeSpan.FromSeconds(2)));
        Assert.False(run.Finished);
        Assert.Throws<InvalidOperationException>(() => run.Result);
        Assert.Throws<ArgumentOutOfRangeException>(() => run.AdvanceTo(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Without_reporting_every_written_page_stays_resident_until_the_guest_stops()
    {
        var sample = TimeSpan.FromSeconds(1);
        using var run = new SteppedGuestRun(Definition("default", 0, 1, TimeSpan.Zero, sample));
        var alone = await ScenarioRunner.RunAsync(BuiltInScenarios.Load("default"), new RunOptions(sample, ""));
        var without = new List<long>();
        for (var k = 0; k <= 35; k++)
        {
            var got = run.AdvanceTo(TimeSpan.FromSeconds(k));
            without.Add(got.HostResidentWithoutReportingBytes);
            // Nothing but a report gives a page back, so the view without reports holds at least what the host holds.
            Assert.True(got.HostResidentWithoutReportingBytes >= got.HostResidentBytes, $"t={k}s");
        }
        // It never falls, and it is the most the host ever held: what the guest started with plus
        // the 512 MiB it writes (the default guest writes its 512 MiB once, onto pages that were not
        // resident) and what the kernel writes for it (R24): 256 page tables and the unmap's 19 batch pages.
        Assert.Equal(without.Order(), without);
        Assert.Equal(alone.Summary.HostResidentStartBytes + (512L << 20) + (256 + 19) * 4096L, without[^1]);
        Assert.Equal(alone.Summary.HostResidentPeakBytes, without[^1]);
        Assert.Equal(alone.Summary.HostResidentStartBytes, without[0]);
        // The run with reporting gives most of that back.
        Assert.True(without[^1] - run.Result.EndResidentBytes > 256L << 20, $"{without[^1]} - {run.Result.EndResidentBytes}");
    }

    [Fact]
    public void Disposing_a_run_mid_way_stops_it()
    {
        var run = new SteppedGuestRun(Definition("default", 0, 1, TimeSpan.Zero, TimeSpan.FromSeconds(1)));
        Assert.True(run.AdvanceTo(TimeSpan.FromSeconds(3)).Running);
        run.Dispose();
        Assert.Throws<ObjectDisposedException>(() => run.AdvanceTo(TimeSpan.FromSeconds(4)));
    }
}
