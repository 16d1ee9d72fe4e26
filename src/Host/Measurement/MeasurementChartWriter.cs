using PageReportingActors.Host.Output;
using ScottPlot;

namespace PageReportingActors.Host.Measurement;

/// <summary>
/// Draws a run's host-resident memory over a measured curve, both in seconds after the measurement's
/// trigger, with each measured drop marked. The host process holds memory a guest model does not
/// (QEMU's own), so the model's curve is drawn shifted to the measured level at <paramref name="from"/>:
/// only the drops are compared, never the levels.
/// </summary>
internal static class MeasurementChartWriter
{
    public const int Width = 1100;
    public const int Height = 500;
    private const string MeasuredColour = "#d62728";

    public static void WritePng(IReadOnlyList<ResidentSample> measured, IReadOnlyList<ResidentSample> run, double trigger, double from,
        DropComparison comparison, string title, string path)
    {
        ArgumentNullException.ThrowIfNull(measured);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(comparison);
        var start = measured.Count > 0 ? measured[0].T : 0;
        var end = measured.Count > 0 ? measured[^1].T : 0;
        var shifted = run.Select(s => new ResidentSample(s.T - trigger, s.Mib)).Where(s => s.T >= start && s.T <= end).ToList();
        var measuredAtFrom = measured.LastOrDefault(s => s.T <= from, measured.Count > 0 ? measured[0] : default).Mib;
        var runAtFrom = shifted.LastOrDefault(s => s.T <= from, shifted.Count > 0 ? shifted[0] : default).Mib;
        var offset = measuredAtFrom - runAtFrom;
        shifted = shifted.Select(s => new ResidentSample(s.T, s.Mib + offset)).ToList();
        using var plot = new Plot();
        if (measured.Count > 0)
        {
            var m = plot.Add.ScatterLine(measured.Select(s => s.T).ToArray(), measured.Select(s => s.Mib).ToArray());
            m.LegendText = "measured (real guest)";
            m.LineWidth = 2;
            m.Color = Color.FromHex(MeasuredColour);
        }
        if (shifted.Count > 0)
        {
            var r = plot.Add.ScatterLine(shifted.Select(s => s.T).ToArray(), shifted.Select(s => s.Mib).ToArray());
            r.LegendText = "model (level aligned at the free)";
            r.LineWidth = 2;
            r.LinePattern = LinePattern.Dashed;
            r.Color = Color.FromHex(ChartScale.ResidentColour);
        }
        for (var i = 0; i < comparison.Pairs.Count; i++)
        {
            var line = plot.Add.VerticalLine(comparison.Pairs[i].Measured.T);
            line.Color = Color.FromHex("#999999");
            line.LinePattern = LinePattern.Dotted;
            line.Text = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            line.LabelOppositeAxis = true;
        }
        plot.ShowLegend(Edge.Right);
        plot.Title($"{title}: host-resident memory, model against measurement");
        plot.Axes.Top.MinimumSize = 40;
        plot.XLabel("seconds after the free");
        plot.YLabel("host-resident memory (MiB)");
        plot.Axes.AutoScale();
        var limits = plot.Axes.GetLimits();
        plot.Axes.SetLimitsY(0, Math.Max(1, limits.Top));
        plot.SavePng(path, Width, Height);
    }
}
