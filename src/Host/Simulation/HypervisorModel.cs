using System.Collections;
using PageReportingActors.Devices;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors.Host.Simulation;

/// <summary>
/// What the hypervisor sees of guest memory, and the report handler QEMU's balloon device amounts
/// to: a report takes <c>latency</c> of virtual time, then (unless this call is one that fails) its
/// ranges are discarded and stop being resident. Pages become resident when the guest writes them.
/// </summary>
public sealed class HypervisorModel : IPageReportHandler
{
    private readonly BitArray _resident;
    private readonly VirtualTimeScheduler _clock;
    private readonly DeviceModel _device;
    private int _calls;

    public HypervisorModel(IReadOnlyList<ZoneSpec> zones, DeviceModel device, VirtualTimeScheduler clock)
    {
        _device = device;
        _clock = clock;
        var end = zones.Max(z => z.StartPfn + z.Pages);
        if (end > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(zones), "guest memory beyond 8 TiB is not modeled");
        _resident = new BitArray((int)end);
        // The guest kernel's own memory (allocated at the start) is resident; free memory is not.
        foreach (var zone in zones)
            MarkResident(zone.StartPfn, zone.Pages - zone.FreePages);
    }

    /// <summary>Pages resident on the host now.</summary>
    public long ResidentPages { get; private set; }

    public long ResidentBytes => PageGeometry.BytesOfPages(ResidentPages);

    public int ReportCalls => _calls;

    /// <summary>The guest wrote to these pages: they are resident now.</summary>
    public void MarkResident(long pfn, long pages)
    {
        for (var p = pfn; p < pfn + pages; p++)
        {
            if (_resident[(int)p]) continue;
            _resident[(int)p] = true;
            ResidentPages++;
        }
    }

    public void MarkResident(Block block) => MarkResident(block.Pfn, block.Pages);

    public Task<ReportOutcome> ReportAsync(Scatterlist pages, CancellationToken cancellationToken)
    {
        var call = ++_calls;
        var fails = _device.FailReports.Contains(call) || (_device.FailEvery is { } every && every > 0 && call % every == 0);
        // Continuations run inline on the thread that completes this: the simulation's driver.
        var answer = new TaskCompletionSource<ReportOutcome>();
        _clock.ScheduleOnce(_device.Latency, () =>
        {
            if (fails)
            {
                answer.TrySetResult(ReportOutcome.Error(ReportErrors.Faulted));
                return;
            }
            foreach (var entry in pages.Entries) Discard(entry.Pfn, entry.Length >> PageGeometry.PageShift);
            answer.TrySetResult(ReportOutcome.Success);
        });
        return answer.Task;
    }

    /// <summary>madvise(DONTNEED) on a reported range: the host frees its backing.</summary>
    private void Discard(long pfn, long pages)
    {
        for (var p = pfn; p < pfn + pages; p++)
        {
            if (!_resident[(int)p]) continue;
            _resident[(int)p] = false;
            ResidentPages--;
        }
    }
}
