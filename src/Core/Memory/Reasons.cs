namespace PageReportingActors.Memory;

/// <summary>Why an allocation could not be met.</summary>
public enum AllocationFailureReason
{
    /// <summary>The order is outside 0..10.</summary>
    InvalidOrder,
    /// <summary>Isolate is not a migratetype one can allocate from.</summary>
    InvalidMigratetype,
    /// <summary>No free block of the order or larger.</summary>
    OutOfMemory,
    /// <summary>A block exists, but taking it would leave the zone at or below the requested watermark.</summary>
    BelowWatermark,
    /// <summary>The CPU is not one of the zone's.</summary>
    InvalidCpu,
}

/// <summary>Why a free was refused. A refused free changes nothing.</summary>
public enum FreeRejectionReason
{
    /// <summary>The order is outside 0..10.</summary>
    InvalidOrder,
    /// <summary>The block does not lie inside the zone.</summary>
    OutsideZone,
    /// <summary>The pfn is not a multiple of 2^order.</summary>
    Misaligned,
    /// <summary>The pfn is not the start of an allocated block (it lies inside one, or inside a free block).</summary>
    NotAllocated,
    /// <summary>The block is free already (on a buddy or per-CPU list): a double free.</summary>
    AlreadyFree,
    /// <summary>The block is lent to the device (R4).</summary>
    Isolated,
    /// <summary>The block is not managed by the allocator.</summary>
    Reserved,
    /// <summary>An allocated block starts there, but of another order.</summary>
    OrderMismatch,
    /// <summary>The CPU is not one of the zone's.</summary>
    InvalidCpu,
}

/// <summary>Which watermark an allocation must leave the zone above.</summary>
public enum WatermarkLevel
{
    /// <summary>No floor: any free block may be taken.</summary>
    None,
    /// <summary>Free pages must stay above the min watermark.</summary>
    Min,
    /// <summary>Free pages must stay above the low watermark.</summary>
    Low,
    /// <summary>Free pages must stay above the high watermark.</summary>
    High,
}
