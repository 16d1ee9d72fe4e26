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
