using PageReportingActors.Host.Simulation;

namespace PageReportingActors.Host.Output;

/// <summary>The files one run wrote.</summary>
public sealed record OutputFiles(string ReportJson, string TimelineCsv, string TimelinePng, string ReportHtml)
{
    public IEnumerable<string> All => [ReportJson, TimelineCsv, TimelinePng, ReportHtml];

    public static OutputFiles In(string directory) => new(
        Path.Combine(directory, ReportJsonWriter.FileName),
        Path.Combine(directory, TimelineCsvWriter.FileName),
        Path.Combine(directory, TimelinePlotWriter.FileName),
        Path.Combine(directory, HtmlReportWriter.FileName));
}

/// <summary>
/// Writes report.json, timeline.csv, timeline.png and report.html for a run into one directory, as
/// a set: each goes to a temporary file first, and only when all four are complete are they renamed
/// into place. A run that fails or is stopped while writing leaves the directory as it was.
/// </summary>
public static class RunOutput
{
    /// <summary>
    /// Null when <paramref name="directory"/> can take the run's files, else the one line saying
    /// why not (it is a file, or one of the names is taken by a directory). Checked before a run
    /// starts, so a run's time is not spent on output that cannot be written.
    /// </summary>
    public static string? TargetProblem(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (File.Exists(directory)) return $"{directory} is a file, not a directory";
        // A directory still to be made needs its nearest existing ancestor to be a directory too.
        for (var above = Path.GetDirectoryName(Path.GetFullPath(directory)); above is not null; above = Path.GetDirectoryName(above))
        {
            if (Directory.Exists(above)) break;
            if (File.Exists(above)) return $"{directory}: {above} is a file, not a directory";
        }
        foreach (var target in OutputFiles.In(directory).All)
            if (Directory.Exists(target)) return $"{target} is a directory; remove it or choose another --out";
        return null;
    }

    public static OutputFiles WriteAll(RunResult result, string directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (TargetProblem(directory) is { } problem) throw new IOException(problem);
        Directory.CreateDirectory(directory);
        var files = OutputFiles.In(directory);
        var writes = new (string Path, Action<string> Write)[]
        {
            (files.ReportJson, path => ReportJsonWriter.WriteInPlace(result, path)),
            (files.TimelineCsv, path => TimelineCsvWriter.WriteInPlace(result.Timeline, path)),
            (files.TimelinePng, path => TimelinePlotWriter.WritePngInPlace(result, path)),
            (files.ReportHtml, path => HtmlReportWriter.WriteInPlace(result, path)),
        };
        var staged = new List<(string Temporary, string Path)>();
        try
        {
            foreach (var (path, write) in writes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                staged.Add((AtomicFile.WriteTemporary(path, write), path));
            }
        }
        catch
        {
            foreach (var (temporary, _) in staged) AtomicFile.Discard(temporary);
            throw;
        }
        // Renames only from here: quick, and none of them can meet a half-written file.
        foreach (var (temporary, path) in staged) AtomicFile.Commit(temporary, path);
        return files;
    }
}
