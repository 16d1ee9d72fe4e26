using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PageReportingActors;
using PageReportingActors.Devices;
using PageReportingActors.Guest;
using PageReportingActors.Memory;
using PageReportingActors.Messages;

// 1. Start a guest's actors with the actor system: its zones in pfn order, here a 1 GiB x86-64 guest.
//    Without Akka.Hosting, `await PageReporting.StartAsync(system, zones)` does the same.
PageReportingGuest? guest = null;
var settings = PageReportingSettings.Default with { Delay = TimeSpan.FromMilliseconds(200) };
using var host = new HostBuilder()
    .ConfigureServices(services => services.AddAkka("guest", builder => builder
        .WithPageReporting<MyGuest>(X86GuestLayout.ForMemory(1L << 30), settings, onStarted: g => guest = g)))
    .Build();
await host.StartAsync();

// 2. The registry and the reporter are in the ActorRegistry, under your key.
var actors = host.Services.GetRequiredService<ActorRegistry>();
var registry = await actors.GetAsync<MyGuest>();
var reporter = await actors.GetAsync<PageReportingReporterKey<MyGuest>>();
var system = host.Services.GetRequiredService<ActorSystem>();

// 3. Register your device; the first pass comes `delay` later.
var device = system.ActorOf(PageReporting.DeviceProps(new MyBalloon(), timeout: TimeSpan.FromSeconds(10)), "balloon");
var answer = await registry.Ask<object>(new RegisterDevice(device), TimeSpan.FromSeconds(5)); // DeviceRegistered or RegistrationRejected(Busy)
Console.WriteLine(answer);

// 4. Allocate and free through the zone actors; frees that merge to order >= 9 notify the reporter.
var zone = guest!.Zone("DMA32");
var got = await zone.Ask<object>(new Allocate(Order: 0), TimeSpan.FromSeconds(5));               // Allocated or AllocationFailed(reason)
if (got is Allocated a) await zone.Ask<object>(new Free(a.Block.Pfn, a.Block.Order), TimeSpan.FromSeconds(5)); // Freed or FreeRejected(reason)

// 5. Wait for the first pass, then stop.
using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
var status = await reporter.Ask<ReporterStatus>(GetReporterStatus.Instance, TimeSpan.FromSeconds(5));
while (status.Passes == 0)
{
    await Task.Delay(50, patience.Token);
    status = await reporter.Ask<ReporterStatus>(GetReporterStatus.Instance, TimeSpan.FromSeconds(5));
}
Console.WriteLine($"First pass: {status.Reports} reports, {status.ReportedBytes >> 20} MiB reported");
await host.StopAsync();

// Your device: what the balloon driver does with a report.
sealed class MyBalloon : IPageReportHandler
{
    public async Task<ReportOutcome> ReportAsync(Scatterlist pages, CancellationToken ct)
    {
        foreach (var entry in pages.Entries) { /* hand entry.Address, entry.Length to the host */ }
        await Task.Yield();
        return ReportOutcome.Success; // or ReportOutcome.Error(code): the batch goes back unflagged
    }
}

// The key your guest is registered under: one per guest when a system hosts several.
sealed class MyGuest;
