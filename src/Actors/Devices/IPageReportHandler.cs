using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors.Devices;

/// <summary>What a report handler answers: 0 for success, else an error code.</summary>
public readonly record struct ReportOutcome(int ErrorCode)
{
    /// <summary>The report succeeded: its blocks are flagged Reported (R11).</summary>
    public static ReportOutcome Success => new(0);
    /// <summary>The report failed with <paramref name="code"/> (see <see cref="ReportErrors"/>): nothing is flagged and the pass stops (R12).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="code"/> is 0.</exception>
    public static ReportOutcome Error(int code) =>
        code == 0 ? throw new ArgumentOutOfRangeException(nameof(code), "an error code is not 0") : new(code);
    /// <summary>Whether the error code is 0.</summary>
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
    /// <summary>Handles one report: the pages are the handler's until the task completes.</summary>
    /// <param name="pages">The free ranges lent, one entry per block, the last marked as the end.</param>
    /// <param name="cancellationToken">Cancelled when the device's timeout passes; the report has failed by then.</param>
    /// <returns>Success, or the error the device answers with.</returns>
    Task<ReportOutcome> ReportAsync(Scatterlist pages, CancellationToken cancellationToken);
}
