using System.Globalization;
using System.Text;
using System.Text.Json;
using PageReportingActors.Host.Simulation;
using PageReportingActors.Hypervisor;

namespace PageReportingActors.Host.Output;

/// <summary>
/// Writes DIR/report.json in the shape docs/scenario-format.md describes. Field order and number text are fixed, so the
/// same run gives the same bytes (wallSeconds aside).
/// </summary>
internal static class ReportJsonWriter
{
    public const string FileName = "report.json";

    private static readonly JsonWriterOptions Options = new() { Indented = true };

    /// <summary>Writes the file whole or not at all (<see cref="AtomicFile"/>).</summary>
    public static void WriteFile(RunResult result, string path) => AtomicFile.Write(path, temporary => WriteInPlace(result, temporary));

    /// <summary>Writes straight into <paramref name="path"/>; <see cref="RunOutput"/> stages it.</summary>
    internal static void WriteInPlace(RunResult result, string path)
    {
        using var stream = File.Create(path);
        Write(result, stream);
    }

    public static string ToJson(RunResult result)
    {
        using var stream = new MemoryStream();
        Write(result, stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static void Write(RunResult result, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var w = new Utf8JsonWriter(stream, Options);
        w.WriteStartObject();
        w.WriteString("scenario", result.Scenario);
        w.WriteNumber("seed", result.Seed);

        // The summary first, after what ran: a reader sees the outcome before thousands of timeline rows.
        var m = result.Summary;
        w.WriteStartObject("summary");
        w.WriteNumber("reportCalls", m.ReportCalls);
        w.WriteNumber("failedReports", m.FailedReports);
        w.WriteNumber("reportedBytes", m.ReportedBytes);
        w.WriteNumber("passes", m.Passes);
        Seconds(w, "virtualSeconds", m.VirtualSeconds);
        Seconds(w, "wallSeconds", m.WallSeconds);
        w.WriteNumber("hostResidentStartBytes", m.HostResidentStartBytes);
        w.WriteNumber("hostResidentPeakBytes", m.HostResidentPeakBytes);
        w.WriteNumber("hostResidentEndBytes", m.HostResidentEndBytes);
        w.WriteEndObject();

        w.WriteStartObject("settings");
        w.WriteNumber("reportingOrder", result.Settings.ReportingOrder);
        Seconds(w, "delaySeconds", result.Settings.DelaySeconds);
        w.WriteNumber("capacity", result.Settings.Capacity);
        w.WriteEndObject();

        w.WriteStartArray("reports");
        foreach (var r in result.Reports)
        {
            w.WriteStartObject();
            Seconds(w, "t", r.T);
            w.WriteString("zone", r.Zone);
            w.WriteNumber("entries", r.Entries);
            w.WriteNumber("pages", r.Pages);
            w.WriteNumber("bytes", r.Bytes);
            w.WriteStartObject("orders");
            foreach (var (order, count) in r.Orders.OrderBy(kv => kv.Key))
                w.WriteNumber(order.ToString(CultureInfo.InvariantCulture), count);
            w.WriteEndObject();
            w.WriteBoolean("ok", r.Ok);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartArray("passes");
        foreach (var p in result.Passes)
        {
            w.WriteStartObject();
            Seconds(w, "start", p.Start);
            Seconds(w, "end", p.End);
            w.WriteNumber("reports", p.Reports);
            w.WriteNumber("reportedBytes", p.ReportedBytes);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartArray("timeline");
        foreach (var row in result.Timeline)
        {
            w.WriteStartObject();
            Seconds(w, "t", row.T);
            w.WriteNumber("freeBytes", row.FreeBytes);
            w.WriteNumber("pcpBytes", row.PcpBytes);
            w.WriteNumber("reportedBytes", row.ReportedBytes);
            w.WriteNumber("isolatedBytes", row.IsolatedBytes);
            w.WriteNumber("hostResidentBytes", row.HostResidentBytes);
            w.WriteNumber("hostFaults", row.HostFaults);
            w.WriteNumber("refaults", row.Refaults);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartArray("shortfalls");
        foreach (var s in result.Shortfalls)
        {
            w.WriteStartObject();
            Seconds(w, "t", s.T);
            w.WriteString("id", s.Id);
            w.WriteNumber("requestedBytes", s.RequestedBytes);
            w.WriteNumber("allocatedBytes", s.AllocatedBytes);
            w.WriteString("reason", s.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartArray("warnings");
        foreach (var warning in result.Warnings ?? []) w.WriteStringValue(warning);
        w.WriteEndArray();

        if (result.Replay is { } replay) Replay.ReplaySummaryWriter.Write(w, replay);

        if (result.Host is { } host) WriteCost(w, host);

        w.WriteEndObject();
        w.Flush();
    }

    /// <summary>report.json's <c>cost</c>: what the host did for the guest and the CPU it took, at the unit costs given.</summary>
    private static void WriteCost(Utf8JsonWriter w, HostSnapshot host)
    {
        w.WriteStartObject("cost");
        w.WriteString("backing", host.BackingName);
        w.WriteString("discard", host.DiscardInhibited ? "inhibited" : "on");
        w.WriteNumber("hostPageBytes", host.HostPageBytes);
        w.WriteNumber("reportCalls", host.ReportCalls);
        w.WriteNumber("entries", host.Entries);
        w.WriteNumber("discardedBytes", host.DiscardedBytes);
        w.WriteNumber("ignoredEntries", host.IgnoredEntries);
        w.WriteNumber("ignoredBytes", host.IgnoredBytes);
        w.WriteNumber("hostFaults", host.HostFaults);
        w.WriteNumber("refaults", host.Refaults);
        w.WriteNumber("refaultBytes", host.RefaultBytes);
        w.WriteNumber("splitFrames", host.SplitFrames);
        Seconds(w, "hostCpuSeconds", host.HostCpuSeconds);
        w.WriteStartObject("unitCosts");
        w.WriteString("source", host.UnitCosts.Source);
        foreach (var (name, seconds) in host.UnitCosts.Figures()) w.WriteNumber(name, seconds);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>
    /// Seconds rounded to microseconds, always with a decimal point: 17 gives "17.0", 17.0020001
    /// gives "17.002". Rounding hides the last-bit noise of sums of doubles, which would otherwise
    /// make equal runs differ in text.
    /// </summary>
    public static string FormatSeconds(double seconds)
    {
        if (!double.IsFinite(seconds)) throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "seconds must be finite");
        var rounded = Math.Round(seconds, 6, MidpointRounding.AwayFromZero);
        if (rounded == 0) rounded = 0; // no "-0.0"
        return rounded.ToString("0.0#####", CultureInfo.InvariantCulture);
    }

    /// <summary>A property of seconds as <see cref="FormatSeconds"/> writes it; every JSON output of the host uses it.</summary>
    internal static void Seconds(Utf8JsonWriter w, string name, double seconds)
    {
        w.WritePropertyName(name);
        w.WriteRawValue(FormatSeconds(seconds), skipInputValidation: true);
    }
}
