using BenchmarkDotNet.Attributes;
using PageReportingActors.Allocator;
using PageReportingActors.Memory;

namespace PageReportingActors.Benchmarks;

/// <summary>
/// One round of the fleet's churn on the DMA32 zone of a 1 GiB guest (6.12, per-CPU lists sized as
/// the kernel sizes them): 256 MiB of order-0 pages held, a seeded random quarter of them freed
/// in held order, as many taken back. The old path asks one page at a time (<see cref="ZoneFreeArea.Allocate"/>,
/// <see cref="ZoneFreeArea.Free"/>); the new one in bulk (<see cref="ZoneFreeArea.AllocateMany"/>,
/// <see cref="ZoneFreeArea.FreeMany"/>). Both zones run the same rounds and end each alike (the
/// bulk equivalence test checks that), so the figures compare the same work. Each figure is per
/// page freed and taken back (OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
public class ChurnBenchmarks
{
    private const int Held = 1 << 16;
    private const int Churned = Held / 4;

    private readonly State _pageAtATime = new();
    private readonly State _bulk = new();

    [GlobalSetup]
    public void Setup()
    {
        _pageAtATime.Start();
        _bulk.Start();
    }

    /// <summary>The old path: one call per page.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Churned)]
    public void Order0_Churn256MiB_PageAtATime()
    {
        var s = _pageAtATime;
        var freed = s.Choose();
        foreach (var block in freed) s.Zone.Free(block.Pfn, 0);
        for (var i = 0; i < freed.Length; i++) s.Taken[i] = s.Zone.Allocate(0).Block;
        s.Keep(freed.Length);
    }

    /// <summary>The new path: the round's frees in one call, its allocations in another.</summary>
    [Benchmark(OperationsPerInvoke = Churned)]
    public void Order0_Churn256MiB_Bulk()
    {
        var s = _bulk;
        var freed = s.Choose();
        s.Zone.FreeMany(freed);
        s.Zone.AllocateMany(0, s.Taken.AsSpan(0, freed.Length));
        s.Keep(freed.Length);
    }

    /// <summary>A zone holding 256 MiB of order-0 pages, with a seeded choice of which to churn.</summary>
    private sealed class State
    {
        public ZoneFreeArea Zone = null!;
        public readonly Block[] Taken = new Block[Churned];
        private readonly Block[] _held = new Block[Held];
        private readonly Block[] _freed = new Block[Churned];
        // 16 seeded choices of a quarter of the held places, in ascending order, made once so that
        // choosing costs the rounds only the copy.
        private readonly int[][] _choices = new int[16][];
        private int[] _indexes = [];
        private int _round;

        public void Start()
        {
            Zone = new ZoneFreeArea(Zones.OneGiBZone(KernelProfile.Linux6_12));
            if (Zone.AllocateMany(0, _held).Count != Held) throw new InvalidOperationException("the zone could not hold 256 MiB");
            var random = new Random(21);
            var all = Enumerable.Range(0, Held).ToArray();
            for (var c = 0; c < _choices.Length; c++)
            {
                random.Shuffle(all);
                _choices[c] = all[..Churned];
                Array.Sort(_choices[c]);
            }
        }

        /// <summary>A random quarter of the held pages, in held order; their places take the next allocations.</summary>
        public Block[] Choose()
        {
            _indexes = _choices[_round++ % _choices.Length];
            for (var i = 0; i < Churned; i++) _freed[i] = _held[_indexes[i]];
            return _freed;
        }

        public void Keep(int count)
        {
            for (var i = 0; i < count; i++) _held[_indexes[i]] = Taken[i];
        }
    }
}
