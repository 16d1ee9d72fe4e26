namespace PageReportingActors.Host.Fleet;

/// <summary>One fleet.json <c>timeline</c> row: the guests running at <c>T</c> and what the host holds for them.</summary>
internal sealed record FleetTimelineRow(
    double T,
    int Guests,
    long FreeBytes,
    long ReportedBytes,
    long HostResidentBytes,
    long HostResidentWithoutReportingBytes);

/// <summary>One fleet.json <c>guests</c> row.</summary>
internal sealed record FleetGuestRow(GuestResult Result, string Node);

internal sealed record FleetSummary(
    long PeakHostResidentBytes,
    long PeakWithoutReportingBytes,
    long ReturnedBytes,
    long GuestMemoryBytes,
    double? OvercommitRatio,
    bool? Fits,
    double GuestSeconds,
    double WallSeconds)
{
    /// <summary>The guests' host faults, summed.</summary>
    public long HostFaults { get; init; }

    /// <summary>The guests' refaults, summed.</summary>
    public long Refaults { get; init; }

    /// <summary>Bytes those refaults made resident, summed.</summary>
    public long RefaultBytes { get; init; }

    /// <summary>Host CPU of every guest's faults and discards.</summary>
    public double HostCpuSeconds { get; init; }
}

/// <summary>Everything a fleet run produced; the writers turn it into fleet.json, fleet-timeline.csv and fleet.png.</summary>
internal sealed record FleetResult(
    string Fleet,
    int Seed,
    int Nodes,
    long? HostMemoryBytes,
    IReadOnlyList<FleetGuestRow> Guests,
    IReadOnlyList<FleetTimelineRow> Timeline,
    FleetSummary Summary);

/// <summary>The fleet's sums, as plain arithmetic over the guests' samples and totals.</summary>
internal static class FleetAggregate
{
    public static FleetTimelineRow Row(TimeSpan t, IEnumerable<GuestSample> samples)
    {
        int guests = 0;
        long free = 0, reported = 0, resident = 0, without = 0;
        foreach (var s in samples)
        {
            if (!s.Running) continue;
            guests++;
            free += s.FreeBytes;
            reported += s.ReportedBytes;
            resident += s.HostResidentBytes;
            without += s.HostResidentWithoutReportingBytes;
        }
        return new FleetTimelineRow(t.TotalSeconds, guests, free, reported, resident, without);
    }

    /// <param name="guestMemoryBytes">Each guest's memory.</param>
    /// <param name="guestSeconds">Virtual seconds each guest ran.</param>
    public static FleetSummary Summarize(
        IReadOnlyList<FleetTimelineRow> timeline,
        IEnumerable<long> guestMemoryBytes,
        IEnumerable<double> guestSeconds,
        long? hostMemoryBytes,
        double wallSeconds)
    {
        var peak = timeline.Count == 0 ? 0 : timeline.Max(r => r.HostResidentBytes);
        var peakWithout = timeline.Count == 0 ? 0 : timeline.Max(r => r.HostResidentWithoutReportingBytes);
        var memory = guestMemoryBytes.Sum();
        double? ratio = hostMemoryBytes is { } host ? (double)memory / host : null;
        bool? fits = hostMemoryBytes is { } h ? peak <= h : null;
        return new FleetSummary(peak, peakWithout, peakWithout - peak, memory, ratio, fits,
            guestSeconds.Sum(), wallSeconds);
    }
}
