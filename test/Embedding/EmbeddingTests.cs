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

/// <summary>The README's embedding examples, run as written, on the real clock.</summary>
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
}
