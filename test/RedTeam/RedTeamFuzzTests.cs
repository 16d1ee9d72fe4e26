using System.Collections.Immutable;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Akka.Actor;
using PageReportingActors.Allocator;
using PageReportingActors.Devices;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using PageReportingActors.Tests.Faults;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.RedTeam;

/// <summary>
/// What a fuzzed device does with each report: answer, fail, throw, never answer, answer a step later,
/// or rewrite the scatterlist it was lent. It keeps its own copy of every batch it acknowledged, and
/// records any report that named a block the application holds (a real balloon would discard it).
/// </summary>
internal sealed class FuzzHandler(Random random, Func<Block, bool> isAllocated) : IPageReportHandler
{
    public enum Mode { Succeed, Fail, Throw, Never, Late, Rewrite }

    private readonly object _gate = new();
    private readonly List<TaskCompletionSource<ReportOutcome>> _late = [];
    public readonly List<ImmutableArray<Block>> Acknowledged = [];
    public readonly List<string> Violations = [];
    public int Calls;

    public Task<ReportOutcome> ReportAsync(Scatterlist pages, CancellationToken cancellationToken)
    {
        var blocks = pages.ToBlocks();
        Mode mode;
        lock (_gate)
        {
            Calls++;
            foreach (var block in blocks)
                if (isAllocated(block)) Violations.Add($"the device was told {block}, which the application holds");
            var roll = random.Next(100);
            mode = roll < 60 ? Mode.Succeed : roll < 70 ? Mode.Fail : roll < 75 ? Mode.Throw : roll < 80 ? Mode.Never : roll < 90 ? Mode.Late : Mode.Rewrite;
            if (mode is Mode.Succeed or Mode.Rewrite or Mode.Late) Acknowledged.Add(blocks);
        }
        switch (mode)
        {
            case Mode.Fail: return Task.FromResult(ReportOutcome.Error(ReportErrors.Invalid));
            case Mode.Throw: throw new InvalidOperationException("fuzzed handler fault");
            case Mode.Never: return new TaskCompletionSource<ReportOutcome>().Task;
            case Mode.Late:
                var late = new TaskCompletionSource<ReportOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
                lock (_gate) _late.Add(late);
                return late.Task;
            case Mode.Rewrite:
                var entries = ImmutableCollectionsMarshal.AsArray(pages.Entries)!;
                for (var i = 0; i < entries.Length; i++) entries[i] = entries[i] with { Address = 0, Length = 4096 };
                return Task.FromResult(ReportOutcome.Success);
            default: return Task.FromResult(ReportOutcome.Success);
        }
    }

    /// <summary>Answers every late report now (success).</summary>
    public void AnswerLate()
    {
        List<TaskCompletionSource<ReportOutcome>> late;
        lock (_gate) { late = [.. _late]; _late.Clear(); }
        foreach (var t in late) t.TrySetResult(ReportOutcome.Success);
    }

    public bool WasAcknowledged(Block block)
    {
        lock (_gate)
            return Acknowledged.Any(batch => batch.Any(b => b.Pfn <= block.Pfn && block.Pfn + block.Pages <= b.Pfn + b.Pages));
    }
}

/// <summary>
/// A seeded fuzz over the public API and forged internal messages, with devices that misbehave and actors
/// that are stopped or killed, on virtual time. After every step: I1-I4, page conservation against the
/// test's own ledger, at most one batch out, and (whenever no pass runs) no Reported block that no device
/// acknowledged. Bounded by REDTEAM_SECONDS (default 20) over REDTEAM_SEEDS (default 1,2).
/// </summary>
public class RedTeamFuzzTests(ITestOutputHelper output) : FaultTestBase(output, "akka.loglevel = ERROR")
{
    private readonly ITestOutputHelper _output = output;
    private static readonly ImmutableArray<int> Orders = [0, 0, 1, 2, 3, 5, 8, 9, 9, 10, 10, 10];

    private sealed class Run
    {
        public required Random Random;
        public required PageReportingGuest Guest;
        public required IReadOnlyList<ZoneFreeArea> Areas;
        public required List<Block>[] Held;
        public required long[] InitialAllocated;
        public readonly HashSet<int> StoppedZones = [];
        public readonly List<FuzzHandler> Handlers = [];
        public IActorRef? Device;
        public bool DeviceLosesNextReport;
        public long Steps, Forged, Restarts;
    }

    [Fact]
    public void Fuzz_keeps_every_page_accounted_for_and_nothing_reported_unacknowledged()
    {
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("REDTEAM_SECONDS"), out var s) && s > 0 ? s : 20;
        var seeds = (Environment.GetEnvironmentVariable("REDTEAM_SEEDS") ?? "1,2")
            .Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        var perSeed = TimeSpan.FromSeconds((double)seconds / seeds.Length);
        foreach (var seed in seeds)
        {
            var clock = Stopwatch.StartNew();
            var random = new Random(seed);
            long steps = 0, forged = 0, restarts = 0, acknowledged = 0, guests = 0;
            while (clock.Elapsed < perSeed)
            {
                var run = StartRun(random, $"rt-{seed}-{guests++}");
                while (clock.Elapsed < perSeed && !Step(run)) CheckAll(run, quiescentOnly: false);
                Finish(run);
                steps += run.Steps; forged += run.Forged; restarts += run.Restarts;
                acknowledged += run.Handlers.Sum(h => h.Acknowledged.Count);
            }
            _output.WriteLine($"seed {seed}: {steps} steps, {forged} forged messages, {guests} guests, {restarts} device restarts, {acknowledged} acknowledged reports in {clock.Elapsed.TotalSeconds:F1} s");
        }
    }

    private Run StartRun(Random random, string name)
    {
        var specs = new[] { SmallZone("A", pages: 16384, allocatedPages: 1024), SmallZone("B", startPfn: 16384, pages: 16384, allocatedPages: 2048) };
        var areas = PageReporting.CreateAreas(specs);
        var started = new TaskCompletionSource<PageReportingGuest>();
        Sys.ActorOf(FaultyGuests.GuardianProps(areas, Cap4, started), name);
        var guest = started.Task.GetAwaiter().GetResult();
        var run = new Run
        {
            Random = random, Guest = guest, Areas = areas,
            Held = [[], []],
            InitialAllocated = specs.Select(z => z.Pages - z.FreePages).ToArray(),
        };
        NewDevice(run);
        return run;
    }

    private bool IsHeld(Run run, Block block)
    {
        lock (run.Held)
            return run.Held.Any(list => list.Any(h => h.Pfn < block.Pfn + block.Pages && block.Pfn < h.Pfn + h.Pages));
    }

    private void NewDevice(Run run)
    {
        var handler = new FuzzHandler(new Random(run.Random.Next()), b => IsHeld(run, b));
        run.Handlers.Add(handler);
        run.Device = Sys.ActorOf(FaultyGuests.DeviceProps(handler, TimeSpan.FromSeconds(10)));
        run.DeviceLosesNextReport = false;
        var answer = AskRegistry(run, new RegisterDevice(run.Device, run.Random.Next(3) == 0 ? run.Random.Next(-2, 13) : null));
        Assert.True(answer is DeviceRegistered or RegistrationRejected, $"register answered {answer}");
    }

    /// <summary>One random step; true once the guest has stopped (its reporter or registry was stopped).</summary>
    private bool Step(Run run)
    {
        run.Steps++;
        var r = run.Random;
        var z = r.Next(2);
        var zone = run.Guest.Zones[z];
        var live = !run.StoppedZones.Contains(z);
        var held = run.Held[z];
        var roll = r.Next(1000);
        if (roll < 250 && live) Allocate(run, z, zone);
        else if (roll < 450 && live) FreeSome(run, z, zone);
        else if (roll < 500 && live)
        {
            var bad = new Allocate(r.Next(2) == 0 ? r.Next(11, 64) * (r.Next(2) == 0 ? 1 : -1) : r.Next(11), (Migratetype)r.Next(5, 200));
            Assert.IsType<AllocationFailed>(zone.Ask<object>(bad, TimeSpan.FromSeconds(10)).Result);
        }
        else if (roll < 540 && live)
        {
            var pfn = r.Next(3) switch { 0 => r.NextInt64(-100, 40000), 1 => long.MaxValue - r.Next(100), _ => r.NextInt64(0, 32768) };
            var order = r.Next(-2, 14);
            // Not a block the application holds, nor the zone's boot-time allocation: those frees would succeed.
            var start = z * 16384L;
            if (IsHeld(run, new Block(pfn, Math.Clamp(order, 0, 10))) || (pfn >= start && pfn < start + run.InitialAllocated[z])) return false;
            Assert.IsType<FreeRejected>(zone.Ask<object>(new Free(pfn, order), TimeSpan.FromSeconds(10)).Result);
        }
        else if (roll < 700) Advance(run);
        else if (roll < 760) Registration(run);
        else if (roll < 900) { Forge(run); run.Forged++; }
        else if (roll < 930) run.Handlers[^1].AnswerLate();
        else if (roll < 950 && run.Device is { } device)
        {
            // The device dies, or crashes and restarts.
            if (r.Next(2) == 0)
            {
                // PoisonPill, or Kill (which stops a top-level actor): the registry unregisters it.
                Watch(device);
                device.Tell(r.Next(2) == 0 ? PoisonPill.Instance : Kill.Instance);
                ExpectTerminated(device);
                Unwatch(device);
                run.Device = null;
            }
            else { device.Tell(new SimulatedFault()); run.Restarts++; }
        }
        else if (roll < 975)
        {
            // A fault now, or on the next message of a type the pass depends on: that message is lost.
            Type?[] types = [null, typeof(BeginZoneWalk), typeof(CompleteZoneReport), typeof(AbandonZoneWalk), typeof(ZoneWalkStep),
                typeof(ReportCompleted), typeof(RequestReporting), typeof(DeviceDetached), typeof(AttachDevice), typeof(ReportPages)];
            IActorRef[] targets = [.. run.Guest.Zones, run.Guest.Reporter, run.Guest.Registry, run.Device ?? run.Guest.Reporter];
            var target = targets[r.Next(targets.Length)];
            var type = types[r.Next(types.Length)];
            target.Tell(new SimulatedFault(type));
            // The device will lose the next report it gets, a stranger's included.
            if (type == typeof(ReportPages) && target.Equals(run.Device)) run.DeviceLosesNextReport = true;
        }
        else if (roll < 978 && live && run.StoppedZones.Count == 0)
        {
            if (r.Next(2) == 0) zone.Tell(Kill.Instance); // resumed by the guardian: the zone keeps its memory
            else
            {
                Watch(zone);
                zone.Tell(PoisonPill.Instance);
                ExpectTerminated(zone);
                Unwatch(zone);
                run.StoppedZones.Add(z);
                CheckStoppedZone(run, z);
            }
        }
        else if (roll < 981)
        {
            var target = r.Next(2) == 0 ? run.Guest.Reporter : run.Guest.Registry;
            if (r.Next(2) == 0) target.Tell(Kill.Instance);
            else
            {
                Watch(run.Guest.Guardian);
                target.Tell(PoisonPill.Instance);
                ExpectTerminated(run.Guest.Guardian, TimeSpan.FromSeconds(10));
                return true;
            }
        }
        return false;
    }

    private void Allocate(Run run, int z, IActorRef zone)
    {
        var r = run.Random;
        var order = Orders[r.Next(Orders.Length)];
        var type = (Migratetype)r.Next(3);
        if (r.Next(4) == 0)
        {
            var count = r.Next(5) == 0 ? r.Next(-3, 1 << 20) : r.Next(1, 40);
            switch (zone.Ask<object>(new AllocateMany(order, count, type), TimeSpan.FromSeconds(10)).Result)
            {
                case AllocatedMany many: lock (run.Held) run.Held[z].AddRange(many.Blocks); break;
                case AllocationFailed f: Assert.True(count < 0, $"AllocateMany {count} failed: {f.Detail}"); break;
                case var other: Assert.Fail($"AllocateMany answered {other}"); break;
            }
            return;
        }
        switch (zone.Ask<object>(new Allocate(order, type, (WatermarkLevel)r.Next(4)), TimeSpan.FromSeconds(10)).Result)
        {
            case Allocated a: lock (run.Held) run.Held[z].Add(a.Block); break;
            case AllocationFailed f: Assert.True(f.Reason is AllocationFailureReason.OutOfMemory or AllocationFailureReason.BelowWatermark, f.Detail); break;
            case var other: Assert.Fail($"Allocate answered {other}"); break;
        }
    }

    private void FreeSome(Run run, int z, IActorRef zone)
    {
        var r = run.Random;
        var held = run.Held[z];
        if (held.Count == 0) return;
        if (r.Next(3) > 0)
        {
            var block = held[r.Next(held.Count)];
            Assert.IsType<Freed>(zone.Ask<object>(new Free(block.Pfn, block.Order), TimeSpan.FromSeconds(10)).Result);
            lock (run.Held) held.Remove(block);
            // Freeing it again is refused.
            if (r.Next(4) == 0) Assert.IsType<FreeRejected>(zone.Ask<object>(new Free(block.Pfn, block.Order), TimeSpan.FromSeconds(10)).Result);
            return;
        }
        var chosen = held.OrderBy(_ => r.Next()).Take(r.Next(1, 20)).ToList();
        var batch = chosen.Concat([new Block(r.NextInt64(40000, 50000), r.Next(11)), chosen[0]]).ToImmutableArray();
        var answer = Assert.IsType<FreedMany>(zone.Ask<object>(new FreeMany(batch), TimeSpan.FromSeconds(10)).Result);
        // Each held block is freed once; the stray block and the repeat are refused.
        Assert.Equal(chosen.Count, answer.Freed);
        lock (run.Held) foreach (var b in chosen) held.Remove(b);
    }

    private void Advance(Run run)
    {
        var r = run.Random;
        var by = r.Next(10) switch { 0 => ReportTimeout, 1 => TimeSpan.FromSeconds(10), 2 => TimeSpan.FromMilliseconds(r.Next(1, 2000)), _ => Delay };
        Reporter(run.Guest);
        Clock.Advance(by);
        // Let the pass run its course on the wall clock (a device that never answers keeps it Active).
        var until = DateTime.UtcNow + TimeSpan.FromMilliseconds(300);
        while (DateTime.UtcNow < until && Reporter(run.Guest).State == ReporterState.Active) Thread.Sleep(2);
    }

    /// <summary>
    /// Asks the registry, advancing virtual time while it waits: an unregistration in progress (a device that
    /// died, a detach answer lost to a fault) holds other commands until the pass ends or a retry is answered.
    /// Half an hour of virtual time without an answer is a hang.
    /// </summary>
    private object AskRegistry(Run run, object message)
    {
        var answer = run.Guest.Registry.Ask<object>(message, TimeSpan.FromSeconds(60));
        for (var i = 0; i < 60 && !answer.Wait(50); i++)
        {
            foreach (var h in run.Handlers) h.AnswerLate();
            Clock.Advance(ReportTimeout);
        }
        Assert.True(answer.IsCompletedSuccessfully, $"step {run.Steps}: the registry did not answer {message} in 30 virtual minutes");
        return answer.Result;
    }

    private void Registration(Run run)
    {
        var r = run.Random;
        var registry = run.Guest.Registry;
        switch (r.Next(5))
        {
            case 0 when run.Device is not null:
                // Unregistration waits for a pass with a batch out: advance the clock until it is answered.
                var unregistered = AskRegistry(run, new UnregisterDevice(run.Device));
                Assert.True(unregistered is DeviceUnregistered or UnregistrationRejected, $"unregister answered {unregistered}");
                break;
            case 1:
                if (run.Device is null || AskFor<RegistrationStatus>(registry, GetRegistration.Instance).Device is null) NewDevice(run);
                else Assert.IsType<RegistrationRejected>(AskRegistry(run, new RegisterDevice(CreateTestProbe().Ref)));
                break;
            case 2:
                var order = r.Next(-3, 14);
                var set = AskRegistry(run, new SetReportingOrder(order));
                Assert.IsType(PageGeometry.IsValidOrder(order) ? typeof(ReportingOrderSet) : typeof(ReportingOrderRejected), set);
                break;
            case 3:
                // A stranger unregisters a device that is not its own, or nothing.
                Assert.IsType<UnregistrationRejected>(AskRegistry(run, new UnregisterDevice(CreateTestProbe().Ref)));
                break;
            default:
                if (run.Device is null) NewDevice(run);
                break;
        }
    }

    /// <summary>An internal message from a stranger: refused or ignored, and nothing changes that the checks would see.</summary>
    private void Forge(Run run)
    {
        var r = run.Random;
        var stranger = CreateTestProbe();
        var zone = run.Guest.Zones[r.Next(2)];
        var pass = r.NextInt64(0, 20);
        var blocks = Scatterlist.FromBlocks([new Block(r.Next(32) * 1024, 10)]);
        (IActorRef To, object Message) forged = r.Next(14) switch
        {
            0 => (zone, new BeginZoneWalk(pass, r.Next(11), r.Next(1, 64))),
            1 => (zone, new CompleteZoneReport(pass, r.NextInt64(0, 10), blocks, true)),
            2 => (zone, new AbandonZoneWalk(pass)),
            3 => (zone, new EnableNotification(stranger.Ref, r.Next(11))),
            4 => (zone, DisableNotification.Instance),
            5 => (run.Guest.Reporter, new AttachDevice(stranger.Ref, r.Next(11))),
            6 => (run.Guest.Reporter, new DetachDevice(run.Device ?? stranger.Ref)),
            7 => (run.Guest.Reporter, new ChangeReportingOrder(r.Next(11))),
            8 => (run.Guest.Reporter, new ReportCompleted(r.NextInt64(0, 20), true, 0, null)),
            9 => (run.Guest.Reporter, new ZoneWalkStep(pass, "A", r.NextInt64(0, 10), r.Next(2) == 0 ? blocks : null, false, (WalkEnd)r.Next(5), true, 0)),
            10 => (run.Guest.Reporter, new RequestReporting("A")),
            11 => (run.Guest.Registry, new DeviceDetached(run.Device ?? stranger.Ref)),
            12 => (run.Device ?? zone, new ReportPages(r.NextInt64(0, 20), HeldScatterlist(run) ?? blocks)),
            _ => (run.Device ?? zone, new DeviceOwner(stranger.Ref)),
        };
        forged.To.Tell(forged.Message, stranger.Ref);
        // A round trip through the target (or the reporter) so the forged message was handled before the checks.
        if (forged.To.Equals(run.Device) || !run.Guest.Zones.Contains(forged.To)) Reporter(run.Guest);
        else if (!run.StoppedZones.Contains(run.Guest.Zones.ToList().IndexOf(forged.To))) Status(forged.To);
        if (forged.Message is ReportPages && forged.To.Equals(run.Device))
        {
            if (run.DeviceLosesNextReport) run.DeviceLosesNextReport = false;
            else stranger.ExpectMsg<ReportCompleted>(m => Assert.False(m.Success), TimeSpan.FromSeconds(5));
        }
    }

    private Scatterlist? HeldScatterlist(Run run)
    {
        lock (run.Held)
        {
            var all = run.Held.SelectMany(h => h).Take(3).ToList();
            return all.Count == 0 ? null : Scatterlist.FromBlocks(all);
        }
    }

    private void CheckAll(Run run, bool quiescentOnly)
    {
        var reporter = Reporter(run.Guest);
        var statuses = new ZoneStatus?[2];
        for (var z = 0; z < 2; z++)
        {
            if (run.StoppedZones.Contains(z)) continue;
            var zone = run.Guest.Zones[z];
            var violation = AskFor<ZoneInvariantsChecked>(zone, CheckZoneInvariants.Instance).Violation;
            Assert.True(violation is null, $"step {run.Steps}: zone {z}: {violation}");
            var st = statuses[z] = Status(zone);
            Assert.Equal(st.Pages, st.FreePages + st.IsolatedPages + st.AllocatedPages + st.ReservedPages);
            long heldPages;
            lock (run.Held) heldPages = run.Held[z].Sum(b => b.Pages);
            Assert.Equal(run.InitialAllocated[z] + heldPages, st.AllocatedPages);
            Assert.True(st.IsolatedPages <= Cap4.Capacity * 1024, $"step {run.Steps}: zone {z} holds {st.IsolatedPages} isolated pages");
        }
        var handlers = run.Handlers;
        foreach (var h in handlers) lock (h.Violations) Assert.True(h.Violations.Count == 0, string.Join("; ", h.Violations));
        if (reporter.State == ReporterState.Active) return;
        // No pass runs: nothing is isolated, and every Reported block lies inside a batch some device acknowledged.
        for (var z = 0; z < 2; z++)
        {
            if (statuses[z] is not { } st || st.WalkInProgress) continue;
            Assert.True(st.IsolatedPages == 0, $"step {run.Steps}: zone {z} holds {st.IsolatedPages} isolated pages with no pass running");
            foreach (var (block, _, reported) in run.Areas[z].Blocks().ToList())
                if (reported)
                    Assert.True(handlers.Any(h => h.WasAcknowledged(block)), $"step {run.Steps}: {block} is Reported but no device acknowledged it");
        }
    }

    private void CheckStoppedZone(Run run, int z)
    {
        var area = run.Areas[z];
        Assert.Equal(0, area.IsolatedPages);
        Assert.Null(area.CheckInvariants());
        long heldPages;
        lock (run.Held) heldPages = run.Held[z].Sum(b => b.Pages);
        Assert.Equal(run.InitialAllocated[z] + heldPages, area.AllocatedPages);
    }

    private void Finish(Run run)
    {
        if (!run.Guest.Guardian.IsNobody())
        {
            Watch(run.Guest.Guardian);
            Sys.Stop(run.Guest.Guardian);
            ExpectTerminated(run.Guest.Guardian, TimeSpan.FromSeconds(10));
        }
        foreach (var h in run.Handlers) { h.AnswerLate(); Assert.Empty(h.Violations); }
        if (run.Device is not null) Sys.Stop(run.Device);
        // Stopped, the guest's memory is whole: every lent batch is back, every page accounted for.
        for (var z = 0; z < 2; z++) CheckStoppedZone(run, z);
    }
}
