using System.Globalization;
using PageReportingActors.Host.Output;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;
using Spectre.Console;

namespace PageReportingActors.Host.Cli;

/// <summary>Prints what a run did: a table on a terminal, aligned plain lines otherwise.</summary>
internal static class SummaryPrinter
{
    public const string SameMemoryAgain = "the same memory may be reported more than once";

    public static IReadOnlyList<(string Label, string Value)> Rows(RunResult result, OutputFiles files)
    {
        var s = result.Summary;
        var rows = new List<(string, string)>
        {
            ("scenario", $"{result.Scenario} (seed {result.Seed.ToString(CultureInfo.InvariantCulture)})"),
            ("report calls", Count(s.ReportCalls)),
            ("failed reports", Count(s.FailedReports)),
            // A free block is reported again after it was reused and freed, so this can exceed the guest's size.
            ("reported in total", $"{Bytes(s.ReportedBytes)}; {SameMemoryAgain}"),
            ("passes", Count(s.Passes)),
            ("host-resident start", Bytes(s.HostResidentStartBytes)),
            ("host-resident peak", Bytes(s.HostResidentPeakBytes)),
            ("host-resident end", Bytes(s.HostResidentEndBytes)),
            ("virtual seconds", s.VirtualSeconds.ToString("0.000", CultureInfo.InvariantCulture)),
            ("wall seconds", s.WallSeconds.ToString("0.000", CultureInfo.InvariantCulture)),
        };
        if (result.Shortfalls.Count > 0)
            rows.Add(("allocation shortfalls", Count(result.Shortfalls.Count)));
        rows.Add(("written", string.Join(", ", files.All)));
        return rows;
    }

    public static void Print(IAnsiConsole console, TextWriter plain, bool interactive, RunResult result, OutputFiles files)
    {
        var rows = Rows(result, files);
        if (interactive)
        {
            var table = new Table().AddColumn("").AddColumn(new TableColumn("value"));
            foreach (var (label, value) in rows) table.AddRow(Markup.Escape(label), Markup.Escape(value));
            console.Write(table);
            return;
        }
        var width = rows.Max(r => r.Label.Length);
        foreach (var (label, value) in rows) plain.WriteLine($"{label.PadRight(width)}  {value}");
        plain.Flush();
    }

    /// <summary>The result in one line, for <c>--quiet</c>.</summary>
    public static string OneLine(RunResult result, OutputFiles files)
    {
        var s = result.Summary;
        return string.Create(CultureInfo.InvariantCulture,
            $"{result.Scenario}: {s.ReportCalls} reports ({s.FailedReports} failed) in {s.Passes} passes, {Sizes.Human(s.ReportedBytes)} reported in total ({SameMemoryAgain}), host-resident {Sizes.Human(s.HostResidentEndBytes)} at the end; wrote {string.Join(", ", files.All)}");
    }

    private static string Count(long n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>"615.2 MiB (645054464 bytes)": the size to read first, the exact count beside it.</summary>
    private static string Bytes(long bytes) =>
        $"{Sizes.Human(bytes)} ({bytes.ToString(CultureInfo.InvariantCulture)} bytes)";
}
