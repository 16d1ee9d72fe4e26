// The pass logic fails reports with these codes, so they live with it; the namespace is the protocol's,
// where a device's author looks for them.
namespace PageReportingActors.Messages;

/// <summary>Error codes a device answers with, after the kernel's errno values.</summary>
public static class ReportErrors
{
    public const int Busy = 16;      // EBUSY
    public const int Invalid = 22;   // EINVAL
    public const int TimedOut = 110; // ETIMEDOUT
    public const int Faulted = 5;    // EIO: the handler threw
    public const int Gone = 19;      // ENODEV: the device stopped
}
