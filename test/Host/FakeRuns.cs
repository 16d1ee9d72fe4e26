using PageReportingActors.Host.Simulation;
using PageReportingActors.Hypervisor;

namespace PageReportingActors.Tests.Host;

/// <summary>Run results made up for testing the host without the simulation.</summary>
internal static class FakeRuns
{
    private const long MiB = 1L << 20;

    public static RunResult Result(string scenario = "1 GiB guest frees 512 MiB", int rows = 351)
    {
        var timeline = new List<TimelineRow>();
        for (var i = 0; i < rows; i++)
        {
            var t = i * 0.1;
            // Resident grows at 10 s, reports bring it down from 17 s; reported memory rises from 2 s.
            var hog = t is >= 10 and < 17 ? 512 * MiB : t >= 17 ? Math.Max(0, 512 * MiB - (long)((t - 17) * 256 * MiB)) : 0;
            var reported = t < 2 ? 0 : Math.Min(900 * MiB, (long)((t - 2) * 400 * MiB));
            if (t is >= 10 and < 15) reported = Math.Max(0, reported - 512 * MiB);
            var resident = 120 * MiB + hog + (t < 2 ? 900 * MiB - reported : 0);
            timeline.Add(new TimelineRow(Math.Round(t, 1), 900 * MiB, reported, t is >= 17 and < 17.1 ? 4 * MiB : 0, resident)
            {
                // 512 MiB written at 10 s, 131072 faults, of which the 60,000 that had been reported before are refaults.
                Host = Host(resident) with { HostFaults = t >= 10 ? 131_072 : 0, Refaults = t >= 10 ? 60_000 : 0 },
            });
        }
        return new RunResult(
            scenario,
            1,
            new RunSettings(9, 2.0, 32),
            [
                new ReportRecord(17.0, "DMA32", 32, 32768, 134217728, new Dictionary<int, int> { [10] = 32 }, true),
                new ReportRecord(17.001000000001, "DMA32", 3, 1536, 6291456, new Dictionary<int, int> { [10] = 1, [9] = 2 }, false),
            ],
            [new PassRecord(17.0, 17.0020000001, 2, 134217728)],
            timeline,
            [new AllocationShortfall(10.0, "hog", 512 * MiB, 500 * MiB, "below min watermark")],
            new RunSummary(2, 1, 134217728, 1, 35.0, 0.4123, 1_000_000_000, 1_600_000_000, 700_000_000))
        {
            Host = Host(700_000_000),
        };
    }

    /// <summary>A 4KiB host's ledger after the run above.</summary>
    public static HostSnapshot Host(long resident) => new(
        HostBacking.Pages4KiB, 4096, false, resident, 1_000_000_000, 1_600_000_000, 1_600_000_000,
        ReportCalls: 1, Entries: 32, DiscardedBytes: 134217728, IgnoredEntries: 0, IgnoredBytes: 0,
        HostFaults: 131_072, Refaults: 60_000, RefaultBytes: 60_000 * 4096L, SplitFrames: 0,
        HostCpuSeconds: 0.5, UnitCosts: UnitCosts.Defaults);
}
