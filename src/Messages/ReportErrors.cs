using PageReportingActors.Reporting;

namespace PageReportingActors.Messages;

/// <summary>Error codes a device answers with, after the kernel's errno values.</summary>
public static class ReportErrors
{
    /// <summary>The device is busy (EBUSY).</summary>
    public const int Busy = ReportErrorCodes.Busy;
    /// <summary>The device found the report invalid (EINVAL).</summary>
    public const int Invalid = ReportErrorCodes.Invalid;
    /// <summary>The device did not answer within the report timeout (ETIMEDOUT).</summary>
    public const int TimedOut = ReportErrorCodes.TimedOut;
    /// <summary>The device's handler threw (EIO).</summary>
    public const int Faulted = ReportErrorCodes.Faulted;
    /// <summary>The device stopped while the report was out (ENODEV).</summary>
    public const int Gone = ReportErrorCodes.Gone;
}
