using PageReportingActors.Hypervisor;
using PageReportingActors.Memory;
using Xunit;

namespace PageReportingActors.Tests.Hypervisor;

/// <summary>
/// The host's pages under guest memory, rule by rule (SCENARIOS "The host's pages and what reporting
/// costs"), on a 16 MiB guest whose first 2 MiB (frame 0) is the kernel's own memory at the start.
/// Pfn 1024 starts frame 2 (2 MiB frames are 512 pages).
/// </summary>
public sealed class HostMemoryTests
{
    private const long Page = 4096, Frame = 512;
    private static readonly ZoneSpec[] Zones = [new("DMA32", 0, 4096, 4096 - 512, new Watermarks(64, 80, 96))];

    private static HostMemory Host(HostBacking backing, bool inhibited = false) =>
        new(Zones, HostSettings.Default with { Backing = backing, DiscardInhibited = inhibited });

    private static long Discard(HostMemory host, long pfn, long pages) =>
        host.Report([new ScatterEntry(pfn * Page, pages * Page, true)]);

    [Fact]
    public void On_4KiB_each_page_written_that_is_not_resident_is_one_fault_and_a_discarded_page_written_again_is_a_refault()
    {
        var host = Host(HostBacking.Pages4KiB);
        Assert.Equal(512, host.StartResidentPages);
        Assert.Equal(4096, host.HostPageBytes);

        Assert.Equal(new TouchOutcome(16, 0, 16), host.Touch(1024, 16)); // first touch
        Assert.Equal(default, host.Touch(1024, 16));                      // resident: no fault
        Assert.Equal(16, Discard(host, 1024, 16));
        Assert.Equal(new TouchOutcome(8, 8, 8), host.Touch(1024, 8));     // written before: refaults
        // 1032-1039 were written and discarded, 1040-1047 never written: 8 refaults, 8 first touches.
        Assert.Equal(new TouchOutcome(16, 8, 16), host.Touch(1032, 16));

        var l = host.Ledger;
        Assert.Equal((40L, 16L, 16 * Page), (l.HostFaults, l.Refaults, l.RefaultBytes));
        Assert.Equal((1L, 1L, 16 * Page), (l.ReportCalls, l.Entries, l.DiscardedBytes));
        Assert.Equal(512 + 24, host.ResidentPages);
        Assert.Equal(512 + 24, host.PeakResidentPages);
        Assert.Equal((512 + 24) * Page, host.WithoutReportingBytes);
    }

    [Fact]
    public void On_thp_a_write_to_a_frame_wholly_not_resident_is_one_fault_of_2MiB_and_a_whole_discard_leaves_it_unsplit()
    {
        var host = Host(HostBacking.Thp);
        Assert.Equal(2L << 20, host.HostPageBytes);

        Assert.Equal(new TouchOutcome(1, 0, Frame), host.Touch(1024, 1));
        Assert.Equal(default, host.Touch(1025, 100));
        Assert.Equal(512 + Frame, host.ResidentPages);
        // A write that crosses into the next frame faults that one too.
        Assert.Equal(new TouchOutcome(1, 0, Frame), host.Touch(1530, 10));

        Assert.Equal(2 * Frame, Discard(host, 1024, 2 * Frame));
        Assert.Equal(0, host.Ledger.SplitFrames);
        Assert.Equal(512, host.ResidentPages);
        // Page 1200 was never written, but the frame holds pages that were: the whole-frame fault is a refault.
        Assert.Equal(new TouchOutcome(1, 1, Frame), host.Touch(1200, 1));
        Assert.Equal((3L, 1L, 2L << 20), (host.Ledger.HostFaults, host.Ledger.Refaults, host.Ledger.RefaultBytes));
        Assert.Equal((3L, 0L), (host.Ledger.Faults2MiB, host.Ledger.Faults4KiB));
    }

    [Fact]
    public void On_thp_a_discard_of_part_of_a_resident_frame_splits_it_and_its_pages_then_fault_4KiB_at_a_time()
    {
        var host = Host(HostBacking.Thp);
        host.Touch(1024, Frame);
        // A 128 KiB entry inside frame 2: the frame splits, its other 480 pages stay resident.
        Assert.Equal(32, Discard(host, 1024 + 128, 32));
        Assert.Equal(1, host.Ledger.SplitFrames);
        Assert.Equal(512 + 480, host.ResidentPages);
        Assert.Equal(new TouchOutcome(1, 1, 1), host.Touch(1024 + 128, 1));
        Assert.Equal(default, host.Touch(1024, 1));
        // A split frame stays split, even when a later entry covers it whole.
        Assert.Equal(481, Discard(host, 1024, Frame));
        Assert.Equal(new TouchOutcome(2, 2, 2), host.Touch(1024, 2));
        Assert.Equal(1, host.Ledger.SplitFrames);
        // Part of a frame that is not resident: nothing is mapped there, so nothing splits.
        Assert.Equal(0, Discard(host, 2048 + 64, 32));
        Assert.Equal(1, host.Ledger.SplitFrames);
        Assert.Equal(new TouchOutcome(1, 0, Frame), host.Touch(2048 + 64, 1));
        Assert.Equal((32L + 481, 0L), (host.Ledger.Discarded4KiBPages, host.Ledger.Discarded2MiBFrames));
    }

    [Fact]
    public void On_hugetlb_an_unaligned_entry_is_ignored_whole_and_an_aligned_one_frees_its_frames()
    {
        var host = Host(HostBacking.Hugetlb2MiB);
        host.Touch(1024, 2 * Frame);
        Assert.Equal(new TouchOutcome(2, 0, 2 * Frame), host.Touch(3072, 2 * Frame));

        // 128 KiB entries, and a 4 MiB entry starting 1 MiB into a frame: not multiples of 2 MiB.
        Assert.Equal(0, Discard(host, 1024, 32));
        Assert.Equal(0, Discard(host, 1024 + 256, 2 * Frame));
        Assert.Equal((2L, (128L << 10) + (4L << 20)), (host.Ledger.IgnoredEntries, host.Ledger.IgnoredBytes));
        Assert.Equal(512 + 4 * Frame, host.ResidentPages);

        Assert.Equal(2 * Frame, Discard(host, 1024, 2 * Frame));
        Assert.Equal(4L << 20, host.Ledger.DiscardedBytes);
        Assert.Equal(512 + 2 * Frame, host.ResidentPages);
        Assert.Equal(new TouchOutcome(1, 1, Frame), host.Touch(1024 + 7, 1));
    }

    [Fact]
    public void On_hugetlb_1GiB_a_fault_makes_the_whole_gigabyte_resident()
    {
        var zones = new[] { new ZoneSpec("Normal", 0, 2L << 18, (2L << 18) - 512, new Watermarks(64, 80, 96)) };
        var host = new HostMemory(zones, HostSettings.Default with { Backing = HostBacking.Hugetlb1GiB });
        Assert.Equal(1L << 30, host.HostPageBytes);
        Assert.Equal(1L << 18, host.StartResidentPages); // the kernel's 2 MiB sits in frame 0, resident whole
        Assert.Equal(new TouchOutcome(1, 0, 1L << 18), host.Touch(300_000, 1));
        Assert.Equal(512, host.Ledger.Faults2MiB);
        // A 2 MiB entry is not a multiple of 1 GiB.
        host.Report([new ScatterEntry(300_000L / 512 * 512 * Page, 2L << 20, true)]);
        Assert.Equal(1, host.Ledger.IgnoredEntries);
        host.Report([new ScatterEntry(1L << 30, 1L << 30, true)]);
        Assert.Equal(1L << 18, host.ResidentPages);
        Assert.Equal(512, host.Ledger.Discarded2MiBFrames);
    }

    [Fact]
    public void With_discards_inhibited_a_report_is_acknowledged_and_nothing_is_discarded()
    {
        var host = Host(HostBacking.Pages4KiB, inhibited: true);
        host.Touch(1024, 1024);
        Assert.Equal(0, host.Report([new ScatterEntry(1024 * Page, 512 * Page, false), new ScatterEntry(1536 * Page, 512 * Page, true)]));
        var l = host.Ledger;
        Assert.Equal((1L, 2L, 0L, 2L, 4L << 20), (l.ReportCalls, l.Entries, l.DiscardedBytes, l.IgnoredEntries, l.IgnoredBytes));
        Assert.Equal(512 + 1024, host.ResidentPages);
        Assert.Equal(default, host.Touch(1024, 1024));
    }

    [Fact]
    public void Each_backing_prices_its_faults_and_discards_at_its_own_unit_costs()
    {
        var costs = new UnitCosts(Fault4KiBSeconds: 3e-6, FaultHuge2MiBSeconds: 300e-6, Discard128KiBSeconds: 32e-6, Discard2MiBSeconds: 10e-6, "test");
        HostMemory Priced(HostBacking backing) => new(Zones, new HostSettings(backing, false, costs));

        // 4KiB: 1024 faults at 3 us, then 1024 pages discarded at 1 us (a 32nd of 128 KiB's 32 us).
        var small = Priced(HostBacking.Pages4KiB);
        small.Touch(1024, 1024);
        Discard(small, 1024, 1024);
        Assert.Equal(1024 * 3e-6 + 1024 * 1e-6, small.Snapshot().HostCpuSeconds, 12);

        // thp: two 2 MiB faults at 300 us; a whole frame discarded at 10 us, 32 pages of a split one at 1 us,
        // then one 4 KiB fault in the split frame at 3 us.
        var thp = Priced(HostBacking.Thp);
        thp.Touch(1024, 1024);
        Discard(thp, 1024, Frame);
        Discard(thp, 1536, 32);
        thp.Touch(1536, 1);
        Assert.Equal(2 * 300e-6 + 10e-6 + 32 * 1e-6 + 3e-6, thp.Snapshot().HostCpuSeconds, 12);

        // hugetlb-2MiB: two faults at 300 us, two frames discarded at 10 us; an ignored entry costs nothing.
        var huge = Priced(HostBacking.Hugetlb2MiB);
        huge.Touch(1024, 1024);
        Discard(huge, 1024, 32);
        Discard(huge, 1024, 1024);
        Assert.Equal(2 * 300e-6 + 2 * 10e-6, huge.Snapshot().HostCpuSeconds, 12);

        // hugetlb-1GiB: a fault is 512 huge-page fills, a discard 512 huge-page discards.
        var gig = new HostMemory([new ZoneSpec("Normal", 0, 2L << 18, (2L << 18) - 512, new Watermarks(64, 80, 96))],
            new HostSettings(HostBacking.Hugetlb1GiB, false, costs));
        gig.Touch(1L << 18, 1);
        gig.Report([new ScatterEntry(1L << 30, 1L << 30, true)]);
        Assert.Equal(512 * 300e-6 + 512 * 10e-6, gig.Snapshot().HostCpuSeconds, 12);
    }

    [Fact]
    public void Without_reporting_the_host_would_hold_every_frame_the_guest_wrote_a_page_of()
    {
        var thp = Host(HostBacking.Thp);
        thp.Touch(1024, 1);
        thp.Touch(2048 + 511, 2);  // pages in frames 4 and 5
        Discard(thp, 1024, 3 * Frame);
        Assert.Equal((1 + 3) * (2L << 20), thp.WithoutReportingBytes);
        Assert.Equal(512 + Frame, thp.ResidentPages);

        var snapshot = thp.Snapshot();
        Assert.Equal((HostBacking.Thp, "thp", 4 * (2L << 20), (512 + 3 * Frame) * Page),
            (snapshot.Backing, snapshot.BackingName, snapshot.WithoutReportingBytes, snapshot.PeakResidentBytes));
    }

    [Fact]
    public void A_reset_starts_over_from_another_layout_with_an_empty_ledger()
    {
        var host = Host(HostBacking.Thp);
        host.Touch(1024, 1);
        host.ResetResidency([(2048, 10L)]);
        Assert.Equal(Frame, host.ResidentPages);
        Assert.Equal(Frame, host.StartResidentPages);
        Assert.Equal(0, host.Ledger.HostFaults);
        Assert.Equal(new TouchOutcome(1, 0, Frame), host.Touch(1024, 1)); // not written since the reset
    }

    [Fact]
    public void A_range_outside_the_guest_or_not_in_whole_pages_is_refused()
    {
        var host = Host(HostBacking.Pages4KiB);
        Assert.Throws<ArgumentOutOfRangeException>(() => host.Touch(4090, 7));
        Assert.Throws<ArgumentOutOfRangeException>(() => host.Discard(100, Page));
        Assert.Equal(512, host.ResidentPages);
    }
}
