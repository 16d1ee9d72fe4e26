using System.Globalization;

namespace PageReportingActors.Memory;

/// <summary>Sizes for people to read in logs and summaries; files keep the exact byte counts.</summary>
internal static class ByteSizes
{
    /// <summary>"512.0 MiB", "1.50 GiB": the largest binary unit the size reaches.</summary>
    public static string Human(long bytes)
    {
        var abs = Math.Abs((double)bytes);
        return abs switch
        {
            >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.00} GiB"),
            >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.0} MiB"),
            >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 10):0.0} KiB"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        };
    }
}
