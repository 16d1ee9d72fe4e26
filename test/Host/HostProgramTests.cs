using System.Text.Json;
using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;
using Xunit;

namespace PageReportingActors.Tests.Host;

public sealed class HostProgramTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("host-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Fails the test if a bad-input path ever reached the simulation.</summary>
    private static Task<RunResult> MustNotRun(Scenario scenario, RunOptions options, CancellationToken ct) =>
        throw new InvalidOperationException("the simulation must not start on bad input");

    private static Task<(int Code, string Out, string Err)> Run(ScenarioRun runner, params string[] args) =>
        Run(runner, progressAfter: null, args);

    private static async Task<(int Code, string Out, string Err)> Run(ScenarioRun runner, TimeSpan? progressAfter, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HostProgram.RunAsync(args, stdout, stderr, runner, interactive: false, progressAfter: progressAfter);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string ScenarioFile(string json)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    private async Task AssertUsageError(string message, params string[] args)
    {
        var (code, _, err) = await Run(MustNotRun, args);
        Assert.Equal(2, code);
        Assert.Equal(message + Environment.NewLine, err);
    }

    [Fact]
    public async Task A_bad_scenario_file_exits_2_with_its_one_line()
    {
        var path = ScenarioFile(ScenarioParserTests.Mutate(r => r["workload"]![3]!["size"] = "12XB"));
        await AssertUsageError("workload[3].size: is not a known field (known: at, op, cpu)", "run", path);
        path = ScenarioFile(ScenarioParserTests.Mutate(r => r["workload"]![1]!["size"] = "12XB"));
        await AssertUsageError("workload[1].size: \"12XB\" is not a size (a number and B, KiB, MiB or GiB, such as 512MiB)", "run", path, "--out", Path.Combine(_dir, "out"));
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }

    [Fact]
    public async Task Invalid_json_exits_2_with_line_and_position()
    {
        var path = ScenarioFile("{\n  \"name\": \"x\",,\n}");
        var (code, _, err) = await Run(MustNotRun, "run", path);
        Assert.Equal(2, code);
        Assert.StartsWith("invalid JSON at line 2, position 15: ", err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task A_missing_file_exits_2() =>
        await AssertUsageError("scenario file not found: nowhere/missing.json", "run", "nowhere/missing.json");

    [Fact]
    public async Task An_unknown_name_exits_2_listing_the_known_ones() =>
        await AssertUsageError(
            "unknown scenario \"bogus\"; known: default, qemu-1g-free512, idle-64g, churn-10min, failing-device, reregister-during-pass, order-change, retouch",
            "run", "bogus");

    [Theory]
    [InlineData("x", "--sample: \"x\" is not a duration (a number and ms, s or min, such as 100ms)")]
    [InlineData("10", "--sample: 10: a duration needs a unit: 10ms, 10s")]
    [InlineData("0ms", "--sample: \"0ms\" must be positive")]
    public async Task A_bad_sample_exits_2(string sample, string message) =>
        await AssertUsageError(message, "run", "default", "--sample", sample);

    [Theory]
    [InlineData("Unknown command 'frob'.", "frob")]
    [InlineData("unknown option --bogus for run; it takes --out, --sample, --seed, --log-level, --quiet, --costs", "run", "default", "--bogus")]
    [InlineData("unknown option --smaple for run; did you mean --sample?", "run", "default", "--smaple", "10ms")]
    [InlineData("unknown option --node for fleet; did you mean --nodes?", "fleet", "f.json", "--node", "2")]
    [InlineData("--seed: \"abc\" is not a whole number; give one such as --seed 42", "run", "default", "--seed", "abc")]
    [InlineData("--seed: \"1.5\" is not a whole number; give one such as --seed 42", "run", "default", "--seed=1.5")]
    [InlineData("--seed: 9999999999 is out of range (-2147483648 to 2147483647)", "run", "default", "--seed", "9999999999")]
    [InlineData("--nodes: \"two\" is not a whole number; give one such as --nodes 42", "sweep", "default", "--nodes", "two")]
    [InlineData("Command 'run' is missing required argument 'SCENARIO'.", "run")]
    [InlineData("--out: needs a value", "run", "default", "--out")]
    public async Task Command_line_mistakes_exit_2(string message, params string[] args) =>
        await AssertUsageError(message, args);

    [Fact]
    public async Task Scenarios_lists_every_built_in_with_its_description()
    {
        var (code, output, err) = await Run(MustNotRun, "scenarios");
        Assert.Equal(0, code);
        Assert.Empty(err);
        var lines = output.TrimEnd().Split(Environment.NewLine);
        Assert.Equal(BuiltInScenarios.Names, lines.Select(l => l.Split(' ')[0]));
        foreach (var s in BuiltInScenarios.All) Assert.Contains(s.Description, output);
    }

    [Fact]
    public async Task A_failing_simulation_exits_1_with_one_line()
    {
        var (code, _, err) = await Run((_, _, _) => throw new InvalidOperationException("zone DMA32:\nbroken"), "run", "default", "--out", _dir);
        Assert.Equal(1, code);
        Assert.Equal("zone DMA32: broken" + Environment.NewLine, err);
    }

    [Fact]
    public async Task Seed_overrides_the_files_seed()
    {
        Scenario? seen = null;
        var (code, _, err) = await Run((s, _, _) =>
        {
            seen = s;
            return Task.FromResult(FakeRuns.Result());
        }, "run", "default", "--seed", "42", "--out", _dir, "--quiet");
        Assert.True(code == 0, err);
        Assert.Equal(42, seen!.Seed);
        // Everything else is the file's.
        var file = BuiltInScenarios.Load("default");
        Assert.Equal(1, file.Seed);
        Assert.Equal(file.Name, seen.Name);
        Assert.Equal(file.Workload, seen.Workload);
        Assert.Equal(file.Zones, seen.Zones);
    }

    [Fact]
    public async Task A_seed_that_is_not_an_integer_exits_2() =>
        Assert.Equal(2, (await Run(MustNotRun, "run", "default", "--seed", "x", "--out", _dir)).Code);

    [Fact]
    public async Task A_stopped_run_exits_130_with_one_line()
    {
        using var stop = new CancellationTokenSource();
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HostProgram.RunAsync(["run", "default", "--out", _dir, "--quiet"], stdout, stderr,
            (_, _, ct) =>
            {
                // Ctrl+C arrives while the simulation runs.
                stop.Cancel();
                ct.ThrowIfCancellationRequested();
                return Task.FromResult(FakeRuns.Result());
            }, interactive: false, cancellationToken: stop.Token);
        Assert.Equal(130, code);
        Assert.Equal(HostProgram.InterruptedMessage + Environment.NewLine, stderr.ToString());
    }

    [Fact]
    public async Task No_arguments_runs_default_into_out()
    {
        Scenario? seen = null;
        RunOptions? options = null;
        var cwd = Environment.CurrentDirectory;
        Environment.CurrentDirectory = _dir;
        try
        {
            var (code, output, err) = await Run((s, o, _) =>
            {
                seen = s;
                options = o;
                return Task.FromResult(FakeRuns.Result());
            });
            Assert.True(code == 0, err);
        }
        finally
        {
            Environment.CurrentDirectory = cwd;
        }
        Assert.Equal("1 GiB guest frees 512 MiB", seen!.Name);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options!.Sample);
        Assert.Equal(Path.Combine(_dir, "out"), options.OutDir.TrimEnd(Path.DirectorySeparatorChar));
        Assert.True(File.Exists(Path.Combine(_dir, "out", "report.json")));
    }

    [Fact]
    public async Task A_run_writes_the_files_reports_progress_on_stderr_and_prints_a_summary()
    {
        var outDir = Path.Combine(_dir, "results");
        var (code, output, err) = await Run((scenario, options, _) =>
        {
            for (var i = 1; i <= 20; i++) options.Progress?.Report(i / 20.0 * 0.95);
            return Task.FromResult(FakeRuns.Result(scenario.Name));
        }, TimeSpan.Zero, "run", "qemu-1g-free512", "--out", outDir, "--sample", "250ms");

        Assert.True(code == 0, err);
        // Each tenth once, with the run's guest-seconds done (a run of one guest: its virtual seconds).
        var lines = err.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => $"progress: {i * 10}%"), lines.Select(l => l.Split(' ')[..2]).Select(w => string.Join(' ', w)));
        Assert.Matches(@"^progress: 10% \([\d.,]+ of 40 guest-seconds, [\d,]+ per second, \d+ s left\)$", lines[0]);
        Assert.Matches(@"^progress: 100% \(40 of 40 guest-seconds, [\d,]+ per second\)$", lines[^1]);
        Assert.DoesNotContain("progress", output);
        foreach (var label in new[] { "report calls", "failed reports", "reported in total", "passes", "host-resident start",
                     "host-resident peak", "host-resident end", "virtual seconds", "wall seconds", "written" })
            Assert.Contains(label, output);
        Assert.Contains(Path.Combine(outDir, "report.json"), output);
        Assert.Contains(Path.Combine(outDir, "timeline.png"), output);

        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")));
        Assert.Equal("1 GiB guest frees 512 MiB (QEMU reference)", report.RootElement.GetProperty("scenario").GetString());
        Assert.True(File.Exists(Path.Combine(outDir, "timeline.csv")));
        Assert.True(File.Exists(Path.Combine(outDir, "timeline.png")));
    }

    [Fact]
    public async Task A_scenario_file_by_path_runs()
    {
        var path = ScenarioFile(ScenarioParserTests.Example);
        Scenario? seen = null;
        var (code, _, err) = await Run((s, _, _) => { seen = s; return Task.FromResult(FakeRuns.Result()); },
            "run", path, "--out", Path.Combine(_dir, "o"));
        Assert.True(code == 0, err);
        Assert.Equal(new StopStep(TimeSpan.FromSeconds(35)), seen!.Workload[^1]);
    }

    [Fact]
    public async Task A_run_shorter_than_the_progress_delay_prints_no_progress()
    {
        var (code, output, err) = await Run((scenario, options, _) =>
        {
            for (var i = 1; i <= 10; i++) options.Progress?.Report(i / 10.0);
            return Task.FromResult(FakeRuns.Result(scenario.Name));
        }, TimeSpan.FromSeconds(30), "run", "default", "--out", Path.Combine(_dir, "quick"));
        Assert.True(code == 0, err);
        Assert.Empty(err);
        Assert.DoesNotContain("progress", output);
    }

    [Fact]
    public async Task A_run_that_outlasts_the_delay_starts_its_progress_where_it_is()
    {
        var (code, _, err) = await Run(async (scenario, options, _) =>
        {
            options.Progress?.Report(0.35);
            await Task.Delay(TimeSpan.FromMilliseconds(400));
            options.Progress?.Report(0.5);
            return FakeRuns.Result(scenario.Name);
        }, TimeSpan.FromMilliseconds(100), "run", "default", "--out", Path.Combine(_dir, "slow"));
        Assert.True(code == 0, err);
        Assert.Equal(["progress: 30%", "progress: 50%", "progress: 100%"],
            err.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries).Select(l => l[..l.IndexOf(" (", StringComparison.Ordinal)]));
    }

    [Fact]
    public async Task The_summary_says_reported_memory_is_a_total_that_can_count_memory_twice()
    {
        var (code, output, err) = await Run((scenario, _, _) => Task.FromResult(FakeRuns.Result(scenario.Name)),
            "run", "default", "--out", Path.Combine(_dir, "total"));
        Assert.True(code == 0, err);
        var line = Assert.Single(output.Split(Environment.NewLine), l => l.StartsWith("reported in total", StringComparison.Ordinal));
        Assert.EndsWith("  128.0 MiB (134217728 bytes); the same memory may be reported more than once", line);
    }

    [Fact]
    public async Task Run_help_names_every_file_a_run_writes()
    {
        var (code, output, err) = await Run(MustNotRun, "run", "--help");
        Assert.True(code == 0, err);
        var description = output[..output.IndexOf("USAGE", StringComparison.Ordinal)];
        var outOption = output[output.IndexOf("--out <DIR>", StringComparison.Ordinal)..output.IndexOf("--sample <DURATION>", StringComparison.Ordinal)];
        foreach (var file in new[] { "report.json", "timeline.csv", "timeline.png", "report.html" })
        {
            Assert.Contains(file, description);
            Assert.Contains(file, outOption);
        }
    }
}
