namespace PageReportingActors.Hypervisor;

/// <summary>
/// What the host's own operations cost, in seconds of host CPU each: the figures that turn a
/// run's faults and discards into host CPU time. <c>calibrate</c> measures them on a machine
/// (mmap, write and madvise of the host's own memory); <see cref="Defaults"/> are figures
/// measured that way on a reference machine.
/// </summary>
/// <param name="Fault4KiBSeconds">A page fault that zero-fills one 4 KiB page.</param>
/// <param name="FaultHuge2MiBSeconds">A page fault that zero-fills one 2 MiB huge page (THP or hugetlbfs).</param>
/// <param name="Discard128KiBSeconds">madvise(MADV_DONTNEED) of a 128 KiB (32 x 4 KiB) range on 4 KiB pages.</param>
/// <param name="Discard2MiBSeconds">madvise(MADV_DONTNEED) of one whole 2 MiB huge page.</param>
/// <param name="Source">Where the figures came from: the machine, or "defaults".</param>
public sealed record UnitCosts(
    double Fault4KiBSeconds,
    double FaultHuge2MiBSeconds,
    double Discard128KiBSeconds,
    double Discard2MiBSeconds,
    string Source)
{
    /// <summary>The most any one unit cost may be: a second per operation is no page fault.</summary>
    public const double MaxSeconds = 1.0;

    /// <summary>
    /// Measured with mmap, write and madvise on a loaded 2-core x86-64 VM (Debian 12, Linux 6.1
    /// host kernel): a 4 KiB zero-fill fault 2.6-3.8 us, a THP fault 240-430 us per 2 MiB,
    /// madvise(DONTNEED) of 128 KiB 14-30 us and of a 2 MiB huge page 6-12 us; the middle of each
    /// range.
    /// </summary>
    public static UnitCosts Defaults { get; } = new(
        Fault4KiBSeconds: 3.2e-6,
        FaultHuge2MiBSeconds: 335e-6,
        Discard128KiBSeconds: 22e-6,
        Discard2MiBSeconds: 9e-6,
        Source: "defaults: a loaded 2-core x86-64 VM");

    /// <summary>The first figure that is not a positive, finite number of seconds at most <see cref="MaxSeconds"/>, by name; null when all are.</summary>
    public string? FirstInvalid()
    {
        foreach (var (name, value) in Figures())
            if (!double.IsFinite(value) || value <= 0 || value > MaxSeconds)
                return name;
        return null;
    }

    /// <summary>The four figures by their JSON names, in the order costs.json writes them.</summary>
    public IEnumerable<(string Name, double Seconds)> Figures()
    {
        yield return ("fault4KiBSeconds", Fault4KiBSeconds);
        yield return ("faultHuge2MiBSeconds", FaultHuge2MiBSeconds);
        yield return ("discard128KiBSeconds", Discard128KiBSeconds);
        yield return ("discard2MiBSeconds", Discard2MiBSeconds);
    }
}
