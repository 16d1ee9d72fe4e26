using PageReportingActors.Host.Simulation;

namespace PageReportingActors.Host.Output;

/// <summary>The files one run wrote.</summary>
public sealed record OutputFiles(string ReportJson, string TimelineCsv, string TimelinePng, string ReportHtml)
{
    public IEnumerable<string> All => [ReportJson, TimelineCsv, TimelinePng, ReportHtml];
}

/// <summary>Writes report.json, timeline.csv, timeline.png and report.html for a run into one directory.</summary>
public static class RunOutput
{
    public static OutputFiles WriteAll(RunResult result, string directory)
    {
        ArgumentNullException.ThrowIfNull(result);
        Directory.CreateDirectory(directory);
        var files = new OutputFiles(
            Path.Combine(directory, ReportJsonWriter.FileName),
            Path.Combine(directory, TimelineCsvWriter.FileName),
            Path.Combine(directory, TimelinePlotWriter.FileName),
            Path.Combine(directory, HtmlReportWriter.FileName));
        ReportJsonWriter.WriteFile(result, files.ReportJson);
        TimelineCsvWriter.WriteFile(result.Timeline, files.TimelineCsv);
        TimelinePlotWriter.WritePng(result, files.TimelinePng);
        HtmlReportWriter.WriteFile(result, files.ReportHtml);
        return files;
    }
}
