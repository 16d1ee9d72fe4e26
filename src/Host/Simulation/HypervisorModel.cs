using System.Collections;
using PageReportingActors.Memory;

namespace PageReportingActors.Host.Simulation;

/// <summary>
/// What the hypervisor sees of guest memory: per guest page, whether it is resident on the host.
/// Pages become resident when the guest writes them and stop being resident when a report
/// discards them. Whether and when a report succeeds is the device's business
/// (<see cref="BalloonDeviceModel"/>), not this model's. Beside residency it keeps whether the
/// guest ever wrote a page: had no report been made, every such page would still be resident
/// (<see cref="WrittenPages"/>), so one run gives both views.
/// </summary>
public sealed class HypervisorModel
{
    private readonly BitArray _resident;
    private readonly BitArray _written;

    /// <summary>The guest kernel's own memory (allocated at the start) is resident; free memory is not.</summary>
    public HypervisorModel(IReadOnlyList<ZoneSpec> zones)
    {
        ArgumentNullException.ThrowIfNull(zones);
        var end = zones.Max(z => z.StartPfn + z.Pages);
        if (end > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(zones), "guest memory beyond 8 TiB is not modeled");
        _resident = new BitArray((int)end);
        _written = new BitArray((int)end);
        foreach (var zone in zones)
            MarkResident(zone.StartPfn, zone.Pages - zone.FreePages);
        StartResidentPages = ResidentPages;
    }

    /// <summary>Pages resident on the host now.</summary>
    public long ResidentPages { get; private set; }

    public long ResidentBytes => PageGeometry.BytesOfPages(ResidentPages);

    /// <summary>Pages resident when the guest started.</summary>
    public long StartResidentPages { get; private set; }

    /// <summary>The most pages resident at once so far (residency only grows when the guest writes).</summary>
    public long PeakResidentPages { get; private set; }

    /// <summary>
    /// Pages the guest has written since it started (its own memory at the start included): what
    /// the host would hold had no report ever been made, since nothing else gives a page back
    /// while the guest runs.
    /// </summary>
    public long WrittenPages { get; private set; }

    public long WrittenBytes => PageGeometry.BytesOfPages(WrittenPages);

    /// <summary>
    /// Starts over from another starting layout (a replay's snapshot): only these ranges are
    /// resident, and they are the start and the peak so far.
    /// </summary>
    public void ResetResidency(IEnumerable<(long Pfn, long Pages)> resident)
    {
        ArgumentNullException.ThrowIfNull(resident);
        _resident.SetAll(false);
        _written.SetAll(false);
        ResidentPages = 0;
        WrittenPages = 0;
        foreach (var (pfn, pages) in resident) MarkResident(pfn, pages);
        StartResidentPages = PeakResidentPages = ResidentPages;
    }

    /// <summary>The guest wrote to these pages: they are resident now.</summary>
    public void MarkResident(long pfn, long pages)
    {
        for (var p = pfn; p < pfn + pages; p++)
        {
            if (_resident[(int)p]) continue;
            _resident[(int)p] = true;
            ResidentPages++;
            if (_written[(int)p]) continue;
            _written[(int)p] = true;
            WrittenPages++;
        }
        PeakResidentPages = Math.Max(PeakResidentPages, ResidentPages);
    }

    public void MarkResident(Block block) => MarkResident(block.Pfn, block.Pages);

    /// <summary>madvise(DONTNEED) on a reported range: the host frees its backing.</summary>
    public void Discard(long pfn, long pages)
    {
        for (var p = pfn; p < pfn + pages; p++)
        {
            if (!_resident[(int)p]) continue;
            _resident[(int)p] = false;
            ResidentPages--;
        }
    }
}
