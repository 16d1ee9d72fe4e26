using System.Diagnostics;
using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Costs;
using Xunit;

namespace PageReportingActors.Tests.Costs;

public sealed class CalibrateTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("calibrate-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<(int Code, string Out, string Err, TimeSpan Took)> Calibrate(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var clock = Stopwatch.StartNew();
        var code = await HostProgram.RunAsync(["calibrate", .. args], stdout, stderr, interactive: false);
        return (code, stdout.ToString(), stderr.ToString(), clock.Elapsed);
    }

    // Physical bounds, not expectations: a zero-fill of 4 KiB is more than 50 ns of memory
    // bandwidth and less than a millisecond on any machine that runs the tests; a 2 MiB fill is
    // 512 times that; a madvise is a syscall (over 100 ns) that walks at most a few page tables.
    [Fact]
    public async Task Calibrate_writes_costs_json_in_the_physical_range_with_the_spread_printed_in_under_20_seconds()
    {
        var (code, output, err, took) = await Calibrate("--out", _directory, "--seconds", "2");

        Assert.True(code == HostProgram.ExitOk, err);
        Assert.True(took < TimeSpan.FromSeconds(20), $"calibrate took {took}");
        var content = CostsFile.ReadContent(Path.Combine(_directory, "costs.json"));
        var c = content.Costs;
        Assert.InRange(c.Fault4KiBSeconds, 50e-9, 1e-3);
        Assert.InRange(c.FaultHuge2MiBSeconds, 512 * 50e-9, 512 * 1e-3);
        Assert.InRange(c.Discard128KiBSeconds, 100e-9, 10e-3);
        Assert.InRange(c.Discard2MiBSeconds, 100e-9, 10e-3);
        Assert.StartsWith("calibrate on ", c.Source);

        // The 4 KiB figures are measured on every Linux machine; their spread is in the file and the table.
        foreach (var name in new[] { "fault4KiBSeconds", "discard128KiBSeconds" })
        {
            var s = content.Spread[name];
            Assert.True(s.Samples >= Calibration.MinSamples, $"{name}: {s.Samples} samples");
            Assert.True(s.Min > 0 && s.Min <= s.Median && s.Median <= s.Max, name);
            var line = output.Split('\n').Single(l => l.StartsWith(name, StringComparison.Ordinal));
            Assert.EndsWith("%", line.TrimEnd());
        }
        // Huge pages are measured where the machine gives them, and said so where it does not.
        var thp = Calibration.ThpMode();
        Assert.Contains($"THP: {thp ?? "not available"}", output);
        if (!content.Spread.ContainsKey("faultHuge2MiBSeconds"))
            Assert.Contains("note: ", output);
        Assert.Contains("written ", output);
    }

    [Theory]
    [InlineData("0", "--seconds: 0 must be in")]
    [InlineData("soon", "--seconds: \"soon\" is not a number of seconds")]
    [InlineData("1e9", "--seconds: 1e9 must be in")]
    public async Task Bad_seconds_is_a_usage_error_and_writes_nothing(string seconds, string message)
    {
        var (code, _, err, _) = await Calibrate("--out", _directory, "--seconds", seconds);

        Assert.Equal(HostProgram.ExitUsage, code);
        Assert.StartsWith(message, err.Trim());
        Assert.False(File.Exists(Path.Combine(_directory, "costs.json")));
    }
}
