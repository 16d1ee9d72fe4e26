namespace PageReportingActors.Replay;

/// <summary>The five kmem events a replay understands, in the order report counts list them.</summary>
internal enum TraceEventKind : byte
{
    /// <summary><c>mm_page_alloc</c>: a block handed to its user.</summary>
    Alloc,
    /// <summary><c>mm_page_free</c>: a block given back by its user.</summary>
    Free,
    /// <summary><c>mm_page_free_batched</c>: the second trace of a page freed in a batch.</summary>
    FreeBatched,
    /// <summary><c>mm_page_pcpu_drain</c>: a block leaving a per-CPU list for the buddy lists.</summary>
    PcpuDrain,
    /// <summary><c>mm_page_alloc_zone_locked</c>: a block taken from the buddy lists.</summary>
    AllocZoneLocked,
}

/// <summary>
/// One kmem event of a trace. <see cref="Migratetype"/> is -1 where the event has none
/// (<c>mm_page_free</c>, <c>mm_page_free_batched</c>).
/// </summary>
internal readonly record struct TraceEvent(
    TraceEventKind Kind,
    long TimestampNanos,
    int Cpu,
    long Pfn,
    int Order,
    int Migratetype,
    bool PercpuRefill,
    long Line)
{
    /// <summary>The timestamp in seconds of guest uptime.</summary>
    public double Seconds => TimestampNanos / 1e9;

    /// <summary>The tracepoint's name in ftrace's output, such as <c>mm_page_alloc</c>.</summary>
    public static string NameOf(TraceEventKind kind) => kind switch
    {
        TraceEventKind.Alloc => "mm_page_alloc",
        TraceEventKind.Free => "mm_page_free",
        TraceEventKind.FreeBatched => "mm_page_free_batched",
        TraceEventKind.PcpuDrain => "mm_page_pcpu_drain",
        TraceEventKind.AllocZoneLocked => "mm_page_alloc_zone_locked",
        _ => kind.ToString(),
    };

    /// <summary>Number of <see cref="TraceEventKind"/> values.</summary>
    public const int KindCount = 5;
}
