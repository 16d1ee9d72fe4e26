using PageReportingActors.Memory;
namespace PageReportingActors.Messages;

/// <summary>Messages between the reporter and a device actor.</summary>
public interface IDeviceProtocol { }

/// <summary>R16: the device may use these pages until it answers.</summary>
public sealed record ReportPages(long ReportId, Scatterlist Pages) : IDeviceProtocol;

/// <summary>The device's answer. <c>ErrorCode</c> is 0 on success.</summary>
public sealed record ReportCompleted(long ReportId, bool Success, int ErrorCode, string? Detail) : IDeviceProtocol
{
    public static ReportCompleted Ok(long reportId) => new(reportId, true, 0, null);
    public static ReportCompleted Failed(long reportId, int errorCode, string detail) => new(reportId, false, errorCode, detail);
}
