using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using PageReportingActors.Devices;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Faults;

/// <summary>A report handler that fails a seeded share of its reports.</summary>
internal sealed class FlakyHandler(int seed, double failureRate) : IPageReportHandler
{
    private readonly Random _random = new(seed);
    private int _reports;
    private int _failures;
    public int Reports => Volatile.Read(ref _reports);
    public int Failures => Volatile.Read(ref _failures);

    public Task<ReportOutcome> ReportAsync(Scatterlist pages, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reports);
        bool fail;
        lock (_random) fail = _random.NextDouble() < failureRate;
        if (!fail) return Task.FromResult(ReportOutcome.Success);
        Interlocked.Increment(ref _failures);
        return Task.FromResult(ReportOutcome.Error(ReportErrors.Invalid));
    }
}

/// <summary>
/// A virtual hour of workers allocating and freeing at random as fast as they can, with reporting on, a
/// device that fails 5% of its reports, and the device unregistered (or stopped) and a new one registered
/// every few virtual minutes: I1-I4 hold after every 2 s step, and at the end every page is accounted for.
/// Size: SOAK_MINUTES (virtual minutes, default 60) and SOAK_WORKERS (default 4).
/// </summary>
public class SoakTests(ITestOutputHelper output) : FaultTestBase(output, "akka.loglevel = INFO")
{
    private readonly ITestOutputHelper _output = output;

    private static int FromEnvironment(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;

    private sealed class Worker(int id, IReadOnlyList<IActorRef> zones, ConcurrentQueue<string> errors)
    {
        private readonly Random _random = new(1000 + id);
        public readonly List<(int Zone, Block Block)> Held = new();
        public long Operations;
        public long AllocationFailures;

        private static readonly int[] Orders = [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 10, 10];
        private static readonly Migratetype[] Types = [Migratetype.Movable, Migratetype.Movable, Migratetype.Unmovable, Migratetype.Reclaimable];

        public long HeldPages(int zone) => Held.Where(h => h.Zone == zone).Sum(h => h.Block.Pages);

        public async Task Run(CancellationToken stop)
        {
            var timeout = TimeSpan.FromSeconds(10);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var heldPages = Held.Sum(h => h.Block.Pages);
                    if (Held.Count == 0 || (heldPages < 6000 && _random.NextDouble() < 0.55))
                    {
                        var zone = _random.Next(zones.Count);
                        var order = Orders[_random.Next(Orders.Length)];
                        var type = Types[_random.Next(Types.Length)];
                        switch (await zones[zone].Ask<object>(new Allocate(order, type), timeout))
                        {
                            case Allocated a: Held.Add((zone, a.Block)); break;
                            case AllocationFailed f when f.Reason is AllocationFailureReason.OutOfMemory or AllocationFailureReason.BelowWatermark:
                                AllocationFailures++; break;
                            case var other: errors.Enqueue($"worker {id}: allocate {order} answered {other}"); break;
                        }
                    }
                    else
                    {
                        var index = _random.Next(Held.Count);
                        var (zone, block) = Held[index];
                        Held[index] = Held[^1];
                        Held.RemoveAt(Held.Count - 1);
                        var answer = await zones[zone].Ask<object>(new Free(block.Pfn, block.Order), timeout);
                        if (answer is not Freed freed || freed.Block != block) errors.Enqueue($"worker {id}: free {block} answered {answer}");
                    }
                    Interlocked.Increment(ref Operations);
                }
                catch (Exception ex)
                {
                    errors.Enqueue($"worker {id}: {ex.GetType().Name}: {ex.Message}");
                    return;
                }
            }
        }
    }

    [Fact]
    public async Task I1_to_I4_hold_through_a_virtual_hour_of_random_churn_failing_reports_and_reregistrations()
    {
        var minutes = FromEnvironment("SOAK_MINUTES", 60);
        var workerCount = FromEnvironment("SOAK_WORKERS", 4);
        var wall = Stopwatch.StartNew();
        var watermarks = new Watermarks(128, 160, 192);
        // 64 MiB with 256 reserved and 1024 kernel pages; 192 MiB right after it with 2048 kernel pages.
        ZoneSpec[] specs =
        [
            new("DMA32", 0, 16384, 16384 - 256 - 1024, watermarks, ReservedPages: 256),
            new("Normal", 16384, 49152, 49152 - 2048, watermarks),
        ];
        var guest = StartGuest(specs, PageReportingSettings.Default);
        var initial = await Task.WhenAll(guest.Zones.Select(z => z.Ask<ZoneStatus>(GetZoneStatus.Instance, TimeSpan.FromSeconds(10))));
        var handlers = new List<FlakyHandler>();
        IActorRef NewDevice()
        {
            var handler = new FlakyHandler(seed: 7 + handlers.Count, failureRate: 0.05);
            handlers.Add(handler);
            return DeviceActor(handler);
        }
        var device = NewDevice();
        Assert.IsType<DeviceRegistered>(await guest.Registry.Ask<object>(new RegisterDevice(device), TimeSpan.FromSeconds(10)));

        var errors = new ConcurrentQueue<string>();
        var workers = Enumerable.Range(0, workerCount).Select(i => new Worker(i, guest.Zones, errors)).ToList();
        using var stop = new CancellationTokenSource();
        var running = workers.Select(w => Task.Run(() => w.Run(stop.Token))).ToList();
        long TotalOperations() => workers.Sum(w => Interlocked.Read(ref w.Operations));

        async Task CheckInvariants(string when)
        {
            foreach (var zone in guest.Zones)
            {
                var check = await zone.Ask<ZoneInvariantsChecked>(CheckZoneInvariants.Instance, TimeSpan.FromSeconds(10));
                Assert.True(check.Violation is null, $"{when}: zone {check.Zone}: {check.Violation}");
            }
        }

        var steps = minutes * 30; // 2 s each
        var reregistrations = 0;
        for (var step = 1; step <= steps; step++)
        {
            // Let the workers run between advances, then move the clock one delay.
            var before = TotalOperations();
            var waited = Stopwatch.StartNew();
            while (TotalOperations() < before + 4 * workerCount && waited.ElapsedMilliseconds < 500 && errors.IsEmpty)
                await Task.Delay(1);
            await guest.Reporter.Ask<ReporterStatus>(GetReporterStatus.Instance, TimeSpan.FromSeconds(10));
            Clock.Advance(Delay);
            await CheckInvariants($"step {step} ({step * 2} s)");
            Assert.True(errors.IsEmpty, string.Join("\n", errors));

            if (step % 90 == 0) // every 3 virtual minutes: unregister (or stop) the device and register a new one
            {
                reregistrations++;
                if (reregistrations % 2 == 1)
                {
                    Assert.IsType<DeviceUnregistered>(await guest.Registry.Ask<object>(new UnregisterDevice(device), TimeSpan.FromSeconds(10)));
                }
                else
                {
                    Sys.Stop(device);
                    var gone = Stopwatch.StartNew();
                    while ((await guest.Registry.Ask<RegistrationStatus>(GetRegistration.Instance, TimeSpan.FromSeconds(10))).Device is not null)
                    {
                        Assert.True(gone.Elapsed < TimeSpan.FromSeconds(10), "the stopped device was not unregistered");
                        await Task.Delay(1);
                    }
                }
                device = NewDevice();
                Assert.IsType<DeviceRegistered>(await guest.Registry.Ask<object>(new RegisterDevice(device), TimeSpan.FromSeconds(10)));
            }
        }

        await stop.CancelAsync();
        await Task.WhenAll(running);
        Assert.True(errors.IsEmpty, string.Join("\n", errors));

        // Let the last passes end (a pass holds at most one batch), then account for every page.
        for (var i = 0; i < 30; i++)
        {
            var reporter = await guest.Reporter.Ask<ReporterStatus>(GetReporterStatus.Instance, TimeSpan.FromSeconds(10));
            var isolated = (await Task.WhenAll(guest.Zones.Select(z => z.Ask<ZoneStatus>(GetZoneStatus.Instance, TimeSpan.FromSeconds(10))))).Sum(s => s.IsolatedPages);
            if (reporter.State != ReporterState.Active && isolated == 0) break;
            Clock.Advance(Delay);
            await Task.Delay(20);
        }
        await CheckInvariants("end");
        for (var z = 0; z < guest.Zones.Count; z++)
        {
            var status = await guest.Zones[z].Ask<ZoneStatus>(GetZoneStatus.Instance, TimeSpan.FromSeconds(10));
            Assert.Equal(0, status.IsolatedPages);
            Assert.False(status.WalkInProgress);
            Assert.Equal(status.Pages, status.FreePages + status.AllocatedPages + status.ReservedPages + status.IsolatedPages);
            var held = workers.Sum(w => w.HeldPages(z));
            Assert.Equal(status.AllocatedPages - initial[z].AllocatedPages, held);
        }

        // Everything the workers hold goes back: each zone is as it started, apart from Reported flags.
        foreach (var group in workers.SelectMany(w => w.Held).GroupBy(h => h.Zone))
        {
            var freed = await guest.Zones[group.Key].Ask<FreedMany>(new FreeMany([.. group.Select(h => h.Block)]), TimeSpan.FromSeconds(10));
            Assert.Empty(freed.Rejected);
        }
        for (var z = 0; z < guest.Zones.Count; z++)
        {
            var status = await guest.Zones[z].Ask<ZoneStatus>(GetZoneStatus.Instance, TimeSpan.FromSeconds(10));
            Assert.Equal(initial[z].FreePages, status.FreePages + status.IsolatedPages);
            Assert.Equal(initial[z].AllocatedPages, status.AllocatedPages);
        }
        await CheckInvariants("after freeing everything");

        var final = await guest.Reporter.Ask<ReporterStatus>(GetReporterStatus.Instance, TimeSpan.FromSeconds(10));
        var operations = TotalOperations();
        _output.WriteLine($"soak: {minutes} virtual min, {workerCount} workers, {operations} operations " +
            $"({workers.Sum(w => w.AllocationFailures)} refused allocations), {final.Passes} passes, {final.Reports} reports " +
            $"({final.FailedReports} failed; handlers saw {handlers.Sum(h => h.Reports)}, failed {handlers.Sum(h => h.Failures)}), " +
            $"{reregistrations} re-registrations, {wall.Elapsed.TotalSeconds:F1} s wall");
        Assert.True(final.Passes > 0 && final.Reports > 0, "reporting did not run");
        if (final.Reports >= 200) Assert.True(final.FailedReports > 0, "no report failed");
        Assert.True(operations > steps, $"only {operations} operations");
    }
}
