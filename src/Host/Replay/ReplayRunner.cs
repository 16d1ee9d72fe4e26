using System.Collections.Immutable;
using System.Diagnostics;
using PageReportingActors.Host.Simulation;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Replay;

namespace PageReportingActors.Host.Replay;

/// <summary>
/// Replays a recorded trace as an ordinary run: the guest file's zones, reporting and device on
/// virtual time (the guest's uptime from 0), the starting layout from the snapshot, the guest's
/// steps at their times, and each event applied by the zone actor that holds its block.
/// </summary>
internal static class ReplayRunner
{
    public static Task<RunResult> RunAsync(ReplayGuest guest, Func<TraceReader> openTrace, KpageflagsSnapshot? snapshot, RunOptions options,
        CancellationToken cancellation = default) =>
        Task.Run(() => Run(guest, openTrace, snapshot, options, cancellation), cancellation);

    public static RunResult Run(ReplayGuest guest, Func<TraceReader> openTrace, KpageflagsSnapshot? snapshot, RunOptions options,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(guest);
        ArgumentNullException.ThrowIfNull(openTrace);
        ArgumentNullException.ThrowIfNull(options);
        var wall = Stopwatch.StartNew();
        var scenario = guest.Scenario;
        var stopAt = ScenarioWorkload.StopTime(scenario);
        using var reader = openTrace();
        var tally = new ReplayTally();
        // Reads up to the first event: a trace with none is refused before the actors start.
        TraceReplayWorkload? workload = null;
        var deferred = new DeferredWorkload(() => workload!);
        using var simulation = GuestSimulation.Start(scenario, deferred, stopAt, cancellation);
        var feeder = simulation.Guest.Runtime.StartActor(ReplayResidencyActor.Props(simulation.Guest.Hypervisor, tally), "replay-feeder");
        StartZones(simulation, guest, snapshot);
        workload = new TraceReplayWorkload(scenario, stopAt, reader, feeder);
        var afterStart = Stopwatch.StartNew();

        simulation.RunToStop(options,
            advancing: at => workload.Horizon = at,
            advanced: () => ThrowOnRefusal(tally),
            amend: row => row with { PcpBytes = PageGeometry.BytesOfPages(PcpPages(simulation)) });
        var summary = Summarize(simulation, workload, reader, snapshot is not null, tally);
        return simulation.BuildResult(wall.Elapsed.TotalSeconds) with { Replay = summary with { WallSecondsAfterStart = afterStart.Elapsed.TotalSeconds } };
    }

    /// <summary>Each zone starts replaying, laid out as the snapshot saw it; the host's residency follows the layout.</summary>
    private static void StartZones(GuestSimulation simulation, ReplayGuest guest, KpageflagsSnapshot? snapshot)
    {
        var zones = guest.Scenario.Zones;
        var resident = new List<(long, long)>();
        for (var i = 0; i < zones.Count; i++)
        {
            var spec = zones[i];
            ImmutableArray<PfnRun>? runs = snapshot is null ? null : FreeRuns(snapshot, spec.StartPfn, spec.StartPfn + spec.Pages);
            var answer = simulation.Guest.Ask<IZoneReply>(simulation.Guest.Actors.Zones[i],
                new StartTraceReplay(guest.ZoneHasCpuLists[i], runs));
            if (answer is TraceReplayRejected rejected)
                throw new InvalidOperationException($"zone {rejected.Zone} refused the replay: {rejected.Reason}");
            if (runs is { } free)
            {
                var at = spec.StartPfn;
                foreach (var run in free)
                {
                    if (run.StartPfn > at) resident.Add((at, run.StartPfn - at));
                    at = run.EndPfn;
                }
                if (at < spec.StartPfn + spec.Pages) resident.Add((at, spec.StartPfn + spec.Pages - at));
            }
            else
            {
                resident.Add((spec.StartPfn, spec.Pages - spec.FreePages));
            }
        }
        if (snapshot is not null) simulation.Guest.Hypervisor.ResetResidency(resident);
    }

    public static ImmutableArray<PfnRun> FreeRuns(KpageflagsSnapshot snapshot, long start, long end)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var runs = ImmutableArray.CreateBuilder<PfnRun>();
        var p = start;
        while (p < end)
        {
            if (!snapshot.IsBuddy(p)) { p++; continue; }
            var runStart = p;
            while (p < end && snapshot.IsBuddy(p)) p++;
            runs.Add(new PfnRun(runStart, p));
        }
        return runs.ToImmutable();
    }

    private static long PcpPages(GuestSimulation simulation)
    {
        long pages = 0;
        foreach (var zone in simulation.Guest.Actors.Zones)
            if (simulation.Guest.Ask<IZoneReply>(zone, new GetTraceReplayStatus()) is TraceReplayStatus status) pages += status.PcpPages;
        return pages;
    }

    private static void ThrowOnRefusal(ReplayTally tally)
    {
        if (tally.Refusals.Count > 0) throw new InvalidOperationException($"replay refused: {tally.Refusals[0]}");
    }

    private static ReplaySummary Summarize(GuestSimulation simulation, TraceReplayWorkload workload, TraceReader reader, bool fromSnapshot, ReplayTally tally)
    {
        var conflicts = new long[Enum.GetValues<ReplayConflictKind>().Length];
        var examples = new List<ReplayConflict>();
        long outside = workload.OutsideGuest, misaligned = workload.Misaligned, waiting = 0;
        foreach (var zone in simulation.Guest.Actors.Zones)
        {
            var status = simulation.Guest.Ask<IZoneReply>(zone, new GetTraceReplayStatus(CheckInvariants: true)) as TraceReplayStatus
                ?? throw new InvalidOperationException("a zone stopped replaying");
            if (status.InvariantError is { } error) throw new InvalidOperationException($"zone {status.Zone} after the replay: {error}");
            for (var k = 0; k < conflicts.Length && k < status.Conflicts.Length; k++) conflicts[k] += status.Conflicts[k];
            examples.AddRange(status.Examples);
            outside += status.OutsideZone;
            misaligned += status.Misaligned;
            waiting += status.Waiting;
        }
        var counts = reader.Counts;
        var kinds = Enum.GetValues<ReplayConflictKind>();
        return new ReplaySummary(
            reader.Name,
            fromSnapshot,
            counts.Lines,
            Enum.GetValues<TraceEventKind>().ToDictionary(TraceEvent.NameOf, counts.Events),
            tally.Applied,
            conflicts[(int)ReplayConflictKind.HeldByDevice],
            counts.OtherLines,
            counts.OtherEvents,
            counts.Malformed,
            counts.FirstMalformedLine,
            outside,
            misaligned,
            conflicts[(int)ReplayConflictKind.Reserved],
            workload.NextEventNanos is not null,
            kinds.ToDictionary(ReplaySummary.NameOf, k => conflicts[(int)k]),
            examples.OrderBy(e => e.Line).ToList(),
            workload.Messages);
    }

    /// <summary>The workload handed to the simulation before the zones are ready; the trace's replay once they are.</summary>
    private sealed class DeferredWorkload(Func<IWorkload> workload) : IWorkload
    {
        public TimeSpan? NextAt => workload().NextAt;
        public void RunNext(SimulatedGuest guest) => workload().RunNext(guest);
    }
}
