using System.Globalization;
using PageReportingActors.Host.Simulation;

namespace PageReportingActors.Host.Output;

/// <summary>
/// What the charts share: a memory unit that fits the guest (GiB once the largest value reaches
/// 4 GiB, so a 64 GiB guest reads 64, not 65,536), round axis ticks, and a colour per workload kind.
/// </summary>
internal sealed record ChartScale(string Unit, double BytesPerUnit)
{
    private const double GiB = 1L << 30;
    private const double MiB = 1L << 20;

    public static ChartScale For(IReadOnlyList<TimelineRow> rows)
    {
        var largest = rows.Count == 0 ? 0 : rows.Max(r => Math.Max(Math.Max(r.HostResidentBytes, r.FreeBytes), r.ReportedBytes));
        return largest >= 4 * GiB ? new ChartScale("GiB", GiB) : new ChartScale("MiB", MiB);
    }

    public double Of(long bytes) => bytes / BytesPerUnit;

    /// <summary>
    /// Ticks at 1, 2 or 5 times a power of ten, at least <paramref name="max"/> / <paramref name="count"/>
    /// apart, from 0 up to the first tick at or above <paramref name="max"/>.
    /// </summary>
    public static IReadOnlyList<double> Ticks(double max, int count = 6)
    {
        if (max <= 0) return [0];
        var raw = max / count;
        var power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(m => m * power).First(s => s >= raw * (1 - 1e-9));
        var ticks = new List<double> { 0 };
        while (ticks[^1] < max * (1 - 1e-9)) ticks.Add(Math.Round(ticks.Count * step, 9));
        return ticks;
    }

    public static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>A colour per workload kind, shared by the PNG and the HTML chart.</summary>
    public static string MarkerColour(string kind) => kind switch
    {
        "register" => "#2ca02c",
        "unregister" => "#d62728",
        "allocate" => "#9467bd",
        "free" => "#8c564b",
        "churn" => "#e377c2",
        "setOrder" => "#17becf",
        _ => "#7f7f7f",
    };

    public const string ResidentColour = "#1f77b4";
    public const string ReportedColour = "#ff7f0e";
    public const string PerCpuColour = "#bcbd22";
    public const string RefaultColour = "#d62728";
}
