using PageReportingActors.Allocator;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using Xunit;

namespace PageReportingActors.Tests.Plain;

/// <summary>
/// The measured QEMU guest (reference/qemu-1g-free512): 1 GiB, touches 512 MiB and frees it at once.
/// The host gets about 256 MiB back per pass, two passes in a row, because the budget allows two full
/// reports of 32 order-10 blocks per pass (R9).
/// </summary>
public class QemuReferencePlainTests
{
    private static readonly PassSettings Settings = new(9, 32);

    /// <summary>The zones from the reference scenario.json (DMA and DMA32 of the 1 GiB guest).</summary>
    private static ZoneFreeArea[] ReferenceZones() =>
    [
        new(new ZoneSpec("DMA", 0, 4096, 3808, new Watermarks(178, 222, 266))),
        new(new ZoneSpec("DMA32", 4096, 258016, 231892, new Watermarks(11085, 13856, 16627))),
    ];

    [Fact]
    public void R9_freeing_512MiB_comes_back_about_256MiB_per_pass_two_full_reports_each()
    {
        var zones = ReferenceZones();
        var dma32 = zones[1];
        var settle = 0;
        PassOutcome outcome;
        do
        {
            outcome = PassRunner.RunPass(zones, Settings, (_, _) => true);
            settle++;
        } while (outcome.RequestAnotherPass && settle < 50);
        Assert.False(outcome.RequestAnotherPass);
        Assert.Empty(PassRunner.RunPass(zones, Settings, (_, _) => true).Reports);

        var hog = new List<long>(131072);
        for (var i = 0; i < 131072; i++)
        {
            var result = dma32.Allocate(0, Migratetype.Movable);
            Assert.True(result.Succeeded, $"allocation {i}: {result.Failure}");
            hog.Add(result.Block.Pfn);
        }
        foreach (var pfn in hog)
            Assert.True(dma32.Free(pfn, 0).Succeeded);
        Assert.Null(dma32.CheckInvariants());

        var first = PassRunner.RunPass(zones, Settings, (_, _) => true);
        var second = PassRunner.RunPass(zones, Settings, (_, _) => true);
        var third = PassRunner.RunPass(zones, Settings, (_, _) => true);

        // DMA stays below its gate (3808 <= 222 + 16384); DMA32 spends a budget of 1 (225 order-10 blocks)
        // on two full reports per pass. The hog first used up the small Movable blocks at DMA32's end
        // (R1: smallest order first), so the order-9 block at 261120 lost its flag and leads the first report.
        Assert.Equal(2, first.Reports.Count);
        Assert.All(first.Reports, r => Assert.Equal(("DMA32", 32, false), (r.Zone, r.Blocks.Count, r.IsLeftover)));
        Assert.Equal(new Block(261120, 9), first.Reports[0].Blocks[0]);
        Assert.All(first.Reports.SelectMany(r => r.Blocks).Skip(1), b => Assert.Equal(10, b.Order));
        Assert.Equal(254L << 20, first.ReportedBytes);
        Assert.True(first.RequestAnotherPass);

        Assert.Equal(2, second.Reports.Count);
        Assert.All(second.Reports.SelectMany(r => r.Blocks), b => Assert.Equal(10, b.Order));
        Assert.Equal(256L << 20, second.ReportedBytes);
        // 128 order-10 blocks came back unreported: 63 went in the first pass, 64 in the second, one is left.
        Assert.True(second.RequestAnotherPass);
        Assert.Equal(4L << 20, third.ReportedBytes);
        Assert.False(third.RequestAnotherPass);
    }
}
