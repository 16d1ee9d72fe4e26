using PageReportingActors.Host.Simulation;
using ScottPlot;

namespace PageReportingActors.Host.Output;

/// <summary>
/// Draws DIR/timeline.png: host-resident, reported and per-CPU-list memory over virtual seconds, in a unit that
/// fits the guest, with a dashed line per workload step and the legend outside the data.
/// </summary>
internal static class TimelinePlotWriter
{
    public const string FileName = "timeline.png";
    public const int Width = 1100;
    public const int Height = 500;

    /// <summary>Writes the file whole or not at all (<see cref="AtomicFile"/>).</summary>
    public static void WritePng(RunResult result, string path)
    {
        ArgumentNullException.ThrowIfNull(result);
        WritePng(result.Timeline, result.Scenario, path, result.Steps);
    }

    /// <summary>Writes the file whole or not at all (<see cref="AtomicFile"/>).</summary>
    public static void WritePng(IReadOnlyList<TimelineRow> rows, string title, string path, IReadOnlyList<WorkloadMarker>? steps = null) =>
        AtomicFile.Write(path, temporary => WritePngInPlace(rows, title, temporary, steps));

    /// <summary>Writes straight into <paramref name="path"/>; <see cref="RunOutput"/> stages it.</summary>
    internal static void WritePngInPlace(RunResult result, string path) => WritePngInPlace(result.Timeline, result.Scenario, path, result.Steps);

    private static void WritePngInPlace(IReadOnlyList<TimelineRow> rows, string title, string path, IReadOnlyList<WorkloadMarker>? steps)
    {
        ArgumentNullException.ThrowIfNull(rows);
        steps ??= [];
        var scale = ChartScale.For(rows);
        using var plot = new Plot();
        var xs = rows.Select(r => r.T).ToArray();
        // ScottPlot cannot scale axes to an empty series, so an empty timeline gives empty axes.
        if (xs.Length > 0)
        {
            var resident = plot.Add.ScatterLine(xs, rows.Select(r => scale.Of(r.HostResidentBytes)).ToArray());
            resident.LegendText = "host-resident";
            resident.LineWidth = 2;
            resident.Color = Color.FromHex(ChartScale.ResidentColour);
            var reported = plot.Add.ScatterLine(xs, rows.Select(r => scale.Of(r.ReportedBytes)).ToArray());
            reported.LegendText = "reported (free, flagged Reported)";
            reported.LineWidth = 2;
            reported.Color = Color.FromHex(ChartScale.ReportedColour);
            var perCpu = plot.Add.ScatterLine(xs, rows.Select(r => scale.Of(r.PcpBytes)).ToArray());
            perCpu.LegendText = "per-CPU lists (free, never reported)";
            perCpu.LineWidth = 1.5f;
            perCpu.Color = Color.FromHex(ChartScale.PerCpuColour);
        }
        var labelled = new HashSet<string>();
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            var line = plot.Add.VerticalLine(step.T);
            line.Color = Color.FromHex(ChartScale.MarkerColour(step.Kind));
            line.LineWidth = 1.5f;
            line.LinePattern = LinePattern.Dashed;
            line.Text = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            line.LabelOppositeAxis = true;
            // One legend entry per kind of step, not per step.
            if (labelled.Add(step.Kind)) line.LegendText = step.Kind;
        }
        if (xs.Length > 0 || steps.Count > 0) plot.ShowLegend(Edge.Right);
        plot.Title($"{title}: host-resident and reported memory");
        // Room above the data for the steps' numbers, under the title.
        plot.Axes.Top.MinimumSize = 50;
        plot.XLabel("virtual time (s)");
        plot.YLabel($"memory ({scale.Unit})");
        // Time starts at zero and memory cannot be negative: anchoring both at zero keeps
        // autoscale margins from showing impossible values and keeps flat lines readable.
        plot.Axes.AutoScale();
        var limits = plot.Axes.GetLimits();
        var tMax = Math.Max(xs.Length > 0 ? xs.Max() : 0, steps.Count > 0 ? steps.Max(s => s.T) : 0);
        plot.Axes.SetLimitsX(0, tMax > 0 ? tMax : 1);
        plot.Axes.SetLimitsY(0, Math.Max(1, limits.Top));
        plot.SavePng(path, Width, Height);
    }
}
