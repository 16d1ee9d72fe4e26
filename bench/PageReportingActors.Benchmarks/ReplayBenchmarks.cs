using BenchmarkDotNet.Attributes;
using PageReportingActors.Allocator;
using PageReportingActors.Host.Replay;
using PageReportingActors.Memory;
using PageReportingActors.Replay;

namespace PageReportingActors.Benchmarks;

/// <summary>
/// The traced reference guest (652,710 kmem events) replayed from its plain text, already
/// decompressed into memory: parsing alone, and parsing with every event applied to the zones
/// laid out from the kpageflags snapshot. Events per second = 652,710 / the mean.
/// </summary>
[MemoryDiagnoser]
public class ReplayBenchmarks
{
    private byte[] _trace = [];
    private KpageflagsSnapshot? _snapshot;
    private ZoneSpec[] _specs = [];
    private ZoneFreeArea[] _zones = [];

    [GlobalSetup]
    public void Setup()
    {
        var data = FindData();
        using (var input = CompressedInput.Open(Path.Combine(data, "trace.txt.xz")))
        using (var copy = new MemoryStream())
        {
            input.CopyTo(copy);
            _trace = copy.ToArray();
        }
        // The reference guest's zones (guest.json).
        _specs =
        [
            new ZoneSpec("DMA", 0, 4096, 3808, new Watermarks(176, 220, 264)),
            new ZoneSpec("DMA32", 4096, 258_010, 235_528, new Watermarks(11_087, 13_858, 16_629)),
        ];
        _snapshot = KpageflagsSnapshot.Load(Path.Combine(data, "kpageflags.bin.xz"), _specs[^1].StartPfn + _specs[^1].Pages);
    }

    [IterationSetup(Target = nameof(ParseAndApply))]
    public void FreshZones()
    {
        _zones = _specs.Select(s => new ZoneFreeArea(s)).ToArray();
        foreach (var zone in _zones) _snapshot!.ApplyTo(zone);
    }

    [Benchmark]
    public long ParseOnly()
    {
        using var reader = new TraceReader(new MemoryStream(_trace, writable: false));
        long sum = 0;
        while (reader.TryRead(out var e)) sum += e.Pfn;
        return sum;
    }

    [Benchmark]
    public long ParseAndApply()
    {
        var engine = new ReplayEngine(_zones);
        using var reader = new TraceReader(new MemoryStream(_trace, writable: false));
        long given = 0;
        while (reader.TryRead(out var e))
            if (engine.Apply(e).Kind == ReplayEffectKind.GivenToUser) given++;
        return given + engine.Applied;
    }

    /// <summary>The reference data under test/Data/replay, found from wherever the benchmark runs in the repository.</summary>
    internal static string FindData()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "test", "Data", "replay");
            if (File.Exists(Path.Combine(candidate, "trace.txt.xz"))) return candidate;
        }
        throw new FileNotFoundException("test/Data/replay/trace.txt.xz not found above " + AppContext.BaseDirectory);
    }
}
