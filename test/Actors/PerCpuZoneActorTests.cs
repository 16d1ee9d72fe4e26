using System.Collections.Immutable;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Actors;

/// <summary>R21-R23 through the actors: per-CPU frees by CPU, the 6.12 tick, the 6.1 registration rule.</summary>
public sealed class PerCpuZoneActorTests(ITestOutputHelper output) : ActorTestBase(output)
{
    private static readonly PageReportingSettings Cap4 = PageReportingSettings.Default with { Capacity = 4 };

    /// <summary>A 64 MiB zone, all free, following <paramref name="profile"/> with <paramref name="sizing"/> on <paramref name="cpus"/> CPUs.</summary>
    private static ZoneSpec KernelZone(KernelProfile profile, PerCpuSizing sizing, int cpus = 1) =>
        SmallZone(pages: 16384) with { Kernel = new ZoneKernelSpec(profile, cpus, sizing) };

    [Fact]
    public void R21_a_free_goes_to_the_per_CPU_list_of_the_CPU_it_names_and_the_status_counts_it()
    {
        var guest = StartGuest([KernelZone(KernelProfile.Linux6_12, new PerCpuSizing(4, 64, 64, 64), cpus: 2)], Cap4);
        var zone = guest.Zones[0];
        var many = AskFor<AllocatedMany>(zone, new AllocateMany(0, 10, Cpu: 1));
        Assert.Equal(10, many.Blocks.Length);
        var before = Status(zone);
        AskFor<FreedMany>(zone, new FreeMany(many.Blocks, Cpu: 1));
        var after = Status(zone);
        // The pages the refill left on CPU 1's list, plus the ten freed: none reached the buddy lists.
        Assert.Equal(before.PerCpuPages + 10, after.PerCpuPages);
        Assert.Equal(before.FreePages, after.FreePages);
        // CPU 2 does not exist on this zone.
        var refused = AskFor<FreeRejected>(zone, new Free(many.Blocks[0].Pfn, 0, Cpu: 2));
        Assert.Equal(FreeRejectionReason.AlreadyFree, refused.Reason);
        var failed = AskFor<AllocationFailed>(zone, new Allocate(0, Cpu: 2));
        Assert.Equal(AllocationFailureReason.InvalidCpu, failed.Reason);
        AssertInvariants(guest);
    }

    [Fact]
    public void R21_on_6_12_the_once_a_second_tick_decays_high_and_a_flush_that_merges_to_the_order_requests_a_pass()
    {
        var guest = StartGuest([KernelZone(KernelProfile.Linux6_12, new PerCpuSizing(63, 64, 2048, 64))], Cap4);
        var zone = guest.Zones[0];
        var device = CreateTestProbe();
        Assert.Equal(PageGeometry.PageblockOrder, Register(guest, device.Ref));
        DrainPasses(guest, device);

        // The even pages first, then the odd ones: what the frees push back to the buddy lists (the
        // oldest, even pages) cannot merge, so no free notifies; the odd pages wait on the list.
        var blocks = AskFor<AllocatedMany>(zone, new AllocateMany(0, 1024)).Blocks.OrderBy(b => b.Pfn).ToList();
        var evenFirst = blocks.Where((_, i) => i % 2 == 0).Concat(blocks.Where((_, i) => i % 2 == 1)).ToImmutableArray();
        AskFor<FreedMany>(zone, new FreeMany(evenFirst));
        var held = Status(zone).PerCpuPages;
        Assert.True(held > 256, $"{held} pages on the per-CPU list");
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);

        var ticks = 0;
        while (Status(zone).PerCpuPages > 64 && ticks < 60)
        {
            Clock.Advance(TimeSpan.FromSeconds(1));
            ticks++;
        }
        // high falls by an eighth a tick (at most one flush band below the count), so it reaches 64 within 30 ticks.
        Assert.InRange(ticks, 2, 30);
        Assert.InRange(Status(zone).PerCpuPages, 0, 64);
        // The odd pages that went back completed a pageblock: the reporter was asked for a pass (R5),
        // which may have started by now.
        Assert.NotEqual(ReporterState.Idle, Reporter(guest).State);
        Assert.True(Status(zone).NrFree[PageGeometry.PageblockOrder] + Status(zone).NrFree[PageGeometry.MaxOrder] > 0);
        AssertInvariants(guest);
    }

    [Fact]
    public void R21_on_6_1_there_is_no_tick_and_the_list_stays_until_it_reaches_high()
    {
        var guest = StartGuest([KernelZone(KernelProfile.Linux6_1, new PerCpuSizing(4, 1024, 1024, 1024))], Cap4);
        var zone = guest.Zones[0];
        var blocks = AskFor<AllocatedMany>(zone, new AllocateMany(0, 512)).Blocks;
        AskFor<FreedMany>(zone, new FreeMany(blocks));
        var held = Status(zone).PerCpuPages;
        Assert.True(held >= 512, $"{held} pages on the list");
        for (var i = 0; i < 5; i++) Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(held, Status(zone).PerCpuPages);
    }

    [Theory]
    [InlineData("6.1", 5, null, 9)]
    [InlineData("6.1", 5, 7, 7)]
    [InlineData("6.12", 5, 7, 5)]
    [InlineData("6.12", null, null, 9)]
    public void R23_on_6_1_registration_overwrites_a_configured_order(string kernel, int? configured, int? deviceOrder, int expected)
    {
        var profile = KernelProfile.Parse(kernel);
        // The registry takes the zones' kernel when the settings name none.
        var guest = StartGuest([KernelZone(profile, profile.SizePerCpuLists(16384, 32, 1))], Cap4 with { ReportingOrder = configured });
        Assert.Equal(expected, Register(guest, CreateTestProbe().Ref, deviceOrder));
        Assert.Equal(expected, Status(guest.Zones[0]).NotifyOrder);
    }

    [Fact]
    public void R23_the_settings_kernel_decides_even_for_zones_without_one()
    {
        var guest = StartGuest([SmallZone(pages: 16384)], Cap4 with { ReportingOrder = 5, Kernel = KernelProfile.Linux6_1 });
        Assert.Equal(PageGeometry.PageblockOrder, Register(guest, CreateTestProbe().Ref));
    }

    [Fact]
    public void A_negative_reserve_is_refused_and_a_reserve_raises_the_watermark()
    {
        var guest = StartGuest([KernelZone(KernelProfile.Linux6_12, new PerCpuSizing(4, 64, 64, 64))], Cap4);
        var zone = guest.Zones[0];
        Assert.Contains("reserve -1 is negative", AskFor<AllocationFailed>(zone, new Allocate(0, Reserve: -1)).Detail);
        // 16384 free pages: above low (32) but not above low + a reserve of the whole zone.
        Assert.Equal(AllocationFailureReason.BelowWatermark,
            AskFor<AllocationFailed>(zone, new Allocate(0, Floor: WatermarkLevel.Low, Reserve: 16384)).Reason);
        AskFor<Allocated>(zone, new Allocate(0, Floor: WatermarkLevel.Low, Reserve: 100));
    }
}
