using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors.Host.Simulation;

/// <summary>One timeline row of the guest's and the host's view, asked of the zones at the current virtual time.</summary>
internal static class TimelineSampler
{
    public static TimelineRow Sample(SimulatedGuest guest)
    {
        ArgumentNullException.ThrowIfNull(guest);
        long free = 0, reported = 0, isolated = 0, pcp = 0;
        var host = guest.Hypervisor.Snapshot();
        foreach (var zone in guest.Actors.Zones)
        {
            var status = guest.Ask<ZoneStatus>(zone, GetZoneStatus.Instance);
            free += status.FreePages;
            reported += status.ReportedPages;
            isolated += status.IsolatedPages;
            pcp += status.PerCpuPages;
        }
        return new TimelineRow(guest.Now.TotalSeconds, PageGeometry.BytesOfPages(free), PageGeometry.BytesOfPages(reported),
            PageGeometry.BytesOfPages(isolated), host.ResidentBytes)
        {
            PcpBytes = PageGeometry.BytesOfPages(pcp),
            Host = host,
        };
    }
}
