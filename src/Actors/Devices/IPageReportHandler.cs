using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors.Devices;

/// <summary>What a report handler answers: 0 for success, else an error code.</summary>
public readonly record struct ReportOutcome(int ErrorCode)
{
    public static ReportOutcome Success => new(0);
    public static ReportOutcome Error(int code) =>
        code == 0 ? throw new ArgumentOutOfRangeException(nameof(code), "an error code is not 0") : new(code);
    public bool Succeeded => ErrorCode == 0;
}

/// <summary>
/// The embedding application's side of a reporting device (the balloon driver's report callback):
/// told which free ranges the guest lends it, it does its work and answers. Until it answers, the
/// pages are its own (R16). It runs one report at a time. If it throws, or does not answer within
/// the device's timeout, the report failed (R12); the token is cancelled on timeout.
/// </summary>
public interface IPageReportHandler
{
    Task<ReportOutcome> ReportAsync(Scatterlist pages, CancellationToken cancellationToken);
}
