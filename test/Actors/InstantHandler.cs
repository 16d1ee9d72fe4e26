using PageReportingActors.Devices;
using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors.Tests.Actors;

/// <summary>A report handler that answers at once: success, or failure for the report numbers given (1-based).</summary>
public sealed class InstantHandler(params int[] failing) : IPageReportHandler
{
    private int _calls;
    public List<Scatterlist> Reports { get; } = new();

    public Task<ReportOutcome> ReportAsync(Scatterlist pages, CancellationToken cancellationToken)
    {
        var call = Interlocked.Increment(ref _calls);
        lock (Reports) Reports.Add(pages);
        return Task.FromResult(failing.Contains(call) ? ReportOutcome.Error(ReportErrors.Invalid) : ReportOutcome.Success);
    }
}
