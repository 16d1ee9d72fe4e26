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
    InvalidOrder,
    OutsideZone,
    Misaligned,
    NotAllocated,
    AlreadyFree,
    Isolated,
    Reserved,
    OrderMismatch,
    /// <summary>The CPU is not one of the zone's.</summary>
    InvalidCpu,
}

/// <summary>Which watermark an allocation must leave the zone above.</summary>
public enum WatermarkLevel
{
    None,
    Min,
    Low,
    High,
}
