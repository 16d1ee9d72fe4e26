namespace PageReportingActors.Host.Costs;

/// <summary>How one unit cost varied over the repeats that measured it, in seconds per operation.</summary>
internal sealed record CostSpread(double Min, double P10, double Median, double P90, double Max, int Samples)
{
    /// <summary>The figures of <paramref name="samples"/> (seconds per operation, any order); nearest-rank percentiles.</summary>
    public static CostSpread Of(IReadOnlyList<double> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0) throw new ArgumentException("no samples", nameof(samples));
        var sorted = samples.Order().ToArray();
        return new CostSpread(sorted[0], Percentile(sorted, 0.10), MiddleOf(sorted), Percentile(sorted, 0.90), sorted[^1], sorted.Length);
    }

    /// <summary>(p90 - p10) / median: how wide the middle 80% is beside the figure itself.</summary>
    public double RelativeWidth => (P90 - P10) / Median;

    private static double Percentile(double[] sorted, double fraction)
    {
        // Nearest rank: a value that was measured, never one between two runs.
        var rank = (int)Math.Ceiling(fraction * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static double MiddleOf(double[] sorted)
    {
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
