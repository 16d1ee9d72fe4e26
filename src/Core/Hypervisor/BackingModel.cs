using PageReportingActors.Memory;

namespace PageReportingActors.Hypervisor;

/// <summary>
/// The rules of one host backing: what a guest write faults in and what a discard frees. Frames are
/// 2^<see cref="FrameOrder"/> guest pages, aligned in guest-physical memory. A frame that is not
/// split is resident whole or not at all, so its first page says which.
/// </summary>
internal abstract class BackingModel(HostBacking backing)
{
    public HostBacking Backing { get; } = backing;

    public int FrameOrder { get; } = HostBackings.FrameOrder(backing);

    public long FramePages => 1L << FrameOrder;

    /// <summary>A huge frame's fault or whole discard in 2 MiB units: 1, or 512 for a 1 GiB frame.</summary>
    protected long Units2MiB => FramePages >> PageGeometry.PageblockOrder;

    public static BackingModel For(HostBacking backing) => backing switch
    {
        HostBacking.Pages4KiB => new SmallPageBacking(),
        HostBacking.Thp => new ThpBacking(),
        HostBacking.Hugetlb2MiB or HostBacking.Hugetlb1GiB => new HugetlbBacking(backing),
        _ => throw new ArgumentOutOfRangeException(nameof(backing), backing, "unknown backing"),
    };

    /// <summary>The guest writes the range; <see cref="HostPages.Written"/> still holds what it wrote before.</summary>
    public abstract TouchOutcome Touch(HostPages s, long pfn, long pages);

    /// <summary>The host discards the range (discards are on).</summary>
    public abstract DiscardOutcome Discard(HostPages s, long pfn, long pages);

    /// <summary>Makes the range resident without counting faults: the guest's memory before the run.</summary>
    public void Populate(HostPages s, long pfn, long pages)
    {
        if (pages <= 0) return;
        var first = pfn >> FrameOrder << FrameOrder;
        var end = Math.Min(s.Resident.Length, (pfn + pages + FramePages - 1) >> FrameOrder << FrameOrder);
        s.ResidentPages += s.Resident.Set(first, end - first);
    }

    /// <summary>4 KiB faults over the range, as on a 4 KiB host or in a split THP frame.</summary>
    protected static TouchOutcome TouchSmallPages(HostPages s, long pfn, long pages)
    {
        var refaults = s.Written.CountSetWhereClear(s.Resident, pfn, pages);
        var faults = s.Resident.Set(pfn, pages);
        s.ResidentPages += faults;
        s.Ledger.Faults4KiB += faults;
        s.Ledger.HostFaults += faults;
        s.Ledger.Refaults += refaults;
        s.Ledger.RefaultBytes += PageGeometry.BytesOfPages(refaults);
        return new TouchOutcome(faults, refaults, faults);
    }

    /// <summary>A write to an unsplit frame: one fault that makes the whole frame resident, unless it is.</summary>
    protected TouchOutcome TouchFrame(HostPages s, long frameStart)
    {
        if (s.Resident[frameStart]) return default;
        var refault = s.Written.Any(frameStart, FramePages);
        var made = s.Resident.Set(frameStart, FramePages);
        s.ResidentPages += made;
        s.Ledger.Faults2MiB += Units2MiB;
        s.Ledger.HostFaults++;
        if (refault)
        {
            s.Ledger.Refaults++;
            s.Ledger.RefaultBytes += PageGeometry.BytesOfPages(made);
        }
        return new TouchOutcome(1, refault ? 1 : 0, made);
    }

    /// <summary>Discards a 4 KiB-paged range: every resident page in it goes.</summary>
    protected static DiscardOutcome DiscardSmallPages(HostPages s, long pfn, long pages, long split = 0)
    {
        var freed = s.Resident.Clear(pfn, pages);
        s.ResidentPages -= freed;
        s.Ledger.Discarded4KiBPages += freed;
        return new DiscardOutcome(false, freed, split);
    }

    /// <summary>Discards an unsplit frame whole, if it is resident.</summary>
    protected DiscardOutcome DiscardFrame(HostPages s, long frameStart)
    {
        if (!s.Resident[frameStart]) return default;
        var freed = s.Resident.Clear(frameStart, FramePages);
        s.ResidentPages -= freed;
        s.Ledger.Discarded2MiBFrames += Units2MiB;
        return new DiscardOutcome(false, freed, 0);
    }

    /// <summary>Adds up the outcomes of the frames a range covers.</summary>
    protected static TouchOutcome Add(TouchOutcome a, TouchOutcome b) =>
        new(a.Faults + b.Faults, a.Refaults + b.Refaults, a.ResidentPages + b.ResidentPages);

    /// <inheritdoc cref="Add(TouchOutcome, TouchOutcome)"/>
    protected static DiscardOutcome Add(DiscardOutcome a, DiscardOutcome b) =>
        new(a.Ignored && b.Ignored, a.FreedPages + b.FreedPages, a.SplitFrames + b.SplitFrames);
}
