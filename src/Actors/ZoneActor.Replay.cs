using System.Collections.Immutable;
using Akka.Actor;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Replay;

namespace PageReportingActors;

/// <summary>
/// Replay of a recorded allocator trace: the zone applies the trace's events to its own free area
/// through a <see cref="ReplayEngine"/> it owns, so reporting, walks and notifications see exactly
/// what they see for ordinary allocations and frees.
/// </summary>
public sealed partial class ZoneActor
{
    private ReplayEngine? _replay;
    // Where the blocks given to users go: the sender of the trace's batches (the host's view of residency).
    private IActorRef? _replayFeeder;
    private readonly List<ReplayEffect> _deferredEffects = [];
    // Whether users hold blocks this zone handed out: a trace knows nothing of them.
    private bool _servedAllocations;

    private void ReceiveTraceReplay()
    {
        Receive<StartTraceReplay>(HandleStartReplay);
        Receive<ApplyTraceEvents>(HandleApplyTraceEvents);
        Receive<GetTraceReplayStatus>(m => Sender.Tell(ReplayStatus(m.CheckInvariants)));
    }

    private void HandleStartReplay(StartTraceReplay m)
    {
        if (_replay is not null)
        {
            Sender.Tell(new TraceReplayRejected(_area.Name, "already replaying a trace"));
            return;
        }
        if (_walk is not null || _area.IsolatedPages != 0)
        {
            Sender.Tell(new TraceReplayRejected(_area.Name, "a pass is walking the zone; start a replay before reporting runs"));
            return;
        }
        // The trace's events and layout would free, or lay out as free, blocks users hold: handed out twice, freed twice.
        if (_servedAllocations || _area.PerCpuPages != 0)
        {
            Sender.Tell(new TraceReplayRejected(_area.Name,
                _servedAllocations
                    ? "the zone has served allocations, whose blocks a trace would free or lay out as free; start a replay on a zone that has served none"
                    : $"the zone's per-CPU lists hold {_area.PerCpuPages} pages a trace knows nothing of; start a replay on a zone that has served none"));
            return;
        }
        if (m.FreeRuns is { } runs)
        {
            var problem = CheckRuns(runs);
            if (problem is not null)
            {
                Sender.Tell(new TraceReplayRejected(_area.Name, problem));
                return;
            }
            _area.ResetLayout(FreeIn(runs));
        }
        _replay = new ReplayEngine([_area], [m.HasCpuLists]);
        Sender.Tell(new TraceReplayStarted(_area.Name, _area.FreePages, _area.AllocatedPages));
    }

    private string? CheckRuns(ImmutableArray<PfnRun> runs)
    {
        var previousEnd = long.MinValue;
        foreach (var run in runs)
        {
            if (run.StartPfn >= run.EndPfn) return $"free run [{run.StartPfn}, {run.EndPfn}) is empty";
            if (run.StartPfn < previousEnd) return $"free run at pfn {run.StartPfn} is not after the one before";
            previousEnd = run.EndPfn;
        }
        return null;
    }

    /// <summary>Whether a pfn lies in one of the sorted runs; asked in ascending pfn order by the layout.</summary>
    private static Func<long, bool> FreeIn(ImmutableArray<PfnRun> runs)
    {
        var i = 0;
        return pfn =>
        {
            while (i < runs.Length && runs[i].EndPfn <= pfn) i++;
            if (i < runs.Length && pfn >= runs[i].StartPfn) return true;
            // A lookup behind the cursor (never made by the layout's scan) searches from the start.
            if (i > 0 && pfn < runs[i - 1].EndPfn)
            {
                foreach (var run in runs) if (pfn >= run.StartPfn && pfn < run.EndPfn) return true;
            }
            return false;
        };
    }

    private void HandleApplyTraceEvents(ApplyTraceEvents m)
    {
        if (_replay is null)
        {
            Sender.Tell(new TraceReplayRejected(_area.Name, "not replaying: send StartTraceReplay first"));
            return;
        }
        _replayFeeder = Sender;
        var given = ImmutableArray.CreateBuilder<Block>();
        int applied = 0, deferred = 0;
        foreach (var e in m.Events.IsDefault ? ImmutableArray<TraceEvent>.Empty : m.Events)
        {
            var effect = _replay.Apply(e);
            switch (effect.Kind)
            {
                case ReplayEffectKind.Deferred:
                    deferred++;
                    continue;
                case ReplayEffectKind.GivenToUser:
                    given.Add(effect.Block);
                    break;
                case ReplayEffectKind.FreedToBuddy:
                    NotifyAt(effect.Block.Order, e.TimestampNanos - m.NowNanos);
                    break;
            }
            applied++;
        }
        Sender.Tell(new TraceEventsApplied(_area.Name, applied, deferred, given.ToImmutable()));
    }

    /// <summary>
    /// R5 at the free's own time: the batch is applied at its first event's time, and nothing else
    /// happens before its last, so the notification is the only thing that must wait for its moment.
    /// </summary>
    private void NotifyAt(int mergedOrder, long laterByNanos)
    {
        if (_notifyOrder is not { } order || mergedOrder < order || _reporter is null) return;
        if (laterByNanos <= 0)
        {
            _reporter.Tell(new RequestReporting(_area.Name));
            return;
        }
        Context.System.Scheduler.ScheduleTellOnce(TimeSpan.FromTicks(laterByNanos / 100), _reporter, new RequestReporting(_area.Name), Self);
    }

    /// <summary>A lent batch came back: the events that waited for it are applied now, in order.</summary>
    private void AfterBatchReturned()
    {
        if (_replay is null || !_replay.HasDeferred(0)) return;
        _deferredEffects.Clear();
        _replay.ApplyDeferred(0, _deferredEffects);
        if (_deferredEffects.Count == 0) return;
        var given = ImmutableArray.CreateBuilder<Block>();
        var highest = -1;
        foreach (var effect in _deferredEffects)
        {
            if (effect.Kind == ReplayEffectKind.GivenToUser) given.Add(effect.Block);
            else if (effect.Kind == ReplayEffectKind.FreedToBuddy) highest = Math.Max(highest, effect.Block.Order);
        }
        if (highest >= 0) Notify(highest);
        _replayFeeder?.Tell(new TraceEventsApplied(_area.Name, _deferredEffects.Count, 0, given.ToImmutable()));
    }

    private IZoneReply ReplayStatus(bool checkInvariants)
    {
        if (_replay is null) return new TraceReplayRejected(_area.Name, "not replaying a trace");
        var conflicts = Enum.GetValues<ReplayConflictKind>().Select(k => _replay.Conflicts(k)).ToImmutableArray();
        return new TraceReplayStatus(_area.Name, _replay.PcpPages(0), _replay.Applied, _replay.OutsideGuest, _replay.Misaligned,
            _replay.DeferredCount(0), conflicts, [.. _replay.Examples], checkInvariants ? _replay.CheckInvariants() : null);
    }
}
