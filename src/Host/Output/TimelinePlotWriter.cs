using PageReportingActors.Host.Simulation;
using ScottPlot;

namespace PageReportingActors.Host.Output;

/// <summary>Draws DIR/timeline.png: host-resident and reported memory (MiB) over virtual seconds.</summary>
public static class TimelinePlotWriter
{
    public const string FileName = "timeline.png";
    public const int Width = 1000;
    public const int Height = 500;

    private const double BytesPerMiB = 1 << 20;

    public static void WritePng(IReadOnlyList<TimelineRow> rows, string title, string path)
    {
        ArgumentNullException.ThrowIfNull(rows);
        using var plot = new Plot();
        var xs = rows.Select(r => r.T).ToArray();
        // ScottPlot cannot scale axes to an empty series, so an empty timeline gives empty axes.
        if (xs.Length > 0)
        {
            var resident = plot.Add.ScatterLine(xs, rows.Select(r => r.HostResidentBytes / BytesPerMiB).ToArray());
            resident.LegendText = "host-resident";
            resident.LineWidth = 2;
            var reported = plot.Add.ScatterLine(xs, rows.Select(r => r.ReportedBytes / BytesPerMiB).ToArray());
            reported.LegendText = "reported (free, flagged Reported)";
            reported.LineWidth = 2;
            plot.ShowLegend(Alignment.UpperRight);
        }
        plot.Title($"{title}: host-resident and reported memory");
        plot.XLabel("virtual time (s)");
        plot.YLabel("memory (MiB)");
        // Time starts at zero and memory cannot be negative: anchoring both at zero keeps
        // autoscale margins from showing impossible values and keeps flat lines readable.
        plot.Axes.AutoScale();
        var limits = plot.Axes.GetLimits();
        plot.Axes.SetLimitsX(0, xs.Length > 0 ? Math.Max(xs.Max(), 1e-3) : 1);
        plot.Axes.SetLimitsY(0, Math.Max(1, limits.Top));
        plot.SavePng(path, Width, Height);
    }
}
