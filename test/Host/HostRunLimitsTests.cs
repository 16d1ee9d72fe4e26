using System.Diagnostics;
using System.Text.Json.Nodes;
using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Output;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;
using Xunit;

namespace PageReportingActors.Tests.Host;

/// <summary>
/// What the host does with runs it cannot finish or write: too many timeline rows, an allocation
/// bigger than the guest, output targets it cannot replace, a failing write, Ctrl+C.
/// </summary>
public sealed class HostRunLimitsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("host-limits-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<RunResult> MustNotRun(Scenario scenario, RunOptions options, CancellationToken ct) =>
        throw new InvalidOperationException("the simulation must not start on bad input");

    private static async Task<(int Code, string Out, string Err)> Run(ScenarioRun? runner, CancellationToken ct, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HostProgram.RunAsync(args, stdout, stderr, runner, interactive: false, cancellationToken: ct);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string ScenarioFile(string json)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string TwentyDayRun() => ScenarioParserTests.Mutate(r => r["workload"]![3]!["at"] = "28800min");

    [Fact]
    public async Task A_20_day_run_at_100ms_samples_is_refused_up_front_naming_sample()
    {
        var (code, _, err) = await Run(MustNotRun, default, "run", ScenarioFile(TwentyDayRun()), "--out", Path.Combine(_dir, "out"));
        Assert.Equal(2, code);
        // 20 days at 100 ms: 17,280,001 rows; 2,000,000 rows need a sample of at least 864 ms.
        Assert.Equal("--sample: 100ms gives 17280001 timeline rows over 28800min; at most 2000000: use --sample 865ms or more"
            + Environment.NewLine, err);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }

    [Fact]
    public async Task The_same_run_at_the_sample_it_names_is_accepted()
    {
        var seen = 0;
        var (code, _, err) = await Run((_, o, _) => { seen++; return Task.FromResult(FakeRuns.Result()); }, default,
            "run", ScenarioFile(TwentyDayRun()), "--out", Path.Combine(_dir, "out"), "--sample", "865ms", "--quiet");
        Assert.True(code == 0, err);
        Assert.Equal(1, seen);
    }

    [Fact]
    public void The_row_bound_is_exact_and_the_sample_it_names_fits()
    {
        var sample = TimeSpan.FromMilliseconds(100);
        // 199,999.9 s at 100 ms: rows 0 to 1,999,999, exactly 2,000,000.
        Assert.Equal(2_000_000, ScenarioBounds.TimelineRows(TimeSpan.FromSeconds(199_999.9), sample));
        Assert.Null(ScenarioBounds.TimelineProblem(TimeSpan.FromSeconds(199_999.9), sample));
        Assert.Equal("--sample: 100ms gives 2000001 timeline rows over 200000s; at most 2000000: use --sample 101ms or more",
            ScenarioBounds.TimelineProblem(TimeSpan.FromSeconds(200_000), sample));
        Assert.Null(ScenarioBounds.TimelineProblem(TimeSpan.FromSeconds(200_000), TimeSpan.FromMilliseconds(101)));
        Assert.Equal(1, ScenarioBounds.TimelineRows(TimeSpan.Zero, TimeSpan.FromMilliseconds(1)));
    }

    [Theory]
    [InlineData("0.0001ms", "--sample: 0.0000001s is outside 1ms..527040min")]
    [InlineData("0.5ms", "--sample: 0.0005s is outside 1ms..527040min")]
    [InlineData("600000min", "--sample: 600000min is outside 1ms..527040min")]
    public async Task A_sample_outside_its_bounds_exits_2(string sample, string message)
    {
        var (code, _, err) = await Run(MustNotRun, default, "run", "default", "--sample", sample, "--out", Path.Combine(_dir, "out"));
        Assert.Equal(2, code);
        Assert.Equal(message + Environment.NewLine, err);
    }

    [Fact]
    public async Task A_4_TiB_allocation_in_a_1_GiB_guest_records_a_shortfall()
    {
        var scenario = ScenarioParser.Parse("""
            { "name": "too big", "guest": { "memory": "1GiB" },
              "workload": [ { "at": "0s", "op": "register" },
                            { "at": "1s", "op": "allocate", "id": "huge", "size": "4096GiB" },
                            { "at": "3s", "op": "stop" } ] }
            """);
        var result = await ScenarioRunner.RunAsync(scenario, new RunOptions(TimeSpan.FromSeconds(1), _dir));
        var shortfall = Assert.Single(result.Shortfalls);
        Assert.Equal("huge", shortfall.Id);
        Assert.Equal(4096L << 30, shortfall.RequestedBytes);
        // It got what stayed above min: most of the guest, but less than 1 GiB.
        Assert.InRange(shortfall.AllocatedBytes, 800L << 20, (1L << 30) - 1);
        // Resident: what it got and its page tables, a page per 2 MiB begun (R24).
        var pageTables = (shortfall.AllocatedBytes + (2L << 20) - 1) / (2L << 20) * 4096;
        Assert.Equal(shortfall.AllocatedBytes + pageTables, result.Timeline[^1].HostResidentBytes - result.Timeline[0].HostResidentBytes);
    }

    [Theory]
    [InlineData("timeline.csv")]
    [InlineData("report.json")]
    [InlineData("timeline.png")]
    [InlineData("report.html")]
    public async Task An_output_name_taken_by_a_directory_fails_before_anything_is_written(string taken)
    {
        var outDir = Path.Combine(_dir, "out");
        Directory.CreateDirectory(Path.Combine(outDir, taken));
        var stale = new Dictionary<string, string>();
        foreach (var name in new[] { "report.json", "timeline.csv", "timeline.png", "report.html" }.Where(n => n != taken))
        {
            File.WriteAllText(Path.Combine(outDir, name), "stale " + name);
            stale[name] = "stale " + name;
        }
        var (code, _, err) = await Run(MustNotRun, default, "run", "default", "--out", outDir);
        Assert.Equal(2, code);
        Assert.Equal($"--out: {Path.Combine(outDir, taken)} is a directory; remove it or choose another --out" + Environment.NewLine, err);
        foreach (var (name, text) in stale) Assert.Equal(text, File.ReadAllText(Path.Combine(outDir, name)));
        Assert.Equal(stale.Count + 1, Directory.GetFileSystemEntries(outDir).Length);
    }

    [Fact]
    public async Task An_out_that_is_a_file_fails_before_the_run()
    {
        var outFile = Path.Combine(_dir, "a-file");
        File.WriteAllText(outFile, "x");
        var (code, _, err) = await Run(MustNotRun, default, "run", "default", "--out", outFile);
        Assert.Equal(2, code);
        Assert.Equal($"--out: {outFile} is a file, not a directory" + Environment.NewLine, err);
        Assert.Equal("x", File.ReadAllText(outFile));
    }

    [Fact]
    public async Task An_out_below_a_file_fails_before_the_run()
    {
        var file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "x");
        var outDir = Path.Combine(file, "sub", "out");
        var (code, _, err) = await Run(MustNotRun, default, "run", "default", "--out", outDir);
        Assert.Equal(2, code);
        Assert.Equal($"--out: {outDir}: {file} is a file, not a directory" + Environment.NewLine, err);
    }

    [Fact]
    public void A_write_that_fails_half_way_leaves_the_previous_files_whole_and_no_temporary_ones()
    {
        var outDir = Path.Combine(_dir, "out");
        var good = FakeRuns.Result();
        var first = RunOutput.WriteAll(good, outDir);
        var before = first.All.ToDictionary(f => f, File.ReadAllBytes);

        // A row that cannot be written (its time is not a number) makes report.json fail after its first rows.
        var rows = good.Timeline.ToList();
        rows[200] = rows[200] with { T = double.NaN };
        var bad = good with { Scenario = "second run", Timeline = rows };
        Assert.ThrowsAny<Exception>(() => RunOutput.WriteAll(bad, outDir));

        foreach (var (file, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(file));
        Assert.Equal(before.Keys.Order(), Directory.GetFiles(outDir).Order());
    }

    [Fact]
    public async Task Ctrl_C_stops_a_run_within_a_second_with_exit_130_and_writes_nothing()
    {
        var outDir = Path.Combine(_dir, "out");
        using var cancel = new CancellationTokenSource();
        var wall = Stopwatch.StartNew();
        // Cancelled once the run has made progress, as Ctrl+C would be.
        ScenarioRun runner = (scenario, options, ct) => ScenarioRunner.RunAsync(scenario,
            options with { Progress = new CallbackProgress(p => { if (p >= 0.05) cancel.Cancel(); }) }, ct);
        var run = Run(runner, cancel.Token, "run", "churn-10min", "--out", outDir, "--quiet");
        var (code, _, err) = await run;
        var cancelledAt = wall.Elapsed;
        Assert.Equal(130, code);
        Assert.Equal("stopped (SIGINT or SIGTERM) before the run ended; nothing written" + Environment.NewLine, err);
        // Loosely: the whole run with its cancel, far less than the 30 s an unanswered ask waits.
        Assert.True(cancelledAt < TimeSpan.FromSeconds(5), $"took {cancelledAt}");
        Assert.True(!Directory.Exists(outDir) || Directory.GetFileSystemEntries(outDir).Length == 0);
    }

    [Fact]
    public async Task A_stop_during_one_long_step_ends_the_run_without_waiting_for_the_step()
    {
        // Writing 60 GiB in 4 KiB pages is one step of about 15 million allocations: many seconds of work.
        var scenario = ScenarioParser.Parse("""
            { "name": "one long step", "guest": { "memory": "64GiB" },
              "workload": [ { "at": "0s", "op": "register" },
                            { "at": "1s", "op": "allocate", "id": "all", "size": "60GiB" },
                            { "at": "2s", "op": "stop" } ] }
            """);
        using var cancel = new CancellationTokenSource();
        // The first progress report comes after the sample at 0 s, just before the clock goes to the step at 1 s.
        var started = new TaskCompletionSource();
        var progress = new CallbackProgress(_ => started.TrySetResult());
        var run = ScenarioRunner.RunAsync(scenario, new RunOptions(TimeSpan.FromSeconds(1), _dir, progress), cancel.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(run.IsCompleted, "the step ended before it could be stopped");
        var stopped = Stopwatch.StartNew();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(5), $"took {stopped.Elapsed}");
    }

    private sealed class CallbackProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
