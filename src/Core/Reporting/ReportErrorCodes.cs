namespace PageReportingActors.Reporting;

/// <summary>
/// The codes the pass logic fails a report with itself, after the kernel's errno values. The protocol
/// publishes them, with the ones a device answers with, as <c>PageReportingActors.Messages.ReportErrors</c>.
/// </summary>
internal static class ReportErrorCodes
{
    public const int Busy = 16;      // EBUSY
    public const int Invalid = 22;   // EINVAL
    public const int TimedOut = 110; // ETIMEDOUT
    public const int Faulted = 5;    // EIO: the handler threw
    public const int Gone = 19;      // ENODEV: the device stopped
}
