namespace PageReportingActors.Memory;

/// <summary>
/// The guest kernel whose rules apply where Linux changed them between versions: how the per-CPU
/// page lists are sized, tuned, flushed and refilled (R21, R22), how a pageblock is claimed when an
/// allocation falls back to another migratetype, and how registration resolves the reporting
/// order (R23).
/// </summary>
public sealed class KernelProfile
{
    /// <summary>Linux 6.1: fixed <c>high</c>; a free run doubles the flush size; refills of <c>batch</c>.</summary>
    public static readonly KernelProfile Linux6_1 = new("6.1", tunesHigh: false);

    /// <summary>Linux 6.12: <c>high</c> tuned between highMin and highMax and decayed every second; flush and refill sizes follow the recent run of frees or allocations.</summary>
    public static readonly KernelProfile Linux6_12 = new("6.12", tunesHigh: true);

    /// <summary>The largest shift applied to <c>batch</c> when a run of frees or allocations grows it (the kernel's default build setting).</summary>
    public const int BatchScaleMax = 5;

    /// <summary>The kernel divides the managed pages by this to get the largest <c>high</c> tuning may reach.</summary>
    public const int HighMaxFraction = 8;

    private KernelProfile(string name, bool tunesHigh)
    {
        Name = name;
        TunesHigh = tunesHigh;
    }

    /// <summary>"6.1" or "6.12", as scenario files name it.</summary>
    public string Name { get; }

    /// <summary>True where <c>high</c> moves between highMin and highMax (6.3 and later).</summary>
    public bool TunesHigh { get; }

    /// <summary>Every kernel the model follows.</summary>
    public static IReadOnlyList<KernelProfile> All { get; } = [Linux6_1, Linux6_12];

    /// <summary>The profile named <paramref name="name"/>, or a clear error naming the ones there are.</summary>
    public static KernelProfile Parse(string name) =>
        All.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"kernel \"{name}\" is not known; use one of: {string.Join(", ", All.Select(p => $"\"{p.Name}\""))}", nameof(name));

    /// <summary>
    /// R18, R23: the reporting order registration settles on. 6.1 takes the device's order (or the
    /// pageblock order) every time, overwriting a configured one; later kernels keep a configured
    /// order and otherwise take the device's if it is within 1..10, else the pageblock order.
    /// </summary>
    public int ResolveReportingOrder(int? configured, int? deviceOrder)
    {
        if (!TunesHigh)
            return deviceOrder is { } d && d != 0 ? d : PageGeometry.PageblockOrder;
        if (configured is { } c) return c;
        return deviceOrder is { } o && o is > 0 and <= PageGeometry.MaxOrder ? o : PageGeometry.PageblockOrder;
    }

    /// <summary>The per-CPU list sizing the kernel computes for a zone (see <see cref="PerCpuSizing"/>).</summary>
    public PerCpuSizing SizePerCpuLists(long managedPages, long lowWatermark, int cpus)
    {
        if (managedPages < 0) throw new ArgumentOutOfRangeException(nameof(managedPages), $"managed pages {managedPages} is negative");
        if (lowWatermark < 0) throw new ArgumentOutOfRangeException(nameof(lowWatermark), $"low watermark {lowWatermark} is negative");
        if (cpus < 1) throw new ArgumentOutOfRangeException(nameof(cpus), $"cpus {cpus} must be at least 1");
        var batch = PerCpuSizing.BatchFor(managedPages);
        var highMin = PerCpuSizing.HighFor(lowWatermark, batch, cpus);
        var highMax = TunesHigh ? PerCpuSizing.HighFor(managedPages / HighMaxFraction, batch, cpus) : highMin;
        return new PerCpuSizing(batch, highMin, highMax, highMin);
    }

    /// <summary>
    /// A zone's per-CPU sizing where a description (zoneinfo's pcp lines) gives some values over
    /// the kernel's own <paramref name="sized"/>: <c>high = 0</c> alone keeps no per-CPU pages; 6.1
    /// keeps one fixed high; 6.12 fills the limits it is not given around the ones it is. The
    /// result may still be unusable: check <see cref="PerCpuSizing.Validate"/>.
    /// </summary>
    public PerCpuSizing WithGiven(PerCpuSizing sized, int? batch, long? high, long? highMin, long? highMax)
    {
        ArgumentNullException.ThrowIfNull(sized);
        var b = batch ?? sized.Batch;
        if (high == 0 && highMin is null && highMax is null) return new PerCpuSizing(b, 0, 0, 0);
        if (!TunesHigh)
        {
            var fixedHigh = high ?? highMin ?? highMax ?? sized.High;
            return new PerCpuSizing(b, fixedHigh, fixedHigh, fixedHigh);
        }
        var min = highMin ?? Math.Min(sized.HighMin, high ?? sized.HighMin);
        var max = highMax ?? Math.Max(sized.HighMax, Math.Max(min, high ?? min));
        return new PerCpuSizing(b, min, max, high ?? min);
    }

    /// <summary>The profile's <see cref="Name"/>.</summary>
    public override string ToString() => Name;
}

/// <summary>
/// One zone's per-CPU list settings on each CPU. <paramref name="High"/> is the value now (what
/// zoneinfo prints); 6.12 tunes it between <paramref name="HighMin"/> and <paramref name="HighMax"/>,
/// 6.1 keeps it at <paramref name="HighMin"/> = <paramref name="HighMax"/>. A zone with all three at 0
/// keeps no per-CPU pages: every free goes straight on to the buddy lists.
/// </summary>
public sealed record PerCpuSizing(int Batch, long HighMin, long HighMax, long High)
{
    /// <summary>
    /// The kernel's batch: a quarter of the smaller of 0.1% of the zone and 1 MiB of pages, then the
    /// power of two at or below one and a half times that, minus one (powers of two alias in caches).
    /// At least 1.
    /// </summary>
    public static int BatchFor(long managedPages)
    {
        var batch = Math.Min(managedPages >> 10, (1L << 20) / PageGeometry.PageSize) / 4;
        if (batch < 1) batch = 1;
        var rounded = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)(batch + batch / 2 + 1)) >> 1;
        return Math.Max(1, rounded - 1);
    }

    /// <summary>The kernel's high: <paramref name="totalPages"/> split among the CPUs, at least four batches.</summary>
    public static long HighFor(long totalPages, int batch, int cpus) => Math.Max(totalPages / cpus, (long)batch << 2);

    /// <summary>Returns why these settings are unusable, or null.</summary>
    public string? Validate()
    {
        if (Batch < 1) return $"batch {Batch} must be at least 1";
        if (HighMin < 0 || HighMax < HighMin) return $"high limits must satisfy 0 <= highMin <= highMax (got {HighMin}, {HighMax})";
        if (High < 0) return $"high {High} is negative";
        return null;
    }
}

/// <summary>
/// What a zone takes from the guest kernel: whose rules, how many CPUs, the per-CPU list sizing, and
/// how many pages the list of CPU 0 holds at the start (zoneinfo's <c>count</c>). A zone described
/// with this also starts with every pageblock Movable, as the kernel's boot does, and follows the
/// kernel in where a merged or split block goes and how an allocation falls back.
/// </summary>
public sealed record ZoneKernelSpec(KernelProfile Profile, int Cpus, PerCpuSizing PerCpu, long InitialPerCpuPages = 0)
{
    /// <summary>The kernel's own sizing for a zone with <paramref name="managedPages"/> and <paramref name="lowWatermark"/>.</summary>
    public static ZoneKernelSpec Sized(KernelProfile profile, int cpus, long managedPages, long lowWatermark, long initialPerCpuPages = 0) =>
        new(profile, cpus, profile.SizePerCpuLists(managedPages, lowWatermark, cpus), initialPerCpuPages);
}
