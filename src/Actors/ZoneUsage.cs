using PageReportingActors.Allocator;
using PageReportingActors.Memory;

namespace PageReportingActors;

/// <summary>
/// One zone's page counts, published by its zone actor after every message so that code outside the
/// actor (a metrics exporter's thread) can read them without asking. Each count is read atomically;
/// a read during an update may mix two consecutive states, which a gauge tolerates.
/// </summary>
public sealed class ZoneUsage(string zone)
{
    private long _freePages;
    private long _reportedPages;
    private long _isolatedPages;
    private long _perCpuPages;

    /// <summary>The zone's name.</summary>
    public string Zone { get; } = zone;

    /// <summary>Pages free on the buddy lists and not flagged Reported.</summary>
    public long FreePages => Volatile.Read(ref _freePages);

    /// <summary>Pages free on the buddy lists and flagged Reported (the host may have taken them back).</summary>
    public long ReportedPages => Volatile.Read(ref _reportedPages);

    /// <summary>Pages isolated from the lists and lent to the device for a report.</summary>
    public long IsolatedPages => Volatile.Read(ref _isolatedPages);

    /// <summary>Pages held on per-CPU lists (R21); 0 in a zone that keeps none.</summary>
    public long PerCpuPages => Volatile.Read(ref _perCpuPages);

    /// <summary>Bytes in the given state; the states partition the zone's memory that is not allocated.</summary>
    public long Bytes(ZoneUsageState state) => PageGeometry.PageSize * state switch
    {
        ZoneUsageState.Free => FreePages,
        ZoneUsageState.Reported => ReportedPages,
        ZoneUsageState.Isolated => IsolatedPages,
        ZoneUsageState.PerCpu => PerCpuPages,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "not a usage state"),
    };

    /// <summary>Copies the counts of the zone's allocator; called by the zone actor only.</summary>
    internal void Update(ZoneFreeArea area)
    {
        Volatile.Write(ref _freePages, area.FreePages - area.ReportedPages);
        Volatile.Write(ref _reportedPages, area.ReportedPages);
        Volatile.Write(ref _isolatedPages, area.IsolatedPages);
        Volatile.Write(ref _perCpuPages, area.PerCpuPages);
    }
}

/// <summary>The states of <see cref="ZoneUsage"/>, the <c>state</c> tag of <c>page_reporting.memory.usage</c>.</summary>
public enum ZoneUsageState
{
    /// <summary>Free on the buddy lists, not reported.</summary>
    Free,
    /// <summary>Free on the buddy lists, reported.</summary>
    Reported,
    /// <summary>Lent to the device.</summary>
    Isolated,
    /// <summary>On per-CPU lists.</summary>
    PerCpu,
}
