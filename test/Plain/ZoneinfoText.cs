using System.Text.RegularExpressions;

namespace PageReportingActors.Tests.Plain;

/// <summary>One zone as /proc/zoneinfo prints it: what the tests compare the model with.</summary>
internal sealed record ZoneinfoZone(string Name, long Free, long Min, long Low, long High, long Managed, long? PcpCount, long? PcpHigh, int? PcpBatch);

/// <summary>
/// Reads the zones of one /proc/zoneinfo dump out of a guest console (lines may carry a time
/// stamp) or a plain zoneinfo file: the dump that follows <c>MARK {mark}</c>, or the whole text.
/// </summary>
internal static partial class ZoneinfoText
{
    public static string DataFile(string name) => Path.Combine(AppContext.BaseDirectory, "Data", name);

    public static IReadOnlyList<ZoneinfoZone> Read(string path, string? mark = null)
    {
        var lines = File.ReadAllLines(path).Select(StripStamp).ToList();
        if (mark is not null)
        {
            var start = lines.FindIndex(l => l.Trim() == $"MARK {mark}");
            if (start < 0) throw new InvalidOperationException($"{path}: no MARK {mark}");
            var end = lines.FindIndex(start + 1, l => l.TrimStart().StartsWith("MARK ", StringComparison.Ordinal));
            lines = lines.GetRange(start + 1, (end < 0 ? lines.Count : end) - start - 1);
        }
        var zones = new List<ZoneinfoZone>();
        ZoneinfoZone? current = null;
        var inPagesets = false;
        foreach (var line in lines)
        {
            var header = ZoneHeader().Match(line);
            if (header.Success)
            {
                if (current is not null) zones.Add(current);
                current = new ZoneinfoZone(header.Groups[1].Value, 0, 0, 0, 0, 0, null, null, null);
                inPagesets = false;
                continue;
            }
            if (current is null) continue;
            var field = Field().Match(line);
            if (!field.Success) { inPagesets |= line.Trim() == "pagesets"; continue; }
            var (name, value) = (field.Groups[1].Value, long.Parse(field.Groups[2].Value));
            current = (name, inPagesets) switch
            {
                ("pages free", _) => current with { Free = value },
                ("min", false) => current with { Min = value },
                ("low", false) => current with { Low = value },
                ("high", false) => current with { High = value },
                ("managed", _) => current with { Managed = value },
                ("count", true) => current with { PcpCount = value },
                ("high", true) => current with { PcpHigh = value },
                ("batch", true) => current with { PcpBatch = (int)value },
                _ => current,
            };
        }
        if (current is not null) zones.Add(current);
        return zones;
    }

    public static ZoneinfoZone Zone(string path, string zone, string? mark = null) =>
        Read(path, mark).Single(z => z.Name == zone);

    private static string StripStamp(string line)
    {
        var m = Stamp().Match(line);
        return m.Success ? line[m.Length..] : line;
    }

    [GeneratedRegex(@"^\s*-?\d+\.\d{3} ")]
    private static partial Regex Stamp();

    [GeneratedRegex(@"^Node \d+, zone\s+(\S+)\s*$")]
    private static partial Regex ZoneHeader();

    [GeneratedRegex(@"^\s*(pages free|min|low|high|managed|count|batch):?\s+(\d+)\s*$")]
    private static partial Regex Field();
}
