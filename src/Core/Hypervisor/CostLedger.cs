namespace PageReportingActors.Hypervisor;

/// <summary>
/// What the host did for a guest, counted as it happened: report calls and their entries, what was
/// discarded or ignored, faults (refaults among them), frames split. Host CPU time is kept as counts
/// of each kind of operation and priced only when asked, so the same run gives the same seconds for
/// any order of additions.
/// </summary>
public sealed class CostLedger
{
    /// <summary>Report calls the host acknowledged.</summary>
    public long ReportCalls { get; internal set; }

    /// <summary>Scatterlist entries of those calls.</summary>
    public long Entries { get; internal set; }

    /// <summary>Bytes of entries the host discarded (madvise or punch hole over the entry).</summary>
    public long DiscardedBytes { get; internal set; }

    /// <summary>Entries the host acknowledged and left alone: unaligned to a hugetlb frame, or every entry while discards are inhibited.</summary>
    public long IgnoredEntries { get; internal set; }

    /// <summary>Bytes of the ignored entries: reported by the guest, still resident on the host.</summary>
    public long IgnoredBytes { get; internal set; }

    /// <summary>Host page faults the guest's writes took.</summary>
    public long HostFaults { get; internal set; }

    /// <summary>Faults that made resident again a page the guest had written before a discard took it.</summary>
    public long Refaults { get; internal set; }

    /// <summary>Bytes the refaults made resident (a whole frame for a huge-page fault).</summary>
    public long RefaultBytes { get; internal set; }

    /// <summary>THP frames a partial discard split into 4 KiB pages.</summary>
    public long SplitFrames { get; internal set; }

    /// <summary>Faults that each zero-filled one 4 KiB page.</summary>
    public long Faults4KiB { get; internal set; }

    /// <summary>Huge-page faults, in 2 MiB units (a 1 GiB frame's fault counts 512).</summary>
    public long Faults2MiB { get; internal set; }

    /// <summary>Resident 4 KiB pages discarded on 4 KiB pages (an unsplit 4KiB host or a split THP frame).</summary>
    public long Discarded4KiBPages { get; internal set; }

    /// <summary>Resident huge frames discarded whole, in 2 MiB units (a 1 GiB frame counts 512).</summary>
    public long Discarded2MiBFrames { get; internal set; }

    /// <summary>
    /// Seconds of host CPU at <paramref name="costs"/>: 4 KiB faults and 2 MiB faults at their fault
    /// costs, 4 KiB pages discarded at a 32nd of a 128 KiB madvise each, 2 MiB frames at a 2 MiB madvise.
    /// </summary>
    public double HostCpuSeconds(UnitCosts costs)
    {
        ArgumentNullException.ThrowIfNull(costs);
        return Faults4KiB * costs.Fault4KiBSeconds
            + Faults2MiB * costs.FaultHuge2MiBSeconds
            + Discarded4KiBPages * (costs.Discard128KiBSeconds / 32)
            + Discarded2MiBFrames * costs.Discard2MiBSeconds;
    }

    internal void Reset()
    {
        ReportCalls = Entries = DiscardedBytes = IgnoredEntries = IgnoredBytes = 0;
        HostFaults = Refaults = RefaultBytes = SplitFrames = 0;
        Faults4KiB = Faults2MiB = Discarded4KiBPages = Discarded2MiBFrames = 0;
    }
}
