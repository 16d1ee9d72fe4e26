using PageReportingActors.Allocator;
using PageReportingActors.Guest;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using Xunit;

namespace PageReportingActors.Tests.Plain;

public class KernelNumbersPlainTests
{
    [Fact]
    public void R9_idle_64GiB_guest_is_fully_reported_in_16_passes()
    {
        var zones = X86GuestLayout.ForMemory(64L << 30).Select(z => new ZoneFreeArea(z)).ToList();
        var settings = new PassSettings(9, 32);
        var passes = 0;
        PassOutcome outcome;
        do
        {
            outcome = PassRunner.RunPass(zones, settings, (_, _) => true);
            passes++;
        } while (outcome.RequestAnotherPass && passes < 100);

        Assert.Equal(16, passes);
        foreach (var zone in zones.Where(z => ZoneReportingWalk.GateIsOpen(z, settings)))
        {
            for (var order = 9; order <= 10; order++)
                foreach (var pfn in Enum.GetValues<Migratetype>().Where(t => t != Migratetype.Isolate).SelectMany(t => zone.ListBlocks(order, t)))
                    Assert.True(zone.IsReported(pfn), $"{zone.Name} pfn {pfn} order {order} not reported");
            Assert.Null(zone.CheckInvariants());
        }
    }
}
