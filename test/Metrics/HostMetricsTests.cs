using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using PageReportingActors.Hypervisor;
using PageReportingActors.Memory;
using Xunit;

namespace PageReportingActors.Tests.Metrics;

/// <summary>The host counters read a hypervisor model's ledger, tagged with its guest, while it is observed.</summary>
public sealed class HostMetricsTests
{
    private const long Page = 4096;
    private static readonly ZoneSpec[] Zones = [new("DMA32", 0, 4096, 4096 - 512, new Watermarks(64, 80, 96))];

    private static long Of(MetricCollector<long> collector, string guest)
    {
        collector.Clear();
        collector.RecordObservableInstruments();
        return collector.GetMeasurementSnapshot().Where(m => Equals(m.Tags[PageReportingMetrics.GuestTag], guest)).Sum(m => m.Value);
    }

    [Fact]
    public void Faults_refaults_and_ignored_entries_are_counters_with_the_guest_tag()
    {
        var guest = $"host-metrics-{Guid.NewGuid():N}";
        using var faults = new MetricCollector<long>(null, PageReportingMetrics.MeterName, PageReportingMetrics.HostFaults);
        using var refaults = new MetricCollector<long>(null, PageReportingMetrics.MeterName, PageReportingMetrics.HostRefaults);
        using var ignored = new MetricCollector<long>(null, PageReportingMetrics.MeterName, PageReportingMetrics.HostIgnored);
        var host = new HostMemory(Zones, HostSettings.Default with { Backing = HostBacking.Hugetlb2MiB });

        using (PageReportingHostMetrics.Observe(guest, host))
        {
            host.Touch(1024, 1024);                                        // frames 2 and 3: two first touches
            host.Report([new ScatterEntry(1024 * Page, 512 * Page, true),  // frame 2, aligned: freed
                         new ScatterEntry(1536 * Page, 32 * Page, true)]); // 128 KiB of frame 3: ignored
            host.Touch(1024, 1);                                           // frame 2 again: a refault
            Assert.Equal(3, Of(faults, guest));
            Assert.Equal(1, Of(refaults, guest));
            Assert.Equal(1, Of(ignored, guest));
            Assert.Equal(faults.Instrument!.GetType().Name, refaults.Instrument!.GetType().Name);
            Assert.StartsWith("ObservableCounter", faults.Instrument.GetType().Name);
        }
        // Let go with the run: nothing more for this guest.
        Assert.Equal(0, Of(faults, guest));
    }
}
