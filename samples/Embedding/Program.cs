// A guest's page reporting embedded in a plain actor system: a device that takes the reports, an
// allocation and a free, the passes that follow, and the library's metrics collected by OpenTelemetry.
using System.Collections.Immutable;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using PageReportingActors;
using PageReportingActors.Devices;
using PageReportingActors.Guest;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;

const long MiB = 1L << 20;

// OpenTelemetry collects the library's meter like any other; swap the in-memory exporter for OTLP or
// Prometheus in a real service.
var exported = new List<MetricSnapshot>();
await using var services = new ServiceCollection()
    .AddOpenTelemetry()
    .WithMetrics(metrics => metrics
        .AddMeter(PageReportingMetrics.MeterName)
        .AddInMemoryExporter(exported))
    .Services
    .BuildServiceProvider();
var meterProvider = services.GetRequiredService<MeterProvider>();

// A short delay so the sample's passes come quickly on the real clock.
using var system = ActorSystem.Create("embedding", "page-reporting { delay = 200ms, guest-name = sample-guest }");
var guest = await PageReporting.StartAsync(system, X86GuestLayout.ForMemory(1L << 30));
Console.WriteLine($"guest started: zones {string.Join(", ", guest.ZoneNames)}");

var balloon = new Balloon();
var device = system.ActorOf(PageReporting.DeviceProps(balloon, timeout: TimeSpan.FromSeconds(10)), "balloon");
var registered = await guest.Registry.Ask<object>(new RegisterDevice(device), TimeSpan.FromSeconds(10));
Console.WriteLine(registered is DeviceRegistered r ? $"device registered at order {r.ReportingOrder}" : $"registration refused: {registered}");

// Let the boot-time passes report what is free, then touch 256 MiB and give it back.
await WaitForIdle(guest);
var zone = guest.Zone("DMA32");
var allocated = await zone.Ask<AllocatedMany>(new AllocateMany(Order: 9, Count: 128), TimeSpan.FromSeconds(10));
Console.WriteLine($"allocated {allocated.Blocks.Length} blocks of 2 MiB from {allocated.Zone}");
var freed = await zone.Ask<FreedMany>(new FreeMany(allocated.Blocks), TimeSpan.FromSeconds(10));
Console.WriteLine($"freed {freed.Freed} blocks, {freed.Rejected.Length} rejected");
await WaitForIdle(guest);

var status = await guest.Reporter.Ask<ReporterStatus>(GetReporterStatus.Instance, TimeSpan.FromSeconds(10));
Console.WriteLine($"passes {status.Passes}, reports {status.Reports}, failed {status.FailedReports}, reported {status.ReportedBytes / MiB} MiB");
Console.WriteLine($"the device saw {balloon.Reports} reports, {balloon.Bytes / MiB} MiB");
foreach (var name in guest.ZoneNames)
{
    var z = await guest.Zone(name).Ask<ZoneStatus>(GetZoneStatus.Instance, TimeSpan.FromSeconds(10));
    Console.WriteLine($"zone {z.Zone}: free {PageGeometry.BytesOfPages(z.FreePages) / MiB} MiB, reported {PageGeometry.BytesOfPages(z.ReportedPages) / MiB} MiB");
}

// What OpenTelemetry collected: the counter's sum over all points (zones) of this guest.
meterProvider.ForceFlush();
var reportedBytes = exported
    .Where(m => m.Name == PageReportingMetrics.MemoryReported)
    .SelectMany(m => m.MetricPoints)
    .Where(p => Tag(p, PageReportingMetrics.GuestTag) == "sample-guest")
    .GroupBy(p => Tag(p, PageReportingMetrics.ZoneTag))
    .Sum(points => points.Last().GetSumLong());   // cumulative: the last export holds the total
Console.WriteLine($"{PageReportingMetrics.MemoryReported} {reportedBytes}");

await system.Terminate();

static string? Tag(MetricPoint point, string key)
{
    foreach (var tag in point.Tags)
        if (tag.Key == key) return tag.Value?.ToString();
    return null;
}

// Waits until the reporter has run at least one more pass and is Idle, on the real clock.
static async Task WaitForIdle(PageReportingGuest guest)
{
    var before = (await guest.Reporter.Ask<ReporterStatus>(GetReporterStatus.Instance, TimeSpan.FromSeconds(10))).Passes;
    var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
    while (DateTime.UtcNow < deadline)
    {
        await Task.Delay(100);
        var now = await guest.Reporter.Ask<ReporterStatus>(GetReporterStatus.Instance, TimeSpan.FromSeconds(10));
        if (now.Passes > before && now.State == ReporterState.Idle) return;
    }
    throw new TimeoutException("the reporter did not come to rest within 60 s");
}

/// <summary>The device: a real one would hand each entry's range to the hypervisor.</summary>
sealed class Balloon : IPageReportHandler
{
    private long _reports;
    private long _bytes;
    public long Reports => Interlocked.Read(ref _reports);
    public long Bytes => Interlocked.Read(ref _bytes);

    public Task<ReportOutcome> ReportAsync(Scatterlist pages, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reports);
        Interlocked.Add(ref _bytes, pages.TotalBytes);
        return Task.FromResult(ReportOutcome.Success);
    }
}
