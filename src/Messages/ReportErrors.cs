// The pass logic fails reports with these codes, so they live with it; the namespace is the protocol's,
// where a device's author looks for them.
namespace PageReportingActors.Messages;

/// <summary>Error codes a device answers with, after the kernel's errno values.</summary>
public static class ReportErrors
{
    /// <summary>The device is busy (EBUSY).</summary>
    public const int Busy = 16;      // EBUSY
    /// <summary>The device found the report invalid (EINVAL).</summary>
    public const int Invalid = 22;   // EINVAL
    /// <summary>The device did not answer within the report timeout (ETIMEDOUT).</summary>
    public const int TimedOut = 110; // ETIMEDOUT
    /// <summary>The device's handler threw (EIO).</summary>
    public const int Faulted = 5;    // EIO: the handler threw
    /// <summary>The device stopped while the report was out (ENODEV).</summary>
    public const int Gone = 19;      // ENODEV: the device stopped
}
