using System.Globalization;
using System.Text.Json;
using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;
using Xunit;

namespace PageReportingActors.Tests.Simulation;

/// <summary>The host end to end: real runs of the built-in scenarios on virtual time.</summary>
public sealed class SimulationTests : IDisposable
{
    private const double MiB = 1 << 20;
    private readonly string _dir = Directory.CreateTempSubdirectory("sim-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(int Code, string Out, string Err, string OutDir)> Host(params string[] args)
    {
        var outDir = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HostProgram.RunAsync([.. args, "--out", outDir], stdout, stderr, interactive: false);
        return (code, stdout.ToString(), stderr.ToString(), outDir);
    }

    /// <summary>Drops in host-resident memory larger than 50 MiB between consecutive samples: (time, MiB).</summary>
    private static List<(double T, double DropMiB)> Steps(IEnumerable<(double T, double ResidentMiB)> curve)
    {
        var steps = new List<(double, double)>();
        (double T, double ResidentMiB)? previous = null;
        foreach (var point in curve)
        {
            if (previous is { } p && p.ResidentMiB - point.ResidentMiB > 50) steps.Add((point.T, p.ResidentMiB - point.ResidentMiB));
            previous = point;
        }
        return steps;
    }

    [Fact]
    public async Task Reference_qemu_1g_free512_reproduces_the_measured_two_steps()
    {
        var measured = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Data", "reference", "qemu-1g-free512", "measured.csv"))
            .Skip(1)
            .Select(l => l.Split(','))
            .Select(f => (double.Parse(f[0], CultureInfo.InvariantCulture), double.Parse(f[1], CultureInfo.InvariantCulture)))
            .ToList();
        var measuredSteps = Steps(measured);
        Assert.Equal(2, measuredSteps.Count);

        var scenario = BuiltInScenarios.Load("qemu-1g-free512");
        var freeAt = scenario.Workload.OfType<FreeStep>().Single().At.TotalSeconds;
        var result = await ScenarioRunner.RunAsync(scenario, new RunOptions(TimeSpan.FromMilliseconds(10), _dir));
        var modelSteps = Steps(result.Timeline.Where(r => r.T >= freeAt).Select(r => (r.T - freeAt, r.HostResidentBytes / MiB)));

        Assert.Equal(2, modelSteps.Count);
        Assert.InRange(modelSteps[0].T, 0, 2.5);
        Assert.InRange(modelSteps[1].T - modelSteps[0].T, 2.0 - 0.3, 2.0 + 0.3);
        for (var i = 0; i < 2; i++)
            Assert.InRange(modelSteps[i].DropMiB, measuredSteps[i].DropMiB * 0.8, measuredSteps[i].DropMiB * 1.2);
        // Each step is one pass: two full reports of 32 order-10 blocks from DMA32.
        var afterFree = result.Reports.Where(r => r.T >= freeAt).Take(4).ToList();
        Assert.All(afterFree, r => Assert.Equal("DMA32", r.Zone));
        Assert.Equal(2, result.Passes.Count(p => p.Start >= freeAt && p.ReportedBytes >= 256 * MiB * 0.99));
    }

    [Theory]
    [InlineData("default")]
    [InlineData("qemu-1g-free512")]
    [InlineData("idle-64g")]
    [InlineData("churn-10min")]
    [InlineData("failing-device")]
    [InlineData("reregister-during-pass")]
    [InlineData("order-change")]
    public async Task Built_in_scenario_runs_end_to_end(string name)
    {
        var (code, stdout, stderr, outDir) = await Host("run", name);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Contains("report calls", stdout);
        foreach (var file in new[] { "report.json", "timeline.csv", "timeline.png" })
            Assert.True(new FileInfo(Path.Combine(outDir, file)).Length > 0, file);

        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")));
        var summary = report.RootElement.GetProperty("summary");
        var reports = report.RootElement.GetProperty("reports");
        var passes = report.RootElement.GetProperty("passes");
        Assert.Equal(reports.GetArrayLength(), summary.GetProperty("reportCalls").GetInt32());
        Assert.Equal(passes.GetArrayLength(), summary.GetProperty("passes").GetInt32());
        Assert.True(passes.GetArrayLength() > 0);
        var okBytes = reports.EnumerateArray().Where(r => r.GetProperty("ok").GetBoolean()).Sum(r => r.GetProperty("bytes").GetInt64());
        Assert.Equal(okBytes, summary.GetProperty("reportedBytes").GetInt64());
        var csvRows = File.ReadAllLines(Path.Combine(outDir, "timeline.csv")).Length - 1;
        Assert.Equal(report.RootElement.GetProperty("timeline").GetArrayLength(), csvRows);
        // Every report of a pass is handed over within that pass.
        foreach (var r in reports.EnumerateArray())
        {
            var t = r.GetProperty("t").GetDouble();
            Assert.Contains(passes.EnumerateArray(), p => p.GetProperty("start").GetDouble() <= t && t <= p.GetProperty("end").GetDouble());
        }
    }

    [Fact]
    public async Task Idle_64GiB_guest_is_reported_in_16_passes_ending_32_s_after_registration()
    {
        var result = await ScenarioRunner.RunAsync(BuiltInScenarios.Load("idle-64g"), new RunOptions(TimeSpan.FromSeconds(1), _dir));
        Assert.Equal(16, result.Passes.Count);
        // The kernel's "about 30 seconds": 15 delays of 2 s after the first, plus each pass's own
        // time at the device (33 reports of 1 ms) before the next delay starts.
        Assert.InRange(result.Passes[^1].Start, 32.0, 33.0);
        Assert.All(result.Passes.Zip(result.Passes.Skip(1)), pair => Assert.Equal(2.0, pair.Second.Start - pair.First.End, 1));
        // Everything free above DMA ends up reported: DMA's 16 MiB never passes the gate.
        var last = result.Timeline[^1];
        Assert.InRange(last.FreeBytes - last.ReportedBytes, 0, 16L << 20);
    }

    [Fact]
    public async Task Failing_device_fails_every_tenth_report_and_nothing_is_left_isolated()
    {
        var result = await ScenarioRunner.RunAsync(BuiltInScenarios.Load("failing-device"), new RunOptions(TimeSpan.FromMilliseconds(100), _dir));
        Assert.True(result.Reports.Count >= 10);
        for (var i = 0; i < result.Reports.Count; i++)
            Assert.Equal((i + 1) % 10 != 0, result.Reports[i].Ok);
        Assert.Equal(result.Reports.Count / 10, result.Summary.FailedReports);
        Assert.Equal(0, result.Timeline[^1].IsolatedBytes);
    }

    [Fact]
    public async Task Same_scenario_and_seed_give_identical_files()
    {
        var first = await Host("run", "churn-10min", "--sample", "1s");
        var second = await Host("run", "churn-10min", "--sample", "1s");
        Assert.Equal(0, first.Code);
        Assert.Equal(0, second.Code);
        Assert.Equal(File.ReadAllBytes(Path.Combine(first.OutDir, "timeline.csv")), File.ReadAllBytes(Path.Combine(second.OutDir, "timeline.csv")));
        using var a = JsonDocument.Parse(File.ReadAllText(Path.Combine(first.OutDir, "report.json")));
        using var b = JsonDocument.Parse(File.ReadAllText(Path.Combine(second.OutDir, "report.json")));
        foreach (var field in new[] { "reports", "passes", "timeline", "shortfalls" })
            Assert.Equal(a.RootElement.GetProperty(field).GetRawText(), b.RootElement.GetProperty(field).GetRawText());
    }
}
