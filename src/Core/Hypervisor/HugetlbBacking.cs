namespace PageReportingActors.Hypervisor;

/// <summary>
/// <c>hugetlb-2MiB</c> and <c>hugetlb-1GiB</c> (the same rules, two frame sizes): hugetlbfs frames.
/// A write to a non-resident frame is one fault that makes the frame resident. A report entry whose
/// start or size is not a multiple of the frame is ignored whole, as QEMU's
/// virtio_balloon_handle_report ignores unaligned regions; an aligned entry frees its frames
/// (fallocate punch hole). Frames are never split.
/// </summary>
internal sealed class HugetlbBacking(HostBacking backing) : BackingModel(backing)
{
    public override TouchOutcome Touch(HostPages s, long pfn, long pages)
    {
        TouchOutcome total = default;
        for (var frame = pfn >> FrameOrder; frame << FrameOrder < pfn + pages; frame++)
            total = Add(total, TouchFrame(s, frame << FrameOrder));
        return total;
    }

    public override DiscardOutcome Discard(HostPages s, long pfn, long pages)
    {
        if ((pfn & (FramePages - 1)) != 0 || (pages & (FramePages - 1)) != 0) return new DiscardOutcome(true, 0, 0);
        DiscardOutcome total = default;
        for (var start = pfn; start < pfn + pages; start += FramePages)
            total = Add(total, DiscardFrame(s, start));
        return total;
    }
}
