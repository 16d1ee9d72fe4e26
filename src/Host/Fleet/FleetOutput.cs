using System.Globalization;
using System.Text;
using System.Text.Json;
using PageReportingActors.Host.Output;
using ScottPlot;

namespace PageReportingActors.Host.Fleet;

/// <summary>The files a fleet run wrote.</summary>
internal sealed record FleetFiles(string FleetJson, string TimelineCsv, string Png);

/// <summary>
/// Writes DIR/fleet.json, DIR/fleet-timeline.csv and DIR/fleet.png. Field order and number text
/// are fixed, so two runs of one fleet give the same bytes except nodes, guests[].node and
/// wallSeconds. The three are written as one set (RunOutput.WriteSet): all of them or none.
/// </summary>
internal static class FleetOutput
{
    public const string JsonName = "fleet.json";
    public const string CsvName = "fleet-timeline.csv";
    public const string PngName = "fleet.png";
    public const string CsvHeader = "t,guests,freeBytes,reportedBytes,hostResidentBytes,hostResidentWithoutReportingBytes";

    private const double BytesPerGiB = 1 << 30;

    /// <summary>The files a fleet writes in <paramref name="directory"/>.</summary>
    public static FleetFiles In(string directory) =>
        new(Path.Combine(directory, JsonName), Path.Combine(directory, CsvName), Path.Combine(directory, PngName));

    /// <summary>Null when <paramref name="directory"/> can take a fleet's files, else why not (checked before the run).</summary>
    public static string? TargetProblem(string directory)
    {
        var files = In(directory);
        return RunOutput.TargetProblem(directory, [files.FleetJson, files.TimelineCsv, files.Png]);
    }

    /// <summary>Writes the three files as a set: all of them or, on any failure, none.</summary>
    public static FleetFiles WriteAll(FleetResult result, string directory, CancellationToken cancellationToken = default)
    {
        if (TargetProblem(directory) is { } problem) throw new IOException(problem);
        Directory.CreateDirectory(directory);
        var files = In(directory);
        RunOutput.WriteSet([
            (files.FleetJson, path => File.WriteAllText(path, ToJson(result))),
            (files.TimelineCsv, path => File.WriteAllText(path, ToCsv(result.Timeline))),
            (files.Png, path => WritePng(result, path)),
        ], cancellationToken);
        return files;
    }

    public static string ToJson(FleetResult result)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("fleet", result.Fleet);
            w.WriteNumber("seed", result.Seed);
            w.WriteNumber("nodes", result.Nodes);
            w.WriteStartArray("guests");
            foreach (var g in result.Guests)
            {
                var r = g.Result;
                w.WriteStartObject();
                w.WriteNumber("index", r.Index);
                w.WriteString("scenario", r.Scenario);
                w.WriteString("node", g.Node);
                w.WriteNumber("reports", r.Reports);
                w.WriteNumber("failedReports", r.FailedReports);
                w.WriteNumber("reportedBytes", r.ReportedBytes);
                w.WriteNumber("peakResidentBytes", r.PeakResidentBytes);
                w.WriteNumber("endResidentBytes", r.EndResidentBytes);
                w.WriteNumber("hostFaults", r.HostFaults);
                w.WriteNumber("refaults", r.Refaults);
                w.WriteNumber("refaultBytes", r.RefaultBytes);
                ReportJsonWriter.Seconds(w, "hostCpuSeconds", r.HostCpuSeconds);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("timeline");
            foreach (var row in result.Timeline)
            {
                w.WriteStartObject();
                ReportJsonWriter.Seconds(w, "t", row.T);
                w.WriteNumber("guests", row.Guests);
                w.WriteNumber("freeBytes", row.FreeBytes);
                w.WriteNumber("reportedBytes", row.ReportedBytes);
                w.WriteNumber("hostResidentBytes", row.HostResidentBytes);
                w.WriteNumber("hostResidentWithoutReportingBytes", row.HostResidentWithoutReportingBytes);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            var s = result.Summary;
            w.WriteStartObject("summary");
            w.WriteNumber("peakHostResidentBytes", s.PeakHostResidentBytes);
            w.WriteNumber("peakWithoutReportingBytes", s.PeakWithoutReportingBytes);
            w.WriteNumber("returnedBytes", s.ReturnedBytes);
            w.WriteNumber("guestMemoryBytes", s.GuestMemoryBytes);
            if (result.HostMemoryBytes is { } host) w.WriteNumber("hostMemoryBytes", host);
            else w.WriteNull("hostMemoryBytes");
            if (s.OvercommitRatio is { } ratio) w.WriteNumber("overcommitRatio", Math.Round(ratio, 6));
            else w.WriteNull("overcommitRatio");
            if (s.Fits is { } fits) w.WriteBoolean("fits", fits);
            else w.WriteNull("fits");
            ReportJsonWriter.Seconds(w, "guestSeconds", s.GuestSeconds);
            ReportJsonWriter.Seconds(w, "wallSeconds", s.WallSeconds);
            w.WriteNumber("hostFaults", s.HostFaults);
            w.WriteNumber("refaults", s.Refaults);
            w.WriteNumber("refaultBytes", s.RefaultBytes);
            ReportJsonWriter.Seconds(w, "hostCpuSeconds", s.HostCpuSeconds);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    public static string ToCsv(IReadOnlyList<FleetTimelineRow> rows)
    {
        var text = new StringBuilder(CsvHeader).Append('\n');
        foreach (var r in rows)
            text.Append(string.Create(CultureInfo.InvariantCulture,
                $"{r.T:0.000},{r.Guests},{r.FreeBytes},{r.ReportedBytes},{r.HostResidentBytes},{r.HostResidentWithoutReportingBytes}")).Append('\n');
        return text.ToString();
    }

    public static void WritePng(FleetResult result, string path)
    {
        using var plot = new Plot();
        var xs = result.Timeline.Select(r => r.T).ToArray();
        if (xs.Length > 0)
        {
            var with = plot.Add.ScatterLine(xs, result.Timeline.Select(r => r.HostResidentBytes / BytesPerGiB).ToArray());
            with.LegendText = "host memory with reporting";
            with.LineWidth = 2;
            var without = plot.Add.ScatterLine(xs, result.Timeline.Select(r => r.HostResidentWithoutReportingBytes / BytesPerGiB).ToArray());
            without.LegendText = "host memory without reporting";
            without.LineWidth = 2;
            without.LinePattern = LinePattern.Dashed;
        }
        if (result.HostMemoryBytes is { } host)
        {
            var line = plot.Add.HorizontalLine(host / BytesPerGiB);
            line.LegendText = "host memory";
            line.LineWidth = 1;
        }
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Title($"{result.Fleet}: {result.Guests.Count} guests");
        plot.XLabel("virtual time (s)");
        plot.YLabel("host memory (GiB)");
        plot.Axes.AutoScale();
        var limits = plot.Axes.GetLimits();
        plot.Axes.SetLimitsX(0, xs.Length > 0 ? Math.Max(xs.Max(), 1e-3) : 1);
        plot.Axes.SetLimitsY(0, Math.Max(limits.Top, 1e-3));
        plot.SavePng(path, 1000, 500);
    }
}
