using Akka.Actor;
using PageReportingActors.Devices;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Hypervisor;
using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors.Host.Simulation;

/// <summary>
/// The report handler QEMU's balloon device amounts to: a report takes the device's <c>latency</c>
/// of the simulation's time, then, unless this call is one the scenario makes fail, its ranges are
/// handed to the host, which discards them as its backing says (<see cref="HostMemory.Report"/>).
/// </summary>
internal sealed class BalloonDeviceModel(DeviceModel device, HostMemory host, IScheduler clock) : IPageReportHandler
{
    private int _calls;

    public int ReportCalls => _calls;

    /// <summary>Whether the scenario's failure schedule fails report call <paramref name="call"/> (1-based).</summary>
    public bool Fails(int call) =>
        device.FailReports.Contains(call) || (device.FailEvery is { } every && every > 0 && call % every == 0);

    public Task<ReportOutcome> ReportAsync(Scatterlist pages, CancellationToken cancellationToken)
    {
        var fails = Fails(++_calls);
        // Continuations run inline on the thread that completes this: the simulation's driver.
        var answer = new TaskCompletionSource<ReportOutcome>();
        clock.Advanced.ScheduleOnce(device.Latency, () =>
        {
            if (fails)
            {
                answer.TrySetResult(ReportOutcome.Error(ReportErrors.Faulted));
                return;
            }
            host.Report(pages.Entries);
            answer.TrySetResult(ReportOutcome.Success);
        });
        return answer.Task;
    }
}
