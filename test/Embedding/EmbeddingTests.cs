using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PageReportingActors.Devices;
using PageReportingActors.Guest;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using Xunit;

namespace PageReportingActors.Tests.Embedding;

/// <summary>The ways docs/embedding.md starts a guest (a plain actor system, Akka.Hosting, several guests), on the real clock.</summary>
public sealed class EmbeddingTests
{
    private sealed class CountingBalloon : IPageReportHandler
    {
        public int Reports;
        public async Task<ReportOutcome> ReportAsync(Scatterlist pages, CancellationToken ct)
        {
            Interlocked.Increment(ref Reports);
            await Task.Yield();
            return ReportOutcome.Success;
        }
    }

    [Fact]
    public async Task R17_R18_plain_actor_system_embedding_registers_allocates_and_frees()
    {
        using var system = ActorSystem.Create("guest", "page-reporting.delay = 100ms");
        var guest = await PageReporting.StartAsync(system, [
            new ZoneSpec("DMA", 0, 4096, 3808, new Watermarks(178, 222, 266)),
            new ZoneSpec("DMA32", 4096, 258016, 231892, new Watermarks(11085, 13856, 16627)),
        ]);
        Assert.Equal(TimeSpan.FromMilliseconds(100), guest.Settings.Delay);
        var balloon = new CountingBalloon();
        var device = system.ActorOf(PageReporting.DeviceProps(balloon, timeout: TimeSpan.FromSeconds(10)), "balloon");

        var answer = await guest.Registry.Ask<object>(new RegisterDevice(device), TimeSpan.FromSeconds(5));
        Assert.Equal(9, Assert.IsType<DeviceRegistered>(answer).ReportingOrder);
        var second = await guest.Registry.Ask<object>(new RegisterDevice(system.ActorOf(PageReporting.DeviceProps(balloon))), TimeSpan.FromSeconds(5));
        Assert.Equal(RegistrationRejection.Busy, Assert.IsType<RegistrationRejected>(second).Reason);

        var zone = guest.Zone("DMA32");
        var got = Assert.IsType<Allocated>(await zone.Ask<object>(new Allocate(Order: 0), TimeSpan.FromSeconds(5)));
        Assert.IsType<Freed>(await zone.Ask<object>(new Free(got.Block.Pfn, got.Block.Order), TimeSpan.FromSeconds(5)));

        // The first pass comes one delay after registration on the real clock.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (Volatile.Read(ref balloon.Reports) == 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.True(balloon.Reports > 0);
        await system.Terminate();
    }

    [Fact]
    public async Task R18_hosting_extension_starts_the_guest_and_registers_its_keys()
    {
        PageReportingGuest? started = null;
        using var host = new HostBuilder()
            .ConfigureServices(services => services.AddAkka("guest", builder => builder
                .WithPageReporting(X86GuestLayout.ForMemory(1L << 30), onStarted: g => started = g)))
            .Build();
        await host.StartAsync();
        try
        {
            var registry = host.Services.GetRequiredService<ActorRegistry>();
            var registryRef = await registry.GetAsync<PageReportingRegistryKey>();
            Assert.NotNull(started);
            Assert.Equal(started!.Registry, registryRef);
            Assert.Equal(started.Reporter, await registry.GetAsync<PageReportingReporterKey>());
            Assert.Equal(["DMA", "DMA32"], started.ZoneNames);
            var status = await registryRef.Ask<RegistrationStatus>(GetRegistration.Instance, TimeSpan.FromSeconds(5));
            Assert.Null(status.Device);
            Assert.Null(status.ReportingOrder);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public void Hosting_extension_rejects_bad_zones_when_configured()
    {
        var builder = new AkkaConfigurationBuilder(new ServiceCollection(), "guest");
        var error = Assert.Throws<ArgumentException>(() => builder.WithPageReporting([
            new ZoneSpec("A", 0, 4096, 4096, new Watermarks(1, 2, 3)),
            new ZoneSpec("B", 2048, 4096, 4096, new Watermarks(1, 2, 3)),
        ]));
        Assert.Contains("zones[1] (B) starts at pfn 2048", error.Message);
    }

    private sealed class GuestA;

    private sealed class GuestB;

    [Fact]
    public async Task R17_two_guests_in_one_system_have_their_own_keys_names_and_registrations()
    {
        PageReportingGuest? a = null, b = null;
        using var host = new HostBuilder()
            .ConfigureServices(services => services.AddAkka("guests", builder => builder
                .WithPageReporting<GuestA>(X86GuestLayout.ForMemory(1L << 30), onStarted: g => a = g)
                .WithPageReporting<GuestB>(X86GuestLayout.ForMemory(2L << 30), onStarted: g => b = g)))
            .Build();
        await host.StartAsync();
        try
        {
            var registry = host.Services.GetRequiredService<ActorRegistry>();
            Assert.NotNull(a);
            Assert.NotNull(b);
            Assert.Equal(a!.Registry, await registry.GetAsync<GuestA>());
            Assert.Equal(b!.Registry, await registry.GetAsync<GuestB>());
            Assert.Equal(a.Reporter, await registry.GetAsync<PageReportingReporterKey<GuestA>>());
            Assert.Equal(b.Reporter, await registry.GetAsync<PageReportingReporterKey<GuestB>>());
            Assert.Equal("page-reporting-GuestA", a.Guardian.Path.Name);
            Assert.Equal("page-reporting-GuestB", b.Guardian.Path.Name);

            // One device registered with A leaves B free: R17 holds per guest.
            var system = host.Services.GetRequiredService<ActorSystem>();
            var device = system.ActorOf(PageReporting.DeviceProps(new CountingBalloon()));
            Assert.IsType<DeviceRegistered>(await a.Registry.Ask<object>(new RegisterDevice(device), TimeSpan.FromSeconds(5)));
            Assert.Equal(device, (await a.Registry.Ask<RegistrationStatus>(GetRegistration.Instance, TimeSpan.FromSeconds(5))).Device);
            Assert.Null((await b.Registry.Ask<RegistrationStatus>(GetRegistration.Instance, TimeSpan.FromSeconds(5))).Device);
            // The 2 GiB guest's DMA32 zone is larger than the 1 GiB guest's: each has its own zones.
            var zoneA = await a.Zone("DMA32").Ask<ZoneStatus>(GetZoneStatus.Instance, TimeSpan.FromSeconds(5));
            var zoneB = await b.Zone("DMA32").Ask<ZoneStatus>(GetZoneStatus.Instance, TimeSpan.FromSeconds(5));
            Assert.True(zoneB.Pages > zoneA.Pages);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Start_with_a_dispatcher_the_system_does_not_have_throws_at_once_naming_it()
    {
        using var system = ActorSystem.Create("no-dispatcher");
        var settings = PageReportingSettings.Default with { Dispatcher = "no-such-dispatcher" };
        var error = Assert.Throws<ArgumentException>(() => { _ = PageReporting.StartAsync(system, [new ZoneSpec("A", 0, 4096, 4096, new Watermarks(1, 2, 3))], settings); });
        Assert.Contains("no-such-dispatcher", error.Message);
        await system.Terminate();
    }
}
