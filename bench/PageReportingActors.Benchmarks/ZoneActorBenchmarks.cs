using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using BenchmarkDotNet.Attributes;
using PageReportingActors.Allocator;
using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors.Benchmarks;

/// <summary>
/// (2) The same allocate+free pairs as <see cref="AllocatorBenchmarks.Order0_Batch4096"/>, through a
/// zone actor in an ordinary ActorSystem: one AllocateMany(4096) and one FreeMany of its blocks per invocation.
/// </summary>
[MemoryDiagnoser]
public class ZoneActorBenchmarks
{
    private ActorSystem _system = null!;
    private IActorRef _zone = null!;
    private IActorRef _largeZone = null!;

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("bench", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        _zone = _system.ActorOf(ZoneActor.Props(new ZoneFreeArea(Zones.OneGiBZone())), "zone");
        _largeZone = _system.ActorOf(ZoneActor.Props(new ZoneFreeArea(Zones.SixteenGiBNormalZone())), "large-zone");
    }

    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    [Benchmark(OperationsPerInvoke = AllocatorBenchmarks.Batch)]
    public async Task Order0_AllocateMany_FreeMany_4096()
    {
        var got = (AllocatedMany)await _zone.Ask<object>(new AllocateMany(0, AllocatorBenchmarks.Batch));
        var freed = (FreedMany)await _zone.Ask<object>(new FreeMany(got.Blocks));
        if (got.Blocks.Length != AllocatorBenchmarks.Batch || freed.Freed != got.Blocks.Length)
            throw new InvalidOperationException("the zone did not serve the whole batch");
    }

    [Benchmark(OperationsPerInvoke = AllocatorBenchmarks.Order9Batch)]
    public async Task Order9_AllocateMany_FreeMany_256()
    {
        var got = (AllocatedMany)await _zone.Ask<object>(new AllocateMany(9, AllocatorBenchmarks.Order9Batch));
        var freed = (FreedMany)await _zone.Ask<object>(new FreeMany(got.Blocks));
        if (got.Blocks.Length != AllocatorBenchmarks.Order9Batch || freed.Freed != got.Blocks.Length)
            throw new InvalidOperationException("the zone did not serve the whole batch");
    }

    [Benchmark(OperationsPerInvoke = AllocatorBenchmarks.Batch)]
    public async Task Order9_AllocateMany_FreeMany_4096_16GiBGuest()
    {
        var got = (AllocatedMany)await _largeZone.Ask<object>(new AllocateMany(9, AllocatorBenchmarks.Batch));
        var freed = (FreedMany)await _largeZone.Ask<object>(new FreeMany(got.Blocks));
        if (got.Blocks.Length != AllocatorBenchmarks.Batch || freed.Freed != got.Blocks.Length)
            throw new InvalidOperationException("the zone did not serve the whole batch");
    }
}
