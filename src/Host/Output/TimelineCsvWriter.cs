using System.Globalization;
using PageReportingActors.Host.Simulation;

namespace PageReportingActors.Host.Output;

/// <summary>Writes DIR/timeline.csv: the timeline's columns, invariant culture, t in seconds with 3 decimals.</summary>
internal static class TimelineCsvWriter
{
    public const string FileName = "timeline.csv";
    public const string Header = "t,freeBytes,pcpBytes,reportedBytes,isolatedBytes,hostResidentBytes,hostFaults,refaults";

    /// <summary>Writes the file whole or not at all (<see cref="AtomicFile"/>).</summary>
    public static void WriteFile(IReadOnlyList<TimelineRow> rows, string path) => AtomicFile.Write(path, temporary => WriteInPlace(rows, temporary));

    /// <summary>Writes straight into <paramref name="path"/>; <see cref="RunOutput"/> stages it.</summary>
    internal static void WriteInPlace(IReadOnlyList<TimelineRow> rows, string path)
    {
        using var writer = new StreamWriter(path);
        Write(rows, writer);
    }

    public static void Write(IReadOnlyList<TimelineRow> rows, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(rows);
        // "\n" on every platform so the file is the same bytes everywhere.
        writer.Write(Header);
        writer.Write('\n');
        foreach (var r in rows)
        {
            writer.Write(string.Create(CultureInfo.InvariantCulture,
                $"{r.T:0.000},{r.FreeBytes},{r.PcpBytes},{r.ReportedBytes},{r.IsolatedBytes},{r.HostResidentBytes},{r.HostFaults},{r.Refaults}"));
            writer.Write('\n');
        }
        writer.Flush();
    }
}
