using System.Globalization;
using System.Text.Json;
using PageReportingActors.Host.Scenarios;

namespace PageReportingActors.Host.Measurement;

/// <summary>One sample of host-resident memory: seconds and MiB.</summary>
internal readonly record struct ResidentSample(double T, double Mib);

/// <summary>A drop of host-resident memory: when it began (seconds) and how much fell (MiB).</summary>
internal readonly record struct ResidentDrop(double T, double Mib);

/// <summary>
/// A reference case's <c>case.json</c>: <c>trigger</c>, the run's second that measured second 0 stands
/// for; <c>from</c>, the measured second the comparison starts at; and what to run.
/// </summary>
internal sealed record MeasurementCase(double Trigger, double From, string? Scenario, string? Guest)
{
    public static MeasurementCase Load(string path)
    {
        // Read as every input file is: bounded, comments and trailing commas allowed, the same nesting limit.
        using var document = JsonInput.Parse(JsonInput.ReadFileText(path, "case"));
        var root = document.RootElement;
        double Number(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            ? v.GetDouble()
            : throw new FormatException($"{path}: {name} is missing or not a number");
        string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return new MeasurementCase(Number("trigger"), Number("from"), Text("scenario"), Text("guest"));
    }
}

/// <summary>Measured drop i against run drop i, and whether the pair is within the tolerances.</summary>
internal sealed record DropPair(ResidentDrop Measured, ResidentDrop Run, bool TimeOk, bool SizeOk)
{
    public bool Ok => TimeOk && SizeOk;
}

/// <summary>The outcome of holding a run against a measurement; <see cref="Problems"/> says what does not match.</summary>
internal sealed record DropComparison(
    IReadOnlyList<ResidentDrop> Measured,
    IReadOnlyList<ResidentDrop> Run,
    IReadOnlyList<DropPair> Pairs,
    double MeasuredSumMib,
    double RunSumMib,
    IReadOnlyList<string> Problems)
{
    public bool Matches => Problems.Count == 0;
}

/// <summary>
/// Holds a run's host-resident memory against a measured series, drop by drop: a drop is a fall of
/// 8 MiB or more between consecutive samples, falls closer than 0.5 s to the previous one adding up
/// into one (falls under 2 MiB are ignored); the run must have as many drops as the measurement,
/// drop i within 0.3 s and max(10%, a floor in MiB) of measured drop i, and the sum within
/// max(5%, 8 MiB). Measured drops count from <c>from</c> on, the run's from <c>trigger + from</c>
/// on, both timed relative to <c>trigger</c>.
/// </summary>
internal static class MeasurementComparison
{
    public const double DropMib = 8;
    public const double IgnoredFallMib = 2;
    public const double JoinSeconds = 0.5;
    public const double TimeToleranceSeconds = 0.3;
    public const double DropRelativeTolerance = 0.10;
    public const double DefaultDropFloorMib = 8;
    public const double SumRelativeTolerance = 0.05;
    public const double SumFloorMib = 8;

    /// <summary>
    /// The drops of a series in time order: falls of 2 MiB or more, those less than 0.5 s after the
    /// previous fall joining it; a group of 8 MiB or more is a drop, timed at its first fall.
    /// </summary>
    public static IReadOnlyList<ResidentDrop> Drops(IReadOnlyList<ResidentSample> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var drops = new List<ResidentDrop>();
        double start = 0, sum = 0, last = double.NegativeInfinity;
        for (var i = 1; i < series.Count; i++)
        {
            var fall = series[i - 1].Mib - series[i].Mib;
            if (fall < IgnoredFallMib) continue;
            if (series[i].T - last < JoinSeconds) sum += fall;
            else
            {
                if (sum >= DropMib) drops.Add(new ResidentDrop(start, sum));
                start = series[i].T;
                sum = fall;
            }
            last = series[i].T;
        }
        if (sum >= DropMib) drops.Add(new ResidentDrop(start, sum));
        return drops;
    }

    /// <summary>
    /// Compares the measured series (seconds after the trigger) with the run's (seconds of the run).
    /// <paramref name="dropFloorMib"/>: the least tolerance of one drop (8 MiB; 12 for a case whose
    /// per-CPU state at the start was not recorded).
    /// </summary>
    public static DropComparison Compare(IReadOnlyList<ResidentSample> measured, IReadOnlyList<ResidentSample> run,
        double trigger, double from, double dropFloorMib = DefaultDropFloorMib)
    {
        ArgumentNullException.ThrowIfNull(measured);
        ArgumentNullException.ThrowIfNull(run);
        var measuredDrops = Drops(measured.Where(s => s.T >= from).ToList());
        var runDrops = Drops(run.Where(s => s.T >= trigger + from).Select(s => new ResidentSample(s.T - trigger, s.Mib)).ToList());
        var problems = new List<string>();
        if (measuredDrops.Count != runDrops.Count)
            problems.Add($"{runDrops.Count} drops in the run, {measuredDrops.Count} measured");
        var pairs = new List<DropPair>();
        for (var i = 0; i < Math.Min(measuredDrops.Count, runDrops.Count); i++)
        {
            var m = measuredDrops[i];
            var r = runDrops[i];
            var timeOk = Math.Abs(r.T - m.T) <= TimeToleranceSeconds;
            var sizeOk = Math.Abs(r.Mib - m.Mib) <= Math.Max(DropRelativeTolerance * m.Mib, dropFloorMib);
            pairs.Add(new DropPair(m, r, timeOk, sizeOk));
            if (!timeOk || !sizeOk)
                problems.Add(Inv($"drop {i + 1}: run {r.Mib:0.0} MiB at {r.T:0.00} s, measured {m.Mib:0.0} MiB at {m.T:0.00} s"));
        }
        var measuredSum = measuredDrops.Sum(d => d.Mib);
        var runSum = runDrops.Sum(d => d.Mib);
        if (Math.Abs(runSum - measuredSum) > Math.Max(SumRelativeTolerance * measuredSum, SumFloorMib))
            problems.Add(Inv($"sum: run {runSum:0.0} MiB, measured {measuredSum:0.0} MiB"));
        return new DropComparison(measuredDrops, runDrops, pairs, measuredSum, runSum, problems);
    }

    /// <summary>Reads a measured.csv: a header, then seconds and MiB per line.</summary>
    public static IReadOnlyList<ResidentSample> ReadMeasured(string path)
    {
        var samples = new List<ResidentSample>();
        var lines = File.ReadAllLines(path);
        for (var i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var fields = lines[i].Split(',');
            if (fields.Length < 2
                || !double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var t)
                || !double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var mib))
                throw new FormatException($"{path} line {i + 1}: \"{lines[i]}\" is not seconds,MiB");
            samples.Add(new ResidentSample(t, mib));
        }
        return samples;
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
