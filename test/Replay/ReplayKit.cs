using System.Text.Json;
using PageReportingActors.Allocator;
using PageReportingActors.Host.Replay;
using PageReportingActors.Memory;
using PageReportingActors.Replay;

namespace PageReportingActors.Tests.Replay;

/// <summary>The traced reference guest (test/Data/replay) and small builders for replay tests.</summary>
internal static class ReplayKit
{
    public static string DataPath(string name) => Path.Combine(AppContext.BaseDirectory, "Data", "replay", name);

    public static string TracePath => DataPath("trace.txt.xz");
    public static string KpageflagsPath => DataPath("kpageflags.bin.xz");

    /// <summary>The zones of guest.json (name, start, pages, free pages, watermarks) and their per-CPU list sizes.</summary>
    public static IReadOnlyList<(ZoneSpec Spec, long PcpHigh, long PcpCount)> GuestZones()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(DataPath("guest.json")));
        var zones = new List<(ZoneSpec, long, long)>();
        foreach (var z in doc.RootElement.GetProperty("guest").GetProperty("zones").EnumerateArray())
        {
            var w = z.GetProperty("watermarks");
            var pcp = z.GetProperty("pcp");
            zones.Add((new ZoneSpec(
                z.GetProperty("name").GetString()!,
                z.GetProperty("startPfn").GetInt64(),
                z.GetProperty("pages").GetInt64(),
                z.GetProperty("freePages").GetInt64(),
                new Watermarks(w.GetProperty("min").GetInt64(), w.GetProperty("low").GetInt64(), w.GetProperty("high").GetInt64())),
                pcp.GetProperty("high").GetInt64(), pcp.GetProperty("count").GetInt64()));
        }
        return zones;
    }

    /// <summary>The guest's zones laid out from the kpageflags snapshot.</summary>
    public static ZoneFreeArea[] ZonesFromSnapshot()
    {
        var zones = GuestZones().Select(z => new ZoneFreeArea(z.Spec)).ToArray();
        var snapshot = KpageflagsSnapshot.Load(KpageflagsPath, zones[^1].EndPfn);
        foreach (var zone in zones) snapshot.ApplyTo(zone);
        return zones;
    }

    /// <summary>Reads a whole trace, applying every event; returns the reader's counts.</summary>
    public static TraceCounts ApplyAll(TraceReader reader, ReplayEngine engine, Action<TraceEvent, ReplayEffect>? observe = null)
    {
        while (reader.TryRead(out var e))
        {
            var effect = engine.Apply(e);
            observe?.Invoke(e, effect);
        }
        return reader.Counts;
    }

    public static TraceReader ReaderOf(string text) =>
        new(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), "test trace");

    /// <summary>A trace line as ftrace prints it, with the irq-info column.</summary>
    public static string Line(double seconds, string eventAndFields, int cpu = 0, string task = "hog2-151") =>
        FormattableString.Invariant($"{task,16}     [{cpu:000}] d..3. {seconds,12:0.000000}: {eventAndFields}\n");
}
