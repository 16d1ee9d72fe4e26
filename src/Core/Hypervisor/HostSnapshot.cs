namespace PageReportingActors.Hypervisor;

/// <summary>
/// The host's view of one guest at one instant, the one record every output reads (report.json's
/// summary and <c>cost</c>, the timeline, the fleet and the sweep): resident memory, what it would
/// be without reporting, and the cost ledger priced at the unit costs.
/// </summary>
/// <param name="Backing">The host's pages under guest memory.</param>
/// <param name="HostPageBytes">Bytes of one host page: 4 KiB, 2 MiB or 1 GiB.</param>
/// <param name="DiscardInhibited">Reports were acknowledged without discarding.</param>
/// <param name="ResidentBytes">Resident on the host now.</param>
/// <param name="StartResidentBytes">Resident at the start.</param>
/// <param name="PeakResidentBytes">The most resident at once so far.</param>
/// <param name="WithoutReportingBytes">What the host would hold had no report been made.</param>
/// <param name="ReportCalls">Report calls the host acknowledged.</param>
/// <param name="Entries">Their scatterlist entries.</param>
/// <param name="DiscardedBytes">Bytes of entries the host discarded.</param>
/// <param name="IgnoredEntries">Entries acknowledged and left resident.</param>
/// <param name="IgnoredBytes">Their bytes.</param>
/// <param name="HostFaults">Host page faults of the guest's writes.</param>
/// <param name="Refaults">Faults that brought back pages written before a discard.</param>
/// <param name="RefaultBytes">Bytes those refaults made resident.</param>
/// <param name="SplitFrames">THP frames split by partial discards.</param>
/// <param name="HostCpuSeconds">Host CPU of the faults and discards at <paramref name="UnitCosts"/>.</param>
/// <param name="UnitCosts">The unit costs used.</param>
public sealed record HostSnapshot(
    HostBacking Backing,
    long HostPageBytes,
    bool DiscardInhibited,
    long ResidentBytes,
    long StartResidentBytes,
    long PeakResidentBytes,
    long WithoutReportingBytes,
    long ReportCalls,
    long Entries,
    long DiscardedBytes,
    long IgnoredEntries,
    long IgnoredBytes,
    long HostFaults,
    long Refaults,
    long RefaultBytes,
    long SplitFrames,
    double HostCpuSeconds,
    UnitCosts UnitCosts)
{
    /// <summary>The backing's scenario name (<c>4KiB</c>, <c>thp</c>, ...).</summary>
    public string BackingName => HostBackings.Name(Backing);
}
