namespace PageReportingActors.Host.Fleet;

/// <summary>
/// One guest of a fleet, advanced on its own virtual clock. The fleet's coordinator calls
/// <see cref="AdvanceTo"/> with fleet times in increasing order, one sample apart; the run answers
/// with the guest's state at that instant. A run depends only on its <see cref="GuestDefinition"/>
/// (scenario, seed, start, stop), so it may be thrown away and made again on another node and
/// answer the same.
/// </summary>
internal interface IGuestRun : IDisposable
{
    /// <summary>The guest at fleet time <paramref name="t"/>: not yet started, running, or stopped.</summary>
    GuestSample AdvanceTo(TimeSpan t);

    /// <summary>True once the last <see cref="AdvanceTo"/> reached the guest's stop.</summary>
    bool Finished { get; }

    /// <summary>The guest's totals; valid once <see cref="Finished"/>.</summary>
    GuestResult Result { get; }
}

/// <summary>
/// A guest at one sample. <c>HostResidentWithoutReportingBytes</c>: what the host would hold for
/// this guest had no report been made (every page it wrote stays resident until it stops).
/// Everything is zero while the guest is not running (before its start, after its stop).
/// </summary>
internal sealed record GuestSample(
    bool Running,
    long FreeBytes,
    long ReportedBytes,
    long HostResidentBytes,
    long HostResidentWithoutReportingBytes)
{
    public static readonly GuestSample Absent = new(false, 0, 0, 0, 0);
}

/// <summary>A guest's totals over its run: the fleet.json <c>guests</c> row without <c>node</c>.</summary>
internal sealed record GuestResult(
    int Index,
    string Scenario,
    int Reports,
    int FailedReports,
    long ReportedBytes,
    long PeakResidentBytes,
    long EndResidentBytes,
    double VirtualSeconds)
{
    /// <summary>Host page faults of the guest's writes over its run.</summary>
    public long HostFaults { get; init; }

    /// <summary>Faults that brought back pages a discard had taken.</summary>
    public long Refaults { get; init; }

    /// <summary>Bytes those refaults made resident.</summary>
    public long RefaultBytes { get; init; }

    /// <summary>Bytes of report entries the host acknowledged and left resident.</summary>
    public long IgnoredBytes { get; init; }

    /// <summary>Host CPU of the guest's faults and discards at its unit costs.</summary>
    public double HostCpuSeconds { get; init; }
}
