using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace PageReportingActors;

/// <summary>
/// The process's one <c>PageReportingActors</c> meter and its instruments, shared by every guest (a
/// listener that binds to an instrument then sees all guests, told apart by the <c>guest</c> tag).
/// The usage gauge reads the zones of the guests whose metrics actors are running.
/// </summary>
internal static class PageReportingInstruments
{
    private static readonly ZoneUsageState[] States = Enum.GetValues<ZoneUsageState>();
    private static readonly ConcurrentDictionary<object, (string Guest, IReadOnlyList<ZoneUsage> Zones)> Guests = new();
    private static readonly ConcurrentDictionary<object, (string Guest, Hypervisor.CostLedger Ledger)> Hosts = new();

    public static readonly Meter Meter = new(PageReportingMetrics.MeterName, typeof(PageReportingInstruments).Assembly.GetName().Version?.ToString());

    public static readonly Counter<long> Reports =
        Meter.CreateCounter<long>(PageReportingMetrics.Reports, "{report}", "Reports the device answered or that failed");
    public static readonly Counter<long> ReportsFailed =
        Meter.CreateCounter<long>(PageReportingMetrics.ReportsFailed, "{report}", "Reports that failed; their blocks went back unflagged");
    public static readonly Counter<long> MemoryReported =
        Meter.CreateCounter<long>(PageReportingMetrics.MemoryReported, "By", "Bytes of successful reports");
    public static readonly Counter<long> Passes =
        Meter.CreateCounter<long>(PageReportingMetrics.Passes, "{pass}", "Reporting passes finished");
    public static readonly Histogram<double> PassDuration =
        Meter.CreateHistogram<double>(PageReportingMetrics.PassDuration, "s", "Duration of a pass on the actor system's scheduler clock");
    public static readonly Histogram<int> ReportEntries =
        Meter.CreateHistogram<int>(PageReportingMetrics.ReportEntries, "{block}", "Blocks in one report");
    public static readonly ObservableGauge<long> MemoryUsage =
        Meter.CreateObservableGauge(PageReportingMetrics.MemoryUsage, Usage, "By",
            "Memory of a zone that is not allocated, by state: free, reported, isolated, pcp");

    // Observed, not added to: the ledger already counts, and a fault costs no more than its bit flip.
    public static readonly ObservableCounter<long> HostFaults =
        Meter.CreateObservableCounter(PageReportingMetrics.HostFaults, () => Host(l => l.HostFaults), "{fault}",
            "Host page faults of the guest's writes");
    public static readonly ObservableCounter<long> HostRefaults =
        Meter.CreateObservableCounter(PageReportingMetrics.HostRefaults, () => Host(l => l.Refaults), "{fault}",
            "Host faults that brought back pages a discard had taken");
    public static readonly ObservableCounter<long> HostIgnored =
        Meter.CreateObservableCounter(PageReportingMetrics.HostIgnored, () => Host(l => l.IgnoredEntries), "{entry}",
            "Report entries the host acknowledged and left resident");

    public static void AddHost(object owner, string guest, Hypervisor.CostLedger ledger) => Hosts[owner] = (guest, ledger);

    public static void RemoveHost(object owner) => Hosts.TryRemove(owner, out _);

    private static IEnumerable<Measurement<long>> Host(Func<Hypervisor.CostLedger, long> read)
    {
        foreach (var (guest, ledger) in Hosts.Values)
            yield return new Measurement<long>(read(ledger), new KeyValuePair<string, object?>(PageReportingMetrics.GuestTag, guest));
    }

    /// <summary>Adds a guest's zones to the gauge until <see cref="RemoveGuest"/> with the same owner.</summary>
    public static void AddGuest(object owner, string guest, IReadOnlyList<ZoneUsage> zones) => Guests[owner] = (guest, zones);

    public static void RemoveGuest(object owner) => Guests.TryRemove(owner, out _);

    private static IEnumerable<Measurement<long>> Usage()
    {
        foreach (var (guest, zones) in Guests.Values)
            foreach (var zone in zones)
                foreach (var state in States)
                    yield return new Measurement<long>(zone.Bytes(state),
                        new KeyValuePair<string, object?>(PageReportingMetrics.GuestTag, guest),
                        new KeyValuePair<string, object?>(PageReportingMetrics.ZoneTag, zone.Zone),
                        new KeyValuePair<string, object?>(PageReportingMetrics.StateTag, PageReportingMetrics.StateName(state)));
    }
}
