using System.Runtime.InteropServices;
using PageReportingActors.Devices;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Faults;

/// <summary>A handler that writes its own addresses into the array behind the scatterlist it was lent, then succeeds.</summary>
internal sealed class RewritingHandler : IPageReportHandler
{
    public Task<ReportOutcome> ReportAsync(Scatterlist pages, CancellationToken cancellationToken)
    {
        var entries = ImmutableCollectionsMarshal.AsArray(pages.Entries)!;
        for (var i = 0; i < entries.Length; i++) entries[i] = entries[i] with { Address = 0, Length = 4096 };
        return Task.FromResult(ReportOutcome.Success);
    }
}

/// <summary>Whatever a device does with what it was lent, the zone gets back exactly the blocks it isolated.</summary>
public class StrandedBatchTests(ITestOutputHelper output) : FaultTestBase(output)
{
    [Fact]
    public void R11_a_device_that_rewrites_its_scatterlist_strands_nothing_the_zone_gets_its_blocks_back_flagged()
    {
        var device = DeviceActor(new RewritingHandler());
        var (guest, events) = Registered(device);
        var zone = guest.Zones[0];
        Advance(guest, Delay);
        var (reports, pass) = CollectPass(events);

        // Capacity 4, 16 free order-10 blocks, budget 1: two full reports, both acknowledged and drained.
        Assert.False(pass.Failed);
        Assert.Equal(2, reports.Count);
        Assert.All(reports, r => Assert.True(r.Success));
        var status = Status(zone);
        Assert.Equal(0, status.IsolatedPages);
        Assert.Equal(2 * 4 * 1024, status.ReportedPages);
        Assert.Equal(16384, status.FreePages);
        Assert.False(status.WalkInProgress);
        AssertInvariants(guest);
    }
}
