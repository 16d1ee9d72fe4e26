namespace PageReportingActors.Hypervisor;

/// <summary>
/// <c>thp</c>: anonymous memory on transparent huge pages in 2 MiB-aligned frames. A write to a
/// frame that is wholly not resident and not split is one fault that makes all 2 MiB resident. A
/// discard that covers a whole frame leaves it not resident and not split; a discard of part of a
/// resident frame splits it (4 KiB pages for the rest of the run: khugepaged's collapse is not
/// modeled), its other pages stay resident, and a write to one of its non-resident pages is one
/// 4 KiB fault.
/// </summary>
internal sealed class ThpBacking() : BackingModel(HostBacking.Thp)
{
    public override TouchOutcome Touch(HostPages s, long pfn, long pages)
    {
        TouchOutcome total = default;
        for (var frame = pfn >> FrameOrder; frame << FrameOrder < pfn + pages; frame++)
        {
            var start = frame << FrameOrder;
            total = Add(total, s.Split[frame]
                ? TouchSmallPages(s, Math.Max(pfn, start), Math.Min(pfn + pages, start + FramePages) - Math.Max(pfn, start))
                : TouchFrame(s, start));
        }
        return total;
    }

    public override DiscardOutcome Discard(HostPages s, long pfn, long pages)
    {
        DiscardOutcome total = default;
        for (var frame = pfn >> FrameOrder; frame << FrameOrder < pfn + pages; frame++)
        {
            var start = frame << FrameOrder;
            var from = Math.Max(pfn, start);
            var count = Math.Min(pfn + pages, start + FramePages) - from;
            DiscardOutcome one;
            if (s.Split[frame]) one = DiscardSmallPages(s, from, count);
            else if (count == FramePages) one = DiscardFrame(s, start);
            else if (!s.Resident[start]) one = default; // nothing mapped, nothing to split
            else
            {
                s.Split.Set(frame, 1);
                s.Ledger.SplitFrames++;
                one = DiscardSmallPages(s, from, count, split: 1);
            }
            total = Add(total, one);
        }
        return total;
    }
}
