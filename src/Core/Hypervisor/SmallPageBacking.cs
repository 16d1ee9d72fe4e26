namespace PageReportingActors.Hypervisor;

/// <summary>
/// <c>4KiB</c>: anonymous memory on 4 KiB pages. A write to a page that is not resident is one
/// fault that makes 4 KiB resident; a discard (madvise DONTNEED) frees every resident page it covers.
/// </summary>
internal sealed class SmallPageBacking() : BackingModel(HostBacking.Pages4KiB)
{
    public override TouchOutcome Touch(HostPages s, long pfn, long pages) => TouchSmallPages(s, pfn, pages);

    public override DiscardOutcome Discard(HostPages s, long pfn, long pages) => DiscardSmallPages(s, pfn, pages);
}
