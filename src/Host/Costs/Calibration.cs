using System.Diagnostics;
using PageReportingActors.Hypervisor;

namespace PageReportingActors.Host.Costs;

/// <summary>What <c>calibrate</c> found: the figures and their spread, and what it could not measure and why.</summary>
internal sealed record CalibrationResult(CostsFileContent Content, IReadOnlyList<string> Notes, TimeSpan Elapsed, string? ThpMode);

/// <summary>
/// Measures this machine's unit costs with its own memory: mmap a region, write it (one fault per
/// host page), madvise(MADV_DONTNEED) it in the entry size, unmap; repeated until the middle 80%
/// of the samples is within a quarter of the median or the time is up. Each sample is one batch
/// of operations divided by its count, so the clock's resolution is no part of the figure.
/// </summary>
internal static class Calibration
{
    /// <summary>Pages per 4 KiB batch: 8 MiB, big enough that one batch takes milliseconds.</summary>
    private const int PagesPerBatch = 2048;

    /// <summary>Huge pages per THP batch: 16 MiB.</summary>
    private const int HugePagesPerBatch = 8;

    /// <summary>Fewest samples a figure is given, however long they take.</summary>
    public const int MinSamples = 5;

    /// <summary>Most samples a figure is given; past that the spread is what it is.</summary>
    public const int MaxSamples = 400;

    /// <summary>Spread (p90 - p10) / median below which a figure stops being repeated.</summary>
    public const double SmallSpread = 0.25;

    private const string ThpEnabledPath = "/sys/kernel/mm/transparent_hugepage/enabled";

    /// <summary>Measures for about <paramref name="budget"/> in all (split between the figures).</summary>
    public static CalibrationResult Measure(TimeSpan budget, CancellationToken cancellationToken = default)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("calibrate measures Linux's mmap and madvise; this is not Linux");
        var clock = Stopwatch.StartNew();
        var notes = new List<string>();
        var thpMode = ThpMode();
        var share = budget / 2;

        // 4 KiB pages: one batch gives a fault sample and a discard sample.
        var (fault4, discard128) = Repeat(share, cancellationToken, () => Batch4KiB());
        UnitCosts defaults = UnitCosts.Defaults;
        var spread = new Dictionary<string, CostSpread>(StringComparer.Ordinal)
        {
            ["fault4KiBSeconds"] = fault4,
            ["discard128KiBSeconds"] = discard128,
        };

        double hugeFault = defaults.FaultHuge2MiBSeconds, hugeDiscard = defaults.Discard2MiBSeconds;
        if (thpMode is "always" or "madvise")
        {
            if (ProbeThp())
            {
                var (f, d) = Repeat(share, cancellationToken, () => BatchThp());
                spread["faultHuge2MiBSeconds"] = f;
                spread["discard2MiBSeconds"] = d;
                hugeFault = f.Median;
                hugeDiscard = d.Median;
            }
            else notes.Add($"THP is \"{thpMode}\" but a MADV_HUGEPAGE region got no huge pages (memory too fragmented, or khugepaged off); faultHuge2MiBSeconds and discard2MiBSeconds are the defaults");
        }
        else
            notes.Add($"THP is {(thpMode is null ? "not available" : $"\"{thpMode}\"")} on this machine ({ThpEnabledPath}); faultHuge2MiBSeconds and discard2MiBSeconds are the defaults");

        var source = $"calibrate on {Environment.MachineName} ({Environment.ProcessorCount} CPUs, Linux {Environment.OSVersion.Version}) at {DateTime.UtcNow:yyyy-MM-dd HH:mm}Z"
            + (spread.ContainsKey("faultHuge2MiBSeconds") ? "" : "; huge-page figures: defaults");
        var costs = new UnitCosts(fault4.Median, hugeFault, discard128.Median, hugeDiscard, source);
        return new CalibrationResult(new CostsFileContent(costs, spread), notes, clock.Elapsed, thpMode);
    }

    /// <summary>The selected mode in /sys/kernel/mm/transparent_hugepage/enabled ("always", "madvise", "never"), or null.</summary>
    public static string? ThpMode()
    {
        if (!File.Exists(ThpEnabledPath)) return null;
        var text = File.ReadAllText(ThpEnabledPath);
        var open = text.IndexOf('[');
        var close = text.IndexOf(']', open + 1);
        return open >= 0 && close > open ? text[(open + 1)..close] : null;
    }

    private static (CostSpread Fault, CostSpread Discard) Repeat(TimeSpan share, CancellationToken cancellationToken, Func<(double Fault, double Discard)> batch)
    {
        var faults = new List<double>();
        var discards = new List<double>();
        batch(); // warm-up: first-use costs (the JIT, libc's lookup) are not the page's
        var clock = Stopwatch.StartNew();
        while (faults.Count < MaxSamples)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (f, d) = batch();
            faults.Add(f);
            discards.Add(d);
            if (faults.Count < MinSamples) continue;
            if (clock.Elapsed >= share) break;
            if (faults.Count >= 4 * MinSamples
                && CostSpread.Of(faults).RelativeWidth < SmallSpread
                && CostSpread.Of(discards).RelativeWidth < SmallSpread) break;
        }
        return (CostSpread.Of(faults), CostSpread.Of(discards));
    }

    private static (double Fault, double Discard) Batch4KiB()
    {
        const long bytes = PagesPerBatch * HostPages.PageBytes;
        const long entry = 32 * HostPages.PageBytes;
        var region = HostPages.Map(bytes);
        try
        {
            // Small pages even where THP is "always": this is the 4 KiB figure.
            HostPages.TryHugePages(region, bytes, huge: false);
            var start = Stopwatch.GetTimestamp();
            HostPages.Touch(region, bytes, HostPages.PageBytes);
            var faulted = Stopwatch.GetElapsedTime(start);
            start = Stopwatch.GetTimestamp();
            for (long offset = 0; offset < bytes; offset += entry) HostPages.DontNeed(region + (nint)offset, entry);
            var discarded = Stopwatch.GetElapsedTime(start);
            return (faulted.TotalSeconds / PagesPerBatch, discarded.TotalSeconds / (bytes / entry));
        }
        finally
        {
            HostPages.Unmap(region, bytes);
        }
    }

    private static (double Fault, double Discard) BatchThp() => ThpRegion((region, bytes) =>
    {
        var start = Stopwatch.GetTimestamp();
        HostPages.Touch(region, bytes, HostPages.HugePageBytes);
        var faulted = Stopwatch.GetElapsedTime(start);
        start = Stopwatch.GetTimestamp();
        for (long offset = 0; offset < bytes; offset += HostPages.HugePageBytes) HostPages.DontNeed(region + (nint)offset, HostPages.HugePageBytes);
        var discarded = Stopwatch.GetElapsedTime(start);
        return (faulted.TotalSeconds / HugePagesPerBatch, discarded.TotalSeconds / HugePagesPerBatch);
    });

    /// <summary>Whether writing a MADV_HUGEPAGE region really gives huge pages here (smaps says).</summary>
    private static bool ProbeThp() => ThpRegion((region, bytes) =>
    {
        HostPages.Touch(region, bytes, HostPages.HugePageBytes);
        // At least half: one frame short (a fragmented moment) is still THP, none is not.
        return HostPages.AnonHugeBytes(region) is { } huge && huge >= bytes / 2;
    });

    /// <summary>A 2 MiB-aligned MADV_HUGEPAGE region of <see cref="HugePagesPerBatch"/> huge pages (mmap gives no alignment; map one more and trim in use).</summary>
    private static T ThpRegion<T>(Func<nint, long, T> use)
    {
        const long bytes = HugePagesPerBatch * HostPages.HugePageBytes;
        const long mapped = bytes + HostPages.HugePageBytes;
        var raw = HostPages.Map(mapped);
        try
        {
            var aligned = (nint)(((long)raw + HostPages.HugePageBytes - 1) & ~(HostPages.HugePageBytes - 1));
            if (!HostPages.TryHugePages(aligned, bytes, huge: true))
                throw new InvalidOperationException("madvise(MADV_HUGEPAGE) failed");
            return use(aligned, bytes);
        }
        finally
        {
            HostPages.Unmap(raw, mapped);
        }
    }
}
