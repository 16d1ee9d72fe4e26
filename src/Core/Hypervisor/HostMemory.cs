using PageReportingActors.Memory;

namespace PageReportingActors.Hypervisor;

/// <summary>
/// What the host holds of one guest's memory and what that cost it, on the host's own pages
/// (<see cref="HostSettings.Backing"/>): the guest's writes (<see cref="Touch(long, long)"/>) fault
/// pages in, reports (<see cref="Report"/>) discard them, and the <see cref="Ledger"/> counts both.
/// Plain and deterministic: the same calls give the same state. Memory: two bits per guest page
/// (resident, ever written) and two per host frame.
/// </summary>
public sealed class HostMemory
{
    private readonly HostPages _pages;
    private readonly BackingModel _backing;
    // Per host frame, whether the guest ever wrote a page in it: without reporting, such a frame
    // would still be resident. Null on 4 KiB pages, where a frame is a page and Written says it.
    private readonly PageBitmap? _frameWritten;

    /// <summary>
    /// The guest kernel's own memory (each zone's allocated pages at the start) is resident, whole
    /// host frames of it; free memory is not. Those pages were written before the run, so they count
    /// as written but not as the run's faults.
    /// </summary>
    public HostMemory(IReadOnlyList<ZoneSpec> zones, HostSettings settings)
    {
        ArgumentNullException.ThrowIfNull(zones);
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
        _backing = BackingModel.For(settings.Backing);
        var end = zones.Count == 0 ? 0 : zones.Max(z => z.StartPfn + z.Pages);
        var frames = (end + _backing.FramePages - 1) >> _backing.FrameOrder;
        _pages = new HostPages(frames << _backing.FrameOrder, frames);
        if (_backing.FrameOrder > 0) _frameWritten = new PageBitmap(frames);
        Start(zones.Select(z => (z.StartPfn, z.Pages - z.FreePages)));
    }

    /// <summary>The backing, whether discards are inhibited, and the unit costs.</summary>
    public HostSettings Settings { get; }

    /// <summary>Bytes of one host page (frame) under guest memory.</summary>
    public long HostPageBytes => PageGeometry.BytesOfPages(_backing.FramePages);

    /// <summary>Guest pages (4 KiB) resident on the host now.</summary>
    public long ResidentPages => _pages.ResidentPages;

    /// <summary>Bytes resident on the host now.</summary>
    public long ResidentBytes => PageGeometry.BytesOfPages(ResidentPages);

    /// <summary>Pages resident when the run started (or at the last <see cref="ResetResidency"/>).</summary>
    public long StartResidentPages { get; private set; }

    /// <summary>The most pages resident at once so far.</summary>
    public long PeakResidentPages { get; private set; }

    /// <summary>Pages the guest has written, its memory at the start included.</summary>
    public long WrittenPages { get; private set; }

    /// <summary>
    /// What the host would hold had no report been made, since nothing else gives memory back while
    /// the guest runs: every host frame the guest has written a page of.
    /// </summary>
    public long WithoutReportingBytes => PageGeometry.BytesOfPages(_frameWritten is null ? WrittenPages : _writtenFrames << _backing.FrameOrder);

    private long _writtenFrames;

    /// <summary>What the host did so far.</summary>
    public CostLedger Ledger => _pages.Ledger;

    /// <summary>The memory this model takes for its bits.</summary>
    public long SizeBytes => _pages.SizeBytes + (_frameWritten?.SizeBytes ?? 0);

    /// <summary>
    /// Starts over from another starting layout (a replay's snapshot): only these ranges are written
    /// and resident (whole frames), they are the start and the peak, and the ledger is empty.
    /// </summary>
    public void ResetResidency(IEnumerable<(long Pfn, long Pages)> resident)
    {
        ArgumentNullException.ThrowIfNull(resident);
        _pages.Resident.ClearAll();
        _pages.Written.ClearAll();
        _pages.Split.ClearAll();
        _frameWritten?.ClearAll();
        _pages.ResidentPages = WrittenPages = _writtenFrames = 0;
        _pages.Ledger.Reset();
        Start(resident);
    }

    private void Start(IEnumerable<(long Pfn, long Pages)> resident)
    {
        foreach (var (pfn, pages) in resident)
        {
            if (pages <= 0) continue;
            CheckRange(pfn, pages);
            _backing.Populate(_pages, pfn, pages);
            MarkWritten(pfn, pages);
        }
        StartResidentPages = PeakResidentPages = ResidentPages;
    }

    /// <summary>The guest writes these pages: what is not resident faults in, as the backing says.</summary>
    public TouchOutcome Touch(long pfn, long pages)
    {
        CheckRange(pfn, pages);
        if (pages == 0) return default;
        var outcome = _backing.Touch(_pages, pfn, pages);
        MarkWritten(pfn, pages);
        if (ResidentPages > PeakResidentPages) PeakResidentPages = ResidentPages;
        return outcome;
    }

    /// <summary>The guest writes the block's pages.</summary>
    public TouchOutcome Touch(Block block) => Touch(block.Pfn, block.Pages);

    /// <summary>
    /// The host discards the guest-physical byte range of one report entry: madvise DONTNEED or a
    /// hugetlbfs punch hole as the backing says; nothing while discards are inhibited.
    /// </summary>
    public DiscardOutcome Discard(long address, long length)
    {
        if (address < 0 || length < 0 || ((address | length) & (PageGeometry.PageSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(address), $"{address}+{length} is not a range of whole 4 KiB pages");
        var pfn = address >> PageGeometry.PageShift;
        var pages = length >> PageGeometry.PageShift;
        CheckRange(pfn, pages);
        var outcome = Settings.DiscardInhibited ? new DiscardOutcome(true, 0, 0) : _backing.Discard(_pages, pfn, pages);
        if (outcome.Ignored)
        {
            Ledger.IgnoredEntries++;
            Ledger.IgnoredBytes += length;
        }
        else
        {
            Ledger.DiscardedBytes += length;
        }
        return outcome;
    }

    /// <summary>One report call the host acknowledges: each entry discarded (or ignored) in turn; returns the pages freed.</summary>
    public long Report(IReadOnlyList<ScatterEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        Ledger.ReportCalls++;
        Ledger.Entries += entries.Count;
        long freed = 0;
        foreach (var entry in entries) freed += Discard(entry.Address, entry.Length).FreedPages;
        return freed;
    }

    /// <summary>The host's state and costs now: what every output reads.</summary>
    public HostSnapshot Snapshot()
    {
        var l = Ledger;
        return new HostSnapshot(
            Settings.Backing, HostPageBytes, Settings.DiscardInhibited,
            ResidentBytes, PageGeometry.BytesOfPages(StartResidentPages), PageGeometry.BytesOfPages(PeakResidentPages), WithoutReportingBytes,
            l.ReportCalls, l.Entries, l.DiscardedBytes, l.IgnoredEntries, l.IgnoredBytes,
            l.HostFaults, l.Refaults, l.RefaultBytes, l.SplitFrames, l.HostCpuSeconds(Settings.Costs), Settings.Costs);
    }

    private void MarkWritten(long pfn, long pages)
    {
        WrittenPages += _pages.Written.Set(pfn, pages);
        if (_frameWritten is null) return;
        var first = pfn >> _backing.FrameOrder;
        var last = (pfn + pages - 1) >> _backing.FrameOrder;
        _writtenFrames += _frameWritten.Set(first, last - first + 1);
    }

    private void CheckRange(long pfn, long pages)
    {
        if (pfn < 0 || pages < 0 || pfn > _pages.Resident.Length - pages)
            throw new ArgumentOutOfRangeException(nameof(pfn), $"pages {pfn}+{pages} are outside the guest's memory (0..{_pages.Resident.Length})");
    }
}
