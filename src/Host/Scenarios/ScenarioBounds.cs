using System.Globalization;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Host.Scenarios;

/// <summary>
/// The bounds of every value a scenario file or a command-line argument may hold (docs/bounds.md),
/// in one place. A value outside them is a bad scenario: the check that finds it names the field.
/// Each bound is one the host can run with: times the virtual clock can reach, guests whose state
/// fits in this machine's memory, timelines that fit in a report.
/// </summary>
internal static class ScenarioBounds
{
    /// <summary>A scenario file larger than this is refused before it is read.</summary>
    public const long MaxFileBytes = 16L << 20;

    /// <summary>JSON nesting: a scenario needs 5 levels; anything near this is not a scenario.</summary>
    public const int MaxJsonDepth = 64;

    /// <summary>Names, ids and descriptions, in UTF-16 characters.</summary>
    public const int MaxTextLength = 1024;

    /// <summary>Any point in virtual time: a step's <c>at</c>, a churn's <c>until</c>, the stop. A year and a day.</summary>
    public static readonly TimeSpan MaxTime = TimeSpan.FromDays(366);

    /// <summary><c>reporting.delay</c>: the kernel waits 2 s; below 1 ms passes would only repeat themselves.</summary>
    public static readonly TimeSpan MinDelay = TimeSpan.FromMilliseconds(1);

    public static readonly TimeSpan MaxDelay = TimeSpan.FromHours(1);

    /// <summary><c>device.latency</c>: at most an hour per report.</summary>
    public static readonly TimeSpan MaxLatency = TimeSpan.FromHours(1);

    /// <summary><c>churn.period</c> and <c>--sample</c>: at least 1 ms.</summary>
    public static readonly TimeSpan MinPeriod = TimeSpan.FromMilliseconds(1);

    /// <summary>A churn's rounds, <c>(until - at) / period</c>.</summary>
    public const long MaxChurnRounds = 1_000_000;

    /// <summary>Timeline rows of one run, <c>stop / sample + 1</c>: about 300 MB of report.json.</summary>
    public const long MaxTimelineRows = 2_000_000;

    /// <summary>Guest-physical address space: every zone ends at or below pfn 2^31 (8 TiB).</summary>
    public const long MaxPfnEnd = 1L << 31;

    /// <summary>
    /// The guest's pages, all zones together: 256 GiB. The model keeps about 2.4 bytes per guest
    /// page and about 90 bytes per allocated block (the zone, the workload and the hypervisor each
    /// track it): a 256 GiB guest written full in 4 KiB pages takes about 6 GB and a minute here.
    /// </summary>
    public const long MaxGuestPages = 1L << 26;

    /// <summary>An <c>allocate</c> or <c>churn</c> size: at most the address space; more than the guest has is a shortfall.</summary>
    public const long MaxAllocationBytes = MaxPfnEnd << PageShift;

    public const int MaxZones = 64;

    public const int MaxSteps = 100_000;

    public const int MaxFailReports = 100_000;

    /// <summary>Throws unless <paramref name="value"/> lies in <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static TimeSpan CheckDuration(TimeSpan value, string path, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
            throw new ScenarioException(path, $"{Durations.Format(value)} is outside {Durations.Format(min)}..{Durations.Format(max)}");
        return value;
    }

    /// <summary>A point in virtual time: 0 to <see cref="MaxTime"/>.</summary>
    public static TimeSpan CheckTime(TimeSpan value, string path) => CheckDuration(value, path, TimeSpan.Zero, MaxTime);

    public static void CheckCount(long count, string path, long max, string what)
    {
        if (count > max)
            throw new ScenarioException(path, string.Create(CultureInfo.InvariantCulture, $"has {count} {what}; at most {max}"));
    }

    /// <summary>
    /// Names, ids, descriptions: at most <see cref="MaxTextLength"/> characters and no control
    /// characters (a line break in a name would break the one-line result and every log line).
    /// </summary>
    public static string CheckText(string text, string path)
    {
        if (text.Length > MaxTextLength)
            throw new ScenarioException(path, string.Create(CultureInfo.InvariantCulture,
                $"is {text.Length} characters long; at most {MaxTextLength}"));
        foreach (var c in text)
            if (char.IsControl(c))
                throw new ScenarioException(path, string.Create(CultureInfo.InvariantCulture,
                    $"contains a control character (U+{(int)c:X4}); names and ids are one line of text"));
        return text;
    }

    /// <summary>
    /// Samples a fleet or sweep keeps, runs times instants: each is a reference and, while its guest
    /// runs, a sample of about 56 bytes, so the bound keeps them to about 1.3 GB.
    /// </summary>
    public const long MaxSampleCells = 20_000_000;

    /// <summary>
    /// Null when <paramref name="runs"/> runs sampled every <paramref name="sample"/> to <paramref name="stop"/>
    /// keep at most <see cref="MaxSampleCells"/> samples, else the one line that says so and names the
    /// smallest sample (whole milliseconds) that fits.
    /// </summary>
    /// <param name="field">The option or field that sets the sample: <c>--sample</c>, <c>sample</c>.</param>
    /// <param name="what">What the runs are, plural: "guests", "combinations".</param>
    public static string? SampleCellsProblem(long runs, TimeSpan stop, TimeSpan sample, string field, string what)
    {
        var samples = TimelineRows(stop, sample);
        if (runs * samples <= MaxSampleCells) return null;
        var perRun = Math.Max(2, MaxSampleCells / runs);
        var perMs = (perRun - 1) * TimeSpan.TicksPerMillisecond;
        var ms = Math.Max(1, (stop.Ticks + perMs - 1) / perMs);
        while (TimelineRows(stop, TimeSpan.FromMilliseconds(ms)) > perRun) ms++;
        return string.Create(CultureInfo.InvariantCulture,
            $"{field}: {Durations.Format(sample)} gives {samples} samples for each of {runs} {what} ({runs * samples} in all); at most {MaxSampleCells}: use {field} {Durations.Format(TimeSpan.FromMilliseconds(ms))} or more");
    }

    /// <summary>How many rows a run to <paramref name="stop"/> sampled every <paramref name="sample"/> has.</summary>
    public static long TimelineRows(TimeSpan stop, TimeSpan sample) => stop.Ticks / sample.Ticks + 1;

    /// <summary>
    /// Null when the run's timeline fits in <see cref="MaxTimelineRows"/>, else the one line that
    /// says so and names the smallest <c>--sample</c> (whole milliseconds) that fits.
    /// </summary>
    public static string? TimelineProblem(TimeSpan stop, TimeSpan sample)
    {
        var rows = TimelineRows(stop, sample);
        if (rows <= MaxTimelineRows) return null;
        var perMs = (MaxTimelineRows - 1) * TimeSpan.TicksPerMillisecond;
        var ms = (stop.Ticks + perMs - 1) / perMs;
        while (TimelineRows(stop, TimeSpan.FromMilliseconds(ms)) > MaxTimelineRows) ms++;
        return string.Create(CultureInfo.InvariantCulture,
            $"--sample: {Durations.Format(sample)} gives {rows} timeline rows over {Durations.Format(stop)}; at most {MaxTimelineRows}: use --sample {Durations.Format(TimeSpan.FromMilliseconds(ms))} or more");
    }
}
