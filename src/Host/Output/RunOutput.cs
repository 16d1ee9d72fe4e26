using PageReportingActors.Host.Simulation;

namespace PageReportingActors.Host.Output;

/// <summary>The files one run wrote.</summary>
internal sealed record OutputFiles(string ReportJson, string TimelineCsv, string TimelinePng, string ReportHtml)
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
internal static class RunOutput
{
    /// <summary>
    /// Null when <paramref name="directory"/> can take the run's files, else the one line saying
    /// why not (it is a file, or one of the names is taken by a directory). Checked before a run
    /// starts, so a run's time is not spent on output that cannot be written.
    /// </summary>
    public static string? TargetProblem(string directory) =>
        TargetProblem(directory, OutputFiles.In(directory ?? throw new ArgumentNullException(nameof(directory))).All);

    /// <summary>
    /// The same check for any set of files in <paramref name="directory"/> (fleet, sweep and replay
    /// outputs): null when they can be written, else one line saying why not. The directory, or the
    /// nearest one above it that exists, must take a new file (not so in /proc or /sys, or read-only).
    /// </summary>
    public static string? TargetProblem(string directory, IEnumerable<string> targets)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(targets);
        if (File.Exists(directory)) return $"{directory} is a file, not a directory";
        string? existing = Directory.Exists(directory) ? Path.GetFullPath(directory) : null;
        // A directory still to be made needs its nearest existing ancestor to be a directory too.
        for (var above = Path.GetDirectoryName(Path.GetFullPath(directory)); existing is null && above is not null; above = Path.GetDirectoryName(above))
        {
            if (Directory.Exists(above)) existing = above;
            else if (File.Exists(above)) return $"{directory}: {above} is a file, not a directory";
        }
        foreach (var target in targets)
            if (Directory.Exists(target)) return $"{target} is a directory; remove it or choose another --out";
        if (existing is not null && !TakesNewFiles(existing, out var why)) return $"{directory}: cannot write in {existing} ({why})";
        return null;
    }

    /// <summary>Whether a file can be made in <paramref name="directory"/>: made and removed at once.</summary>
    private static bool TakesNewFiles(string directory, out string why)
    {
        try
        {
            using (new FileStream(Path.Combine(directory, $".write-check.{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
            why = "";
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            why = e.Message.TrimEnd('.');
            return false;
        }
    }

    /// <summary>
    /// Writes a set of files whole or not at all: each to a temporary name first, and only when all
    /// are complete are they renamed into place; a failure or a stop leaves the old ones as they were.
    /// </summary>
    public static void WriteSet(IReadOnlyList<(string Path, Action<string> Write)> writes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writes);
        var staged = new List<(string Temporary, string Path)>();
        try
        {
            foreach (var (path, write) in writes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                staged.Add((AtomicFile.WriteTemporary(path, write), path));
            }
            // A stop that came while the last file was written still leaves the old set.
            cancellationToken.ThrowIfCancellationRequested();
        }
        catch
        {
            foreach (var (temporary, _) in staged) AtomicFile.Discard(temporary);
            throw;
        }
        // Renames only from here: quick, and none of them can meet a half-written file.
        foreach (var (temporary, path) in staged) AtomicFile.Commit(temporary, path);
    }

    public static OutputFiles WriteAll(RunResult result, string directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (TargetProblem(directory) is { } problem) throw new IOException(problem);
        Directory.CreateDirectory(directory);
        var files = OutputFiles.In(directory);
        WriteSet([
            (files.ReportJson, path => ReportJsonWriter.WriteInPlace(result, path)),
            (files.TimelineCsv, path => TimelineCsvWriter.WriteInPlace(result.Timeline, path)),
            (files.TimelinePng, path => TimelinePlotWriter.WritePngInPlace(result, path)),
            (files.ReportHtml, path => HtmlReportWriter.WriteInPlace(result, path)),
        ], cancellationToken);
        return files;
    }
}
