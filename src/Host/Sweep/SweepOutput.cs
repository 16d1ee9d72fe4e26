using PageReportingActors.Host.Output;
using System.Globalization;
using System.Text;
using PageReportingActors.Host.Fleet;
using ScottPlot;

namespace PageReportingActors.Host.Sweep;

/// <summary>Writes DIR/sweep.csv and DIR/sweep.png, each whole or not at all.</summary>
internal static class SweepOutput
{
    public const string CsvName = "sweep.csv";
    public const string PngName = "sweep.png";
    public const string CsvHeader = "order,delay,capacity,backing,reports,failedReports,refaults,refaultBytes,ignoredBytes,hostCpuSeconds,reportedBytes,meanResidentBytes,endResidentBytes,secondsTo90PercentReturned,pareto";

    private const double BytesPerMiB = 1 << 20;

    /// <summary>Null when <paramref name="directory"/> can take a sweep's files, else why not (checked before the run).</summary>
    public static string? TargetProblem(string directory) =>
        RunOutput.TargetProblem(directory, [Path.Combine(directory, CsvName), Path.Combine(directory, PngName)]);

    /// <summary>Writes sweep.csv and sweep.png as a set: both or, on any failure, neither.</summary>
    public static (string Csv, string Png) WriteAll(string title, IReadOnlyList<SweepRow> rows, string directory, CancellationToken cancellationToken = default)
    {
        if (TargetProblem(directory) is { } problem) throw new IOException(problem);
        Directory.CreateDirectory(directory);
        var csv = Path.Combine(directory, CsvName);
        var png = Path.Combine(directory, PngName);
        RunOutput.WriteSet([(csv, path => File.WriteAllText(path, ToCsv(rows))), (png, path => WritePng(title, rows, path))], cancellationToken);
        return (csv, png);
    }

    public static string ToCsv(IReadOnlyList<SweepRow> rows)
    {
        var text = new StringBuilder(CsvHeader).Append('\n');
        foreach (var r in rows)
        {
            var order = r.Policy.Order is { } o ? o.ToString(CultureInfo.InvariantCulture) : "";
            var to90 = r.SecondsTo90PercentReturned is { } s ? s.ToString("0.###", CultureInfo.InvariantCulture) : "";
            text.Append(string.Create(CultureInfo.InvariantCulture,
                $"{order},{r.Policy.Delay.TotalSeconds:0.###},{r.Policy.Capacity},{r.Backing},{r.Reports},{r.FailedReports},{r.Refaults},{r.RefaultBytes},{r.IgnoredBytes},{Output.ReportJsonWriter.FormatSeconds(r.HostCpuSeconds)},{r.ReportedBytes},{r.MeanResidentBytes},{r.EndResidentBytes},{to90},{(r.Pareto ? "true" : "false")}"))
                .Append('\n');
        }
        return text.ToString();
    }

    public static void WritePng(string title, IReadOnlyList<SweepRow> rows, string path)
    {
        using var plot = new Plot();
        if (rows.Count > 0)
        {
            var all = plot.Add.ScatterPoints(rows.Select(r => r.HostCpuSeconds).ToArray(), rows.Select(r => r.MeanResidentBytes / BytesPerMiB).ToArray());
            all.LegendText = "policy";
            all.MarkerSize = 7;
            var front = rows.Where(r => r.Pareto).OrderBy(r => r.HostCpuSeconds).ThenByDescending(r => r.MeanResidentBytes).ToList();
            var line = plot.Add.Scatter(front.Select(r => r.HostCpuSeconds).ToArray(), front.Select(r => r.MeanResidentBytes / BytesPerMiB).ToArray());
            line.LegendText = "Pareto front";
            line.LineWidth = 2;
            line.MarkerSize = 10;
            foreach (var r in rows)
            {
                var label = plot.Add.Text(r.Policy.Label, r.HostCpuSeconds, r.MeanResidentBytes / BytesPerMiB);
                label.LabelFontSize = 9;
                label.LabelOffsetX = 5;
                label.LabelOffsetY = -5;
            }
            plot.ShowLegend(Alignment.UpperRight);
        }
        plot.Title($"{title}: host CPU against mean host-resident memory");
        plot.XLabel("host CPU seconds (faults and discards)");
        plot.YLabel("mean host-resident memory (MiB)");
        plot.Axes.AutoScale();
        plot.SavePng(path, 1000, 600);
    }
}
