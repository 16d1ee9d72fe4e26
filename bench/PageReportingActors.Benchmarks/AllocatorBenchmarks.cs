using BenchmarkDotNet.Attributes;
using PageReportingActors.Allocator;
using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors.Benchmarks;

/// <summary>
/// (1) The buddy allocator alone, on the DMA32 zone of a 1 GiB guest. Each figure is the cost of
/// one allocate+free pair (OperationsPerInvoke); the zone is back in the same state after every
/// invocation, so the work per pair does not drift.
/// </summary>
[MemoryDiagnoser]
public class AllocatorBenchmarks
{
    public const int Batch = 4096;
    public const int Order9Batch = 256;

    private ZoneFreeArea _fresh = null!;
    private ZoneFreeArea _fragmented = null!;
    private ZoneFreeArea _large = null!;
    private ZoneFreeArea _perCpu61 = null!;
    private ZoneFreeArea _perCpu612 = null!;
    private readonly Block[] _blocks = new Block[Batch];

    [GlobalSetup]
    public void Setup()
    {
        _fresh = new ZoneFreeArea(Zones.OneGiBZone());
        _fragmented = new ZoneFreeArea(Zones.OneGiBZone());
        // 64 MiB touched, half of it given back: 8192 free order-0 blocks with busy buddies.
        Zones.Fragment(_fragmented, 16384);
        _large = new ZoneFreeArea(Zones.SixteenGiBNormalZone());
        _perCpu61 = new ZoneFreeArea(Zones.OneGiBZone(KernelProfile.Linux6_1));
        _perCpu612 = new ZoneFreeArea(Zones.OneGiBZone(KernelProfile.Linux6_12));
    }

    /// <summary>R21, R22: one order-0 page allocated and freed at a time through the per-CPU list (6.12): the kernel's fast path.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public void Order0_Pair_PerCpu612()
    {
        var zone = _perCpu612;
        for (var i = 0; i < Batch; i++)
        {
            var block = zone.Allocate(0).Block;
            zone.Free(block.Pfn, 0);
        }
    }

    /// <summary>The same on 6.1.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public void Order0_Pair_PerCpu61()
    {
        var zone = _perCpu61;
        for (var i = 0; i < Batch; i++)
        {
            var block = zone.Allocate(0).Block;
            zone.Free(block.Pfn, 0);
        }
    }

    /// <summary>4096 order-0 pages allocated, then freed, through the per-CPU list (6.12): refills and flushes of up to 32 batches.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public void Order0_Batch4096_PerCpu612()
    {
        var zone = _perCpu612;
        for (var i = 0; i < Batch; i++) _blocks[i] = zone.Allocate(0).Block;
        for (var i = 0; i < Batch; i++) zone.Free(_blocks[i].Pfn, 0);
    }

    /// <summary>Allocate 4096 order-0 pages, then free them: about one split and one merge per pair (as AllocateMany/FreeMany do).</summary>
    [Benchmark(OperationsPerInvoke = Batch, Baseline = true)]
    public void Order0_Batch4096()
    {
        var zone = _fresh;
        for (var i = 0; i < Batch; i++) _blocks[i] = zone.Allocate(0).Block;
        for (var i = 0; i < Batch; i++) zone.Free(_blocks[i].Pfn, 0);
    }

    /// <summary>Allocate one order-0 page and free it at once, in a zone of order-10 blocks: 10 splits and 10 merges per pair (worst case).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public void Order0_Pair_Unfragmented()
    {
        var zone = _fresh;
        for (var i = 0; i < Batch; i++)
        {
            var block = zone.Allocate(0).Block;
            zone.Free(block.Pfn, 0);
        }
    }

    /// <summary>Allocate one order-0 page and free it at once, where free order-0 pages exist: no split, no merge (best case).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public void Order0_Pair_Fragmented()
    {
        var zone = _fragmented;
        for (var i = 0; i < Batch; i++)
        {
            var block = zone.Allocate(0).Block;
            zone.Free(block.Pfn, 0);
        }
    }

    /// <summary>Allocate 256 order-9 blocks (512 MiB), then free them: one split and one merge per pair.</summary>
    [Benchmark(OperationsPerInvoke = Order9Batch)]
    public void Order9_Batch256()
    {
        var zone = _fresh;
        for (var i = 0; i < Order9Batch; i++) _blocks[i] = zone.Allocate(9).Block;
        for (var i = 0; i < Order9Batch; i++) zone.Free(_blocks[i].Pfn, 9);
    }

    /// <summary>Allocate 4096 order-9 blocks (8 GiB), then free them, in the Normal zone of a 16 GiB guest.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public void Order9_Batch4096_16GiBGuest()
    {
        var zone = _large;
        for (var i = 0; i < Batch; i++) _blocks[i] = zone.Allocate(9).Block;
        for (var i = 0; i < Batch; i++) zone.Free(_blocks[i].Pfn, 9);
    }

    /// <summary>Allocate one order-9 block and free it at once.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public void Order9_Pair()
    {
        var zone = _fresh;
        for (var i = 0; i < Batch; i++)
        {
            var block = zone.Allocate(9).Block;
            zone.Free(block.Pfn, 9);
        }
    }
}
