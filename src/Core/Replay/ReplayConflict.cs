namespace PageReportingActors.Replay;

/// <summary>How a trace event contradicted the model's state. The event is applied as the truth all the same.</summary>
internal enum ReplayConflictKind
{
    /// <summary><c>mm_page_alloc_zone_locked</c> took from the buddy lists a block the model does not hold free there.</summary>
    TakenNotFree,
    /// <summary><c>mm_page_alloc</c> handed out a block the model holds free in the buddy lists (no event took it off them).</summary>
    AllocatedWhileFree,
    /// <summary><c>mm_page_alloc</c> handed out a block that already has a user.</summary>
    AllocatedTwice,
    /// <summary>A free of a block the model holds free (on the buddy lists or a per-CPU list).</summary>
    FreedWhileFree,
    /// <summary><c>mm_page_pcpu_drain</c> of a block on no per-CPU list.</summary>
    DrainedNotOnList,
    /// <summary><c>mm_page_free_batched</c> of a block its user still held (no <c>mm_page_free</c> before it).</summary>
    BatchedWithoutFree,
    /// <summary>The event's block cuts across the model's blocks (other boundaries or order).</summary>
    BlockMismatch,
    /// <summary>The event touched a block lent to the device; it waited until the batch came back.</summary>
    HeldByDevice,
    /// <summary>
    /// The event found on a per-CPU list, or took off the buddy lists, memory the starting layout
    /// has in use: a snapshot does not flag per-CPU pages, and the guest kept running while it was read.
    /// </summary>
    InUseAtStart,
    /// <summary>The event touched pages the allocator does not manage; it was skipped.</summary>
    Reserved,
}

/// <summary>One contradiction, kept as an example: the event and what the model held.</summary>
internal sealed record ReplayConflict(
    ReplayConflictKind Kind,
    TraceEventKind Event,
    long Line,
    double Seconds,
    long Pfn,
    int Order,
    string Model);
