namespace PageReportingActors.Hypervisor;

/// <summary>
/// The host's state of one guest's memory, shared by <see cref="HostMemory"/> and its backing:
/// per guest page whether it is resident and whether the guest ever wrote it, per THP frame whether
/// it was split, and the counts that go with them.
/// </summary>
internal sealed class HostPages(long pages, long frames)
{
    public PageBitmap Resident { get; } = new(pages);

    public PageBitmap Written { get; } = new(pages);

    /// <summary>THP frames split into 4 KiB pages for the rest of the run.</summary>
    public PageBitmap Split { get; } = new(frames);

    public long ResidentPages { get; set; }

    public CostLedger Ledger { get; } = new();

    public long SizeBytes => Resident.SizeBytes + Written.SizeBytes + Split.SizeBytes;
}

/// <summary>What a guest write did on the host.</summary>
/// <param name="Faults">Host page faults it took.</param>
/// <param name="Refaults">Those of them that brought back a page the guest had written before.</param>
/// <param name="ResidentPages">Guest pages (4 KiB) that became resident, whole frames included.</param>
public readonly record struct TouchOutcome(long Faults, long Refaults, long ResidentPages);

/// <summary>What one discarded range did on the host.</summary>
/// <param name="Ignored">The host left the range alone (unaligned to a hugetlb frame, or discards inhibited).</param>
/// <param name="FreedPages">Guest pages (4 KiB) that stopped being resident.</param>
/// <param name="SplitFrames">THP frames the range split.</param>
public readonly record struct DiscardOutcome(bool Ignored, long FreedPages, long SplitFrames);
