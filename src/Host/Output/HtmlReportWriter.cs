using System.Globalization;
using System.Net;
using System.Text;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;

namespace PageReportingActors.Host.Output;

/// <summary>
/// Writes DIR/report.html: one self-contained page (inline CSS and SVG, nothing from the network)
/// with the summary, the timeline chart with a marker per workload step, and the passes and reports
/// as tables: a file a person can open in a browser and send on.
/// </summary>
internal static class HtmlReportWriter
{
    public const string FileName = "report.html";

    // The chart's geometry in SVG user units; the plot area leaves room for the axes' labels.
    private const int Width = 1000;
    private const int Height = 470;
    private const int Left = 80;
    private const int Right = 970;
    private const int Top = 70;
    private const int Bottom = 410;

    /// <summary>Writes the page whole or not at all: into a temporary file first, then moved into place.</summary>
    public static void WriteFile(RunResult result, string path) => AtomicFile.Write(path, temporary => WriteInPlace(result, temporary));

    /// <summary>Writes straight into <paramref name="path"/>; <see cref="RunOutput"/> stages it.</summary>
    internal static void WriteInPlace(RunResult result, string path) => File.WriteAllText(path, ToHtml(result), new UTF8Encoding(false));

    public static string ToHtml(RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var scale = ChartScale.For(result.Timeline);
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.Append("<title>").Append(E(result.Scenario)).Append(" - page reporting run</title>\n");
        h.Append("<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n");
        h.Append("<h1>").Append(E(result.Scenario)).Append("</h1>\n");
        h.Append(I($"<p class=\"settings\">seed {result.Seed} &middot; reporting order {result.Settings.ReportingOrder} &middot; delay {result.Settings.DelaySeconds:0.###} s &middot; capacity {result.Settings.Capacity} entries</p>\n"));

        Summary(h, result);
        Cost(h, result.Host);
        h.Append("<h2>Timeline</h2>\n");
        Chart(h, result, scale);
        Steps(h, result.Steps);
        Passes(h, result.Passes);
        Reports(h, result.Reports);
        Shortfalls(h, result.Shortfalls);
        h.Append("</body>\n</html>\n");
        return h.ToString();
    }

    private const string Css = """
        body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1040px; color: #222; padding: 0 12px; }
        h1 { font-size: 22px; margin-bottom: 4px; }
        h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
        .settings { color: #555; margin-top: 0; }
        table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
        th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: right; }
        th { background: #f5f5f5; font-weight: 600; }
        td.text, th.text { text-align: left; }
        table.summary td:first-child { text-align: left; color: #555; }
        tr.failed td { color: #b00020; }
        .chart { width: 100%; height: auto; display: block; }
        .legend { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 6px 0 0 80px; }
        .legend span { display: inline-flex; align-items: center; gap: 6px; }
        .swatch { display: inline-block; width: 22px; height: 3px; }
        .swatch.marker { width: 0; height: 14px; border-left: 2px dashed; }
        .scroll { display: inline-block; max-width: 100%; max-height: 420px; overflow: auto; border: 1px solid #eee; }
        .scroll th { position: sticky; top: 0; }
        .note { color: #666; }

        """;

    private static void Summary(StringBuilder h, RunResult result)
    {
        var s = result.Summary;
        h.Append("<h2>Summary</h2>\n<table class=\"summary\">\n");
        Row(h, "reports", I($"{s.ReportCalls} ({s.FailedReports} failed)"));
        Row(h, "reported in total", $"{Sizes.Human(s.ReportedBytes)} ({Cli.SummaryPrinter.SameMemoryAgain})");
        Row(h, "passes", I($"{s.Passes}"));
        Row(h, "host-resident at start", Sizes.Human(s.HostResidentStartBytes));
        Row(h, "host-resident peak", Sizes.Human(s.HostResidentPeakBytes));
        Row(h, "host-resident at end", Sizes.Human(s.HostResidentEndBytes));
        Row(h, "virtual time", I($"{s.VirtualSeconds:0.###} s"));
        Row(h, "wall time", I($"{s.WallSeconds:0.###} s"));
        h.Append("</table>\n");

        static void Row(StringBuilder h, string name, string value) =>
            h.Append("<tr><td>").Append(E(name)).Append("</td><td>").Append(E(value)).Append("</td></tr>\n");
    }

    /// <summary>report.json's <c>cost</c> as a table: what the host did for this run and what it cost.</summary>
    private static void Cost(StringBuilder h, PageReportingActors.Hypervisor.HostSnapshot? host)
    {
        if (host is null) return;
        h.Append("<h2>What reporting cost the host</h2>\n<table class=\"summary\" id=\"cost\">\n");
        Row(h, "backing", I($"{host.BackingName} ({Sizes.Human(host.HostPageBytes)} host pages){(host.DiscardInhibited ? ", discards inhibited" : "")}"));
        Row(h, "report calls / entries", I($"{host.ReportCalls} / {host.Entries}"));
        Row(h, "discarded", Sizes.Human(host.DiscardedBytes));
        Row(h, "ignored (left resident, flagged Reported)", I($"{host.IgnoredEntries} entries, {Sizes.Human(host.IgnoredBytes)}"));
        Row(h, "host faults", I($"{host.HostFaults}"));
        Row(h, "refaults (pages a discard took, written again)", I($"{host.Refaults}, {Sizes.Human(host.RefaultBytes)}"));
        Row(h, "split THP frames", I($"{host.SplitFrames}"));
        Row(h, "host CPU", I($"{host.HostCpuSeconds:0.######} s"));
        var c = host.UnitCosts;
        Row(h, "unit costs", I($"fault 4 KiB {c.Fault4KiBSeconds * 1e6:0.###} us, fault 2 MiB {c.FaultHuge2MiBSeconds * 1e6:0.###} us, discard 128 KiB {c.Discard128KiBSeconds * 1e6:0.###} us, discard 2 MiB {c.Discard2MiBSeconds * 1e6:0.###} us ({c.Source})"));
        h.Append("</table>\n");

        static void Row(StringBuilder h, string name, string value) =>
            h.Append("<tr><td>").Append(E(name)).Append("</td><td>").Append(E(value)).Append("</td></tr>\n");
    }

    private static void Chart(StringBuilder h, RunResult result, ChartScale scale)
    {
        var rows = result.Timeline;
        var tMax = Math.Max(1e-3, Math.Max(rows.Count > 0 ? rows[^1].T : 0, result.Steps.Count > 0 ? result.Steps.Max(m => m.T) : 0));
        var yMaxData = rows.Count == 0 ? 1 : rows.Max(r => Math.Max(Math.Max(scale.Of(r.HostResidentBytes), scale.Of(r.ReportedBytes)), scale.Of(Refaulted(r))));
        var yTicks = ChartScale.Ticks(Math.Max(yMaxData, 1e-9));
        var yMax = Math.Max(yTicks[^1], yMaxData);
        if (yMax <= 0) yMax = 1;
        var xTicks = ChartScale.Ticks(tMax, 10);
        double X(double t) => Left + (Right - Left) * t / tMax;
        double Y(double v) => Bottom - (Bottom - Top) * v / yMax;

        h.Append(I($"<svg class=\"chart\" id=\"timeline\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"host-resident and reported memory over virtual time, with the workload's steps\">\n"));
        h.Append(I($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{Right - Left}\" height=\"{Bottom - Top}\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n"));
        foreach (var v in yTicks.Where(v => v <= yMax))
        {
            var y = Y(v);
            h.Append(I($"<line x1=\"{Left}\" x2=\"{Right}\" y1=\"{y:0.##}\" y2=\"{y:0.##}\" stroke=\"#e4e4e4\"/>"));
            h.Append(I($"<text x=\"{Left - 8}\" y=\"{y + 4:0.##}\" text-anchor=\"end\" font-size=\"12\" fill=\"#444\">{ChartScale.Format(v)}</text>\n"));
        }
        foreach (var t in xTicks.Where(t => t <= tMax * (1 + 1e-9)))
        {
            var x = X(t);
            h.Append(I($"<line x1=\"{x:0.##}\" x2=\"{x:0.##}\" y1=\"{Bottom}\" y2=\"{Bottom + 5}\" stroke=\"#888\"/>"));
            h.Append(I($"<text x=\"{x:0.##}\" y=\"{Bottom + 20}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#444\">{ChartScale.Format(t)}</text>\n"));
        }
        h.Append(I($"<text x=\"{(Left + Right) / 2}\" y=\"{Height - 18}\" text-anchor=\"middle\" font-size=\"13\" fill=\"#222\">virtual time (s)</text>\n"));
        h.Append(I($"<text transform=\"translate(20 {(Top + Bottom) / 2}) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\" fill=\"#222\">memory ({scale.Unit})</text>\n"));

        Line(h, rows, r => scale.Of(r.HostResidentBytes), X, Y, ChartScale.ResidentColour, "host-resident");
        Line(h, rows, r => scale.Of(r.ReportedBytes), X, Y, ChartScale.ReportedColour, "reported");
        Line(h, rows, r => scale.Of(r.PcpBytes), X, Y, ChartScale.PerCpuColour, "pcp");
        Line(h, rows, r => scale.Of(Refaulted(r)), X, Y, ChartScale.RefaultColour, "refaulted");

        // Steps close in time stack their numbers in up to three rows instead of covering each other.
        var rowEnds = new[] { double.MinValue, double.MinValue, double.MinValue };
        for (var i = 0; i < result.Steps.Count; i++)
        {
            var m = result.Steps[i];
            var x = X(m.T);
            var colour = ChartScale.MarkerColour(m.Kind);
            var row = Array.FindIndex(rowEnds, end => x - end >= 20);
            if (row < 0) row = Array.IndexOf(rowEnds, rowEnds.Min());
            rowEnds[row] = x;
            var cy = Top - 12 - 21 * row;
            h.Append(I($"<g class=\"marker\" data-kind=\"{E(m.Kind)}\" data-t=\"{ChartScale.Format(m.T)}\"><title>{E(m.Label)} at {ChartScale.Format(m.T)} s</title>"));
            h.Append(I($"<line x1=\"{x:0.##}\" x2=\"{x:0.##}\" y1=\"{cy}\" y2=\"{Bottom}\" stroke=\"{colour}\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"/>"));
            h.Append(I($"<circle cx=\"{x:0.##}\" cy=\"{cy}\" r=\"9\" fill=\"{colour}\"/>"));
            h.Append(I($"<text x=\"{x:0.##}\" y=\"{cy + 4}\" text-anchor=\"middle\" font-size=\"11\" font-weight=\"bold\" fill=\"#fff\">{i + 1}</text></g>\n"));
        }
        h.Append("</svg>\n");

        // The legend sits under the chart, never over the data.
        h.Append("<div class=\"legend\">");
        h.Append(I($"<span><i class=\"swatch\" style=\"background:{ChartScale.ResidentColour}\"></i>host-resident</span>"));
        h.Append(I($"<span><i class=\"swatch\" style=\"background:{ChartScale.ReportedColour}\"></i>reported (free, flagged Reported)</span>"));
        h.Append(I($"<span><i class=\"swatch\" style=\"background:{ChartScale.PerCpuColour}\"></i>per-CPU lists (free, never reported)</span>"));
        h.Append(I($"<span><i class=\"swatch\" style=\"background:{ChartScale.RefaultColour}\"></i>refaulted so far (memory the host gave back and faulted in again)</span>"));
        foreach (var kind in result.Steps.Select(m => m.Kind).Distinct())
            h.Append(I($"<span><i class=\"swatch marker\" style=\"border-color:{ChartScale.MarkerColour(kind)}\"></i>{E(kind)}</span>"));
        h.Append("</div>\n");
    }

    private static long Refaulted(TimelineRow row) => row.Host?.RefaultBytes ?? 0;

    /// <summary>A polyline through the samples, leaving out those inside a flat run: the shape is the same, the file far smaller.</summary>
    private static void Line(StringBuilder h, IReadOnlyList<TimelineRow> rows, Func<TimelineRow, double> value, Func<double, double> x, Func<double, double> y, string colour, string name)
    {
        if (rows.Count == 0) return;
        h.Append(I($"<polyline class=\"series\" data-series=\"{name}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\""));
        for (var i = 0; i < rows.Count; i++)
        {
            var v = value(rows[i]);
            var flat = i > 0 && i < rows.Count - 1 && v == value(rows[i - 1]) && v == value(rows[i + 1]);
            if (flat) continue;
            h.Append(I($"{x(rows[i].T):0.##},{y(v):0.##} "));
        }
        h.Append("\"/>\n");
    }

    private static void Steps(StringBuilder h, IReadOnlyList<WorkloadMarker> steps)
    {
        h.Append("<h2>Workload</h2>\n");
        if (steps.Count == 0)
        {
            h.Append("<p class=\"note\">No workload steps.</p>\n");
            return;
        }
        h.Append("<table>\n<tr><th>#</th><th>t (s)</th><th class=\"text\">step</th></tr>\n");
        for (var i = 0; i < steps.Count; i++)
            h.Append(I($"<tr><td><span style=\"color:{ChartScale.MarkerColour(steps[i].Kind)}\">&#9679;</span> {i + 1}</td><td>{ChartScale.Format(steps[i].T)}</td><td class=\"text\">{E(steps[i].Label)}</td></tr>\n"));
        h.Append("</table>\n");
    }

    private static void Passes(StringBuilder h, IReadOnlyList<PassRecord> passes)
    {
        h.Append(I($"<h2>Passes ({passes.Count})</h2>\n"));
        if (passes.Count == 0)
        {
            h.Append("<p class=\"note\">No pass ran.</p>\n");
            return;
        }
        h.Append("<div class=\"scroll\"><table>\n<tr><th>#</th><th>start (s)</th><th>end (s)</th><th>duration (ms)</th><th>reports</th><th>reported</th></tr>\n");
        for (var i = 0; i < passes.Count; i++)
        {
            var p = passes[i];
            h.Append(I($"<tr><td>{i + 1}</td><td>{p.Start:0.000}</td><td>{p.End:0.000}</td><td>{(p.End - p.Start) * 1000:0.###}</td><td>{p.Reports}</td><td>{E(Sizes.Human(p.ReportedBytes))}</td></tr>\n"));
        }
        h.Append("</table></div>\n");
    }

    private static void Reports(StringBuilder h, IReadOnlyList<ReportRecord> reports)
    {
        h.Append(I($"<h2>Reports ({reports.Count})</h2>\n"));
        if (reports.Count == 0)
        {
            h.Append("<p class=\"note\">No report was made.</p>\n");
            return;
        }
        h.Append("<div class=\"scroll\"><table>\n<tr><th>#</th><th>t (s)</th><th class=\"text\">zone</th><th>entries</th><th>pages</th><th>size</th><th class=\"text\">blocks by order</th><th class=\"text\">outcome</th></tr>\n");
        for (var i = 0; i < reports.Count; i++)
        {
            var r = reports[i];
            var orders = string.Join(", ", r.Orders.OrderBy(kv => kv.Key).Select(kv => I($"{kv.Value} &times; order {kv.Key}")));
            h.Append(r.Ok ? "<tr>" : "<tr class=\"failed\">");
            h.Append(I($"<td>{i + 1}</td><td>{r.T:0.000}</td><td class=\"text\">{E(r.Zone)}</td><td>{r.Entries}</td><td>{r.Pages}</td><td>{E(Sizes.Human(r.Bytes))}</td><td class=\"text\">{orders}</td><td class=\"text\">{(r.Ok ? "ok" : "failed")}</td></tr>\n"));
        }
        h.Append("</table></div>\n");
    }

    private static void Shortfalls(StringBuilder h, IReadOnlyList<AllocationShortfall> shortfalls)
    {
        if (shortfalls.Count == 0) return;
        h.Append(I($"<h2>Allocation shortfalls ({shortfalls.Count})</h2>\n"));
        h.Append("<table>\n<tr><th>t (s)</th><th class=\"text\">id</th><th>requested</th><th>allocated</th><th class=\"text\">reason</th></tr>\n");
        foreach (var s in shortfalls)
            h.Append(I($"<tr><td>{s.T:0.000}</td><td class=\"text\">{E(s.Id)}</td><td>{E(Sizes.Human(s.RequestedBytes))}</td><td>{E(Sizes.Human(s.AllocatedBytes))}</td><td class=\"text\">{E(s.Reason)}</td></tr>\n"));
        h.Append("</table>\n");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
