using System.Diagnostics;
using PageReportingActors.Host.Replay;
using PageReportingActors.Host.Simulation;
using PageReportingActors.Replay;

namespace PageReportingActors.Benchmarks;

/// <summary>
/// The whole replay of the traced reference guest through the host (zone, reporter, registry and
/// device actors on virtual time), from its plain text already decompressed into memory: wall time
/// after start-up and events per second, after one warm-up run so JIT is not counted. Memory: the
/// largest managed heap seen during a replay of the whole trace and of its first half (same guest,
/// same timeline length): equal heaps mean memory does not grow with the trace.
/// </summary>
internal static class ReplayMode
{
    public static void Run(int repeat)
    {
        var data = ReplayBenchmarks.FindData();
        byte[] trace;
        using (var input = CompressedInput.Open(Path.Combine(data, "trace.txt.xz")))
        using (var copy = new MemoryStream())
        {
            input.CopyTo(copy);
            trace = copy.ToArray();
        }
        var half = FirstHalf(trace);
        var guest = ReplayGuest.LoadFile(Path.Combine(data, "guest.json"));
        var snapshot = KpageflagsSnapshot.Load(Path.Combine(data, "kpageflags.bin.xz"), guest.Scenario.Zones.Max(z => z.StartPfn + z.Pages));
        var options = new RunOptions(TimeSpan.FromMilliseconds(100), Path.GetTempPath());

        Once(guest, snapshot, trace, options, out _);
        for (var i = 0; i < 2; i++)
        {
            var clock = Stopwatch.StartNew();
            using var reader = new TraceReader(new MemoryStream(trace, writable: false));
            while (reader.TryRead(out _)) { }
            Console.WriteLine($"parsing alone: {clock.Elapsed.TotalSeconds:F3} s");
        }
        Console.WriteLine("| run | events | wall s | after start-up s | events per s after start-up | messages |");
        Console.WriteLine("|---|---|---|---|---|---|");
        for (var i = 0; i < repeat; i++)
        {
            var r = Once(guest, snapshot, trace, options, out _);
            var s = r.Replay!;
            Console.WriteLine($"| {i + 1} | {s.TotalEvents:N0} | {r.Summary.WallSeconds:F3} | {s.WallSecondsAfterStart:F3} | {s.TotalEvents / s.WallSecondsAfterStart:N0} | {s.Messages:N0} |");
        }
        Once(guest, snapshot, half, options, out var halfPeak, measureHeap: true);
        Once(guest, snapshot, trace, options, out var fullPeak, measureHeap: true);
        // Both trace texts stay in memory throughout; what the replay holds is the rest.
        var held = trace.Length + half.Length;
        Console.WriteLine($"largest live managed heap during the replay, the trace texts held here ({held / 1048576.0:F1} MiB) aside: first half of the trace {(halfPeak - held) / 1048576.0:F1} MiB, whole trace {(fullPeak - held) / 1048576.0:F1} MiB");
    }

    private static RunResult Once(ReplayGuest guest, KpageflagsSnapshot snapshot, byte[] trace, RunOptions options, out long peakHeap, bool measureHeap = false)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long peak = 0;
        // A full collection at every percent of the run: the live heap, not garbage not yet collected.
        var probe = measureHeap ? new HeapProbe(() => peak = Math.Max(peak, GC.GetTotalMemory(true))) : null;
        var result = ReplayRunner.Run(guest, () => new TraceReader(new MemoryStream(trace, writable: false), "trace.txt"), snapshot,
            options with { Progress = probe });
        peakHeap = peak;
        return result;
    }

    private static byte[] FirstHalf(byte[] trace)
    {
        var cut = Array.IndexOf(trace, (byte)'\n', trace.Length / 2) + 1;
        return trace[..cut];
    }

    private sealed class HeapProbe(Action probe) : IProgress<double>
    {
        public void Report(double value) => probe();
    }
}
