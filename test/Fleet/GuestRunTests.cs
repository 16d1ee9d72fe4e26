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

        using var run = new RecordedGuestRun(definition);
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
        Assert.Equal(new GuestResult(4, alone.Scenario, s.ReportCalls, s.FailedReports, s.ReportedBytes, s.HostResidentPeakBytes, s.HostResidentEndBytes, 35.0),
            run.Result);
        Assert.True(s.ReportCalls > 0);
    }

    [Fact]
    public void A_run_only_moves_forward()
    {
        using var run = new RecordedGuestRun(Definition("default", 0, 1, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1)));
        Assert.Equal(GuestSample.Absent, run.AdvanceTo(TimeSpan.FromSeconds(2)));
        Assert.False(run.Finished);
        Assert.Throws<InvalidOperationException>(() => run.Result);
        Assert.Throws<ArgumentOutOfRangeException>(() => run.AdvanceTo(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Without_reporting_every_written_page_stays_resident()
    {
        var sample = TimeSpan.FromSeconds(1);
        using var run = new RecordedGuestRun(Definition("default", 0, 1, TimeSpan.Zero, sample));
        var without = await ScenarioRunner.RunAsync(
            BuiltInScenarios.Load("default") with { Workload = BuiltInScenarios.Load("default").Workload.Where(s => s is not RegisterStep).ToList() },
            new RunOptions(sample, ""));
        // No report, no discard: resident memory never falls.
        var residents = without.Timeline.Select(r => r.HostResidentBytes).ToList();
        Assert.Equal(residents.Order(), residents);
        Assert.Equal(0, without.Summary.ReportCalls);
        for (var k = 0; k <= 35; k++)
        {
            var got = run.AdvanceTo(TimeSpan.FromSeconds(k));
            Assert.Equal(residents[k], got.HostResidentWithoutReportingBytes);
        }
        // Both runs write the same 512 MiB onto pages that were not resident; only the run with reporting gives most of it back.
        Assert.Equal(run.Result.PeakResidentBytes, residents[^1]);
        Assert.True(residents[^1] - run.Result.EndResidentBytes > 256L << 20, $"{residents[^1]} - {run.Result.EndResidentBytes}");
    }
}
