using System.Text.RegularExpressions;
using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Output;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;
using Xunit;

namespace PageReportingActors.Tests.Host;

/// <summary>report.html: written with every run, self-contained, the chart marks every workload step.</summary>
public sealed class HtmlReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("html-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static int Markers(string html) => Regex.Matches(html, "<g class=\"marker\" data-kind=\"([A-Za-z]+)\"").Count;

    private async Task<string> RunBuiltIn(string name)
    {
        var outDir = Path.Combine(_dir, name);
        var code = await HostProgram.RunAsync(["run", name, "--out", outDir], new StringWriter(), new StringWriter(), interactive: false);
        Assert.Equal(0, code);
        Assert.True(File.Exists(Path.Combine(outDir, ReportJsonWriter.FileName)));
        return File.ReadAllText(Path.Combine(outDir, HtmlReportWriter.FileName));
    }

    [Fact]
    public async Task Default_run_writes_report_html_beside_report_json_with_a_marker_per_workload_step()
    {
        var html = await RunBuiltIn("default");
        var scenario = BuiltInScenarios.Load("default");
        // register, allocate, free; stop is the chart's right edge.
        Assert.Equal(3, scenario.Workload.Count(s => s is not StopStep));
        Assert.Equal(3, Markers(html));
        Assert.Equal(["register", "allocate", "free"],
            Regex.Matches(html, "<g class=\"marker\" data-kind=\"([A-Za-z]+)\" data-t=\"([0-9.]+)\"").Select(m => m.Groups[1].Value));
        Assert.Equal(["0", "10", "15"],
            Regex.Matches(html, "<g class=\"marker\" data-kind=\"[A-Za-z]+\" data-t=\"([0-9.]+)\"").Select(m => m.Groups[1].Value));
        Assert.Contains("<svg class=\"chart\"", html);
        Assert.Contains("memory (MiB)", html);
        // host-resident, reported, the per-CPU lists and refaulted memory.
        Assert.Equal(4, Regex.Matches(html, "<polyline class=\"series\"").Count);
        Assert.Contains("per-CPU lists (free, never reported)", html);
        // The passes and reports tables have a row per pass and report of the run.
        Assert.Contains("<h2>Passes (6)</h2>", html);
        Assert.DoesNotMatch("https?://", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<link", html);
    }

    [Fact]
    public async Task Retouch_shows_the_cost_table_and_the_refaults_rising_on_the_chart()
    {
        var html = await RunBuiltIn("retouch");
        var report = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "retouch", ReportJsonWriter.FileName)))!["cost"]!;
        Assert.Contains("<h2>What reporting cost the host</h2>", html);
        var cost = Regex.Match(html, "<table class=\"summary\" id=\"cost\">(.*?)</table>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Contains($"<td>host faults</td><td>{(long)report["hostFaults"]!}</td>", cost);
        Assert.Contains($"<td>{(long)report["refaults"]!}, ", cost);
        Assert.True((long)report["refaults"]! > 0);
        // The refaulted line starts at 0 and ends higher: its last point is above its first.
        var points = Regex.Match(html, "data-series=\"refaulted\"[^>]*points=\"([^\"]*)\"").Groups[1].Value.Trim().Split(' ')
            .Select(p => double.Parse(p.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(points[^1] < points[0], $"{points[0]} -> {points[^1]}");
    }

    [Fact]
    public async Task A_64GiB_guest_is_charted_in_GiB()
    {
        var html = await RunBuiltIn("idle-64g");
        Assert.Contains("memory (GiB)", html);
        Assert.DoesNotContain("memory (MiB)", html);
        Assert.Equal(1, Markers(html));
        Assert.DoesNotMatch("https?://", html);
    }

    [Fact]
    public void Every_kind_of_step_gets_its_marker_and_the_page_escapes_names()
    {
        var result = FakeRuns.Result(scenario: "<b>guest</b> & co") with { };
        result = result with { Steps = WorkloadMarker.Of([
            new RegisterStep(TimeSpan.Zero),
            new AllocateStep(TimeSpan.FromSeconds(10), "hog", 512L << 20, 0, PageReportingActors.Memory.Migratetype.Movable),
            new FreeStep(TimeSpan.FromSeconds(15), "hog", 0.5, FreePattern.EveryOther),
            new SetOrderStep(TimeSpan.FromSeconds(20), 10),
            new UnregisterStep(TimeSpan.FromSeconds(25)),
            new StopStep(TimeSpan.FromSeconds(35)),
        ]) };
        var html = HtmlReportWriter.ToHtml(result);
        Assert.Equal(["register", "allocate", "free", "setOrder", "unregister"],
            Regex.Matches(html, "<g class=\"marker\" data-kind=\"([A-Za-z]+)\"").Select(m => m.Groups[1].Value));
        Assert.Contains("allocate hog 512MiB", html);
        Assert.Contains("free 0.5 of hog", html);
        Assert.Contains("&lt;b&gt;guest&lt;/b&gt; &amp; co", html);
        Assert.DoesNotContain("<b>guest</b>", html);
        // The failed report's row is marked.
        Assert.Single(Regex.Matches(html, "<tr class=\"failed\">"));
    }

    [Theory]
    [InlineData(900.0, 6, new[] { 0.0, 200, 400, 600, 800, 1000 })]
    [InlineData(62.7, 6, new[] { 0.0, 20, 40, 60, 80 })]
    [InlineData(35.0, 10, new[] { 0.0, 5, 10, 15, 20, 25, 30, 35 })]
    [InlineData(0.3, 6, new[] { 0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3 })]
    public void Axis_ticks_are_round_and_reach_the_data(double max, int count, double[] expected)
    {
        Assert.Equal(expected, ChartScale.Ticks(max, count));
    }
}
