using System.Text.Json;
using PageReportingActors.Replay;

namespace PageReportingActors.Host.Replay;

/// <summary>
/// report.json's <c>replay</c>: the trace's lines and events per kind, what was skipped and why,
/// and the contradictions per kind with the first few of each.
/// </summary>
internal sealed record ReplaySummary(
    string Trace,
    bool FromSnapshot,
    long Lines,
    IReadOnlyDictionary<string, long> Events,
    long Applied,
    long WaitedForDevice,
    long OtherLines,
    long OtherEvents,
    long Malformed,
    long FirstMalformedLine,
    long OutsideGuest,
    long Misaligned,
    long Reserved,
    bool StoppedBeforeTraceEnd,
    IReadOnlyDictionary<string, long> Conflicts,
    IReadOnlyList<ReplayConflict> Examples,
    long Messages)
{
    /// <summary>Wall time from the zones' start to the end of the replay (start-up and output aside).</summary>
    public double WallSecondsAfterStart { get; init; }

    /// <summary>Events and lines not applied: other lines, malformed, outside the guest, misaligned, reserved pages.</summary>
    public long Skipped => OtherLines + OtherEvents + Malformed + OutsideGuest + Misaligned + Reserved;

    public long TotalEvents => Events.Values.Sum();

    /// <summary>The camelCase name report.json gives a conflict kind.</summary>
    public static string NameOf(ReplayConflictKind kind) => JsonNamingPolicy.CamelCase.ConvertName(kind.ToString());
}

/// <summary>Writes <see cref="ReplaySummary"/> as report.json's <c>replay</c> object.</summary>
internal static class ReplaySummaryWriter
{
    public static void Write(Utf8JsonWriter w, ReplaySummary r)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(r);
        w.WriteStartObject("replay");
        w.WriteString("trace", r.Trace);
        w.WriteBoolean("fromSnapshot", r.FromSnapshot);
        w.WriteNumber("lines", r.Lines);
        w.WriteStartObject("events");
        foreach (var (name, count) in r.Events) w.WriteNumber(name, count);
        w.WriteEndObject();
        w.WriteNumber("applied", r.Applied);
        w.WriteNumber("waitedForDevice", r.WaitedForDevice);
        w.WriteNumber("skipped", r.Skipped);
        w.WriteStartObject("skippedBy");
        w.WriteNumber("otherLines", r.OtherLines);
        w.WriteNumber("otherEvents", r.OtherEvents);
        w.WriteNumber("malformed", r.Malformed);
        if (r.FirstMalformedLine > 0) w.WriteNumber("firstMalformedLine", r.FirstMalformedLine);
        w.WriteNumber("outsideGuest", r.OutsideGuest);
        w.WriteNumber("misaligned", r.Misaligned);
        w.WriteNumber("reserved", r.Reserved);
        w.WriteEndObject();
        w.WriteBoolean("stoppedBeforeTraceEnd", r.StoppedBeforeTraceEnd);
        w.WriteStartObject("conflicts");
        foreach (var (name, count) in r.Conflicts) w.WriteNumber(name, count);
        w.WriteEndObject();
        w.WriteStartArray("conflictExamples");
        foreach (var e in r.Examples)
        {
            w.WriteStartObject();
            w.WriteString("kind", ReplaySummary.NameOf(e.Kind));
            w.WriteString("event", TraceEvent.NameOf(e.Event));
            w.WriteNumber("line", e.Line);
            Output.ReportJsonWriter.Seconds(w, "t", e.Seconds);
            w.WriteNumber("pfn", e.Pfn);
            w.WriteNumber("order", e.Order);
            w.WriteString("model", e.Model);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("messages", r.Messages);
        w.WriteEndObject();
    }
}
