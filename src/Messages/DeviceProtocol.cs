using PageReportingActors.Memory;
namespace PageReportingActors.Messages;

/// <summary>Messages between the reporter and a device actor.</summary>
public interface IDeviceProtocol { }

/// <summary>R16: the device may use these pages until it answers.</summary>
public sealed record ReportPages(long ReportId, Scatterlist Pages) : IDeviceProtocol;

/// <summary>The device's answer. <c>ErrorCode</c> is 0 on success.</summary>
public sealed record ReportCompleted(long ReportId, bool Success, int ErrorCode, string? Detail) : IDeviceProtocol
{
    /// <summary>The answer to a report the device took: its blocks may be flagged Reported (R11).</summary>
    /// <param name="reportId">The <see cref="ReportPages.ReportId"/> being answered.</param>
    public static ReportCompleted Ok(long reportId) => new(reportId, true, 0, null);
    /// <summary>The answer to a report the device could not take: nothing is flagged and the pass stops (R12).</summary>
    /// <param name="reportId">The <see cref="ReportPages.ReportId"/> being answered.</param>
    /// <param name="errorCode">The device's error, not 0.</param>
    /// <param name="detail">What went wrong, for the log.</param>
    public static ReportCompleted Failed(long reportId, int errorCode, string detail) => new(reportId, false, errorCode, detail);
}
