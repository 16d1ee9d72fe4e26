using System.Collections.Immutable;
using Akka.Actor;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Replay;

namespace PageReportingActors.Host.Replay;

/// <summary>
/// A recorded trace as a guest's workload, with the guest file's own steps (register, unregister,
/// setOrder, stop) at their times. Events go to the zone actor that holds their block, in batches:
/// one message per zone carries every event due before the next thing on the clock (a timer, a
/// guest step, a timeline sample), so nothing observes the zone between two events of a batch and
/// a million events do not mean a million messages. Only one event is read ahead.
/// </summary>
internal sealed class TraceReplayWorkload : IWorkload
{
    /// <summary>The most events one message carries; bounds a batch's memory.</summary>
    public const int MaxBatch = 4096;

    private readonly ScenarioWorkload _steps;
    private readonly TraceReader _reader;
    private readonly (long Start, long End)[] _zones;
    private readonly IActorRef _feeder;
    private readonly ImmutableArray<TraceEvent>.Builder[] _batches;
    private readonly long _delayNanos;
    private TraceEvent _next;
    private bool _haveNext;

    public TraceReplayWorkload(Scenario guest, TimeSpan stopAt, TraceReader reader, IActorRef feeder)
    {
        ArgumentNullException.ThrowIfNull(guest);
        _steps = new ScenarioWorkload(guest, stopAt);
        _reader = reader;
        _feeder = feeder;
        _delayNanos = NanosOf(guest.Reporting.Delay);
        _zones = guest.Zones.Select(z => (z.StartPfn, z.StartPfn + z.Pages)).ToArray();
        _batches = _zones.Select(_ => ImmutableArray.CreateBuilder<TraceEvent>(MaxBatch)).ToArray();
        _haveNext = _reader.TryRead(out _next);
        // A trace with none of the five events is refused before anything runs.
        if (!_haveNext) _reader.EnsureHadEvents();
    }

    /// <summary>The latest virtual time a batch may reach: the next timeline sample (inclusive).</summary>
    public TimeSpan Horizon { get; set; } = TimeSpan.MaxValue;

    public TraceCounts Counts => _reader.Counts;

    /// <summary>Events whose block lies in no zone (or straddles a zone's end), skipped.</summary>
    public long OutsideGuest { get; private set; }

    /// <summary>Events whose pfn is not aligned to their order, skipped.</summary>
    public long Misaligned { get; private set; }

    /// <summary>Events sent to the zones.</summary>
    public long Sent { get; private set; }

    public long Messages { get; private set; }

    /// <summary>The timestamp of the next event, or null when the trace is done.</summary>
    public long? NextEventNanos => _haveNext ? _next.TimestampNanos : null;

    public TimeSpan? NextAt
    {
        get
        {
            var step = _steps.NextAt;
            if (!_haveNext) return step;
            var at = TimeOf(_next.TimestampNanos);
            return step is { } s && s <= at ? s : at;
        }
    }

    public void RunNext(SimulatedGuest guest)
    {
        ArgumentNullException.ThrowIfNull(guest);
        var step = _steps.NextAt;
        if (step is { } s && (!_haveNext || s <= TimeOf(_next.TimestampNanos)))
        {
            _steps.RunNext(guest);
            return;
        }
        var nowNanos = guest.Now.Ticks * 100;
        // Timers due at an event's instant run before it, guest steps too; a sample at its instant comes after it.
        var before = Math.Min(NanosOf(step), NanosOf(guest.Runtime.Clock.NextDue - VirtualTimeScheduler.Epoch));
        // A notification arms the reporter's timer a delay after its free: a batch ends before any
        // timer it causes could fall due.
        before = Math.Min(before, nowNanos + Math.Max(_delayNanos, 100));
        // The clock counts 100 ns ticks: the horizon's tick holds events up to its last nanosecond.
        var through = NanosOf(Horizon) is var h && h == long.MaxValue ? h : h + 99;
        while (_haveNext && _next.TimestampNanos < before && _next.TimestampNanos <= through)
        {
            var zone = ZoneOf(_next.Pfn, _next.Order);
            if (zone >= 0)
            {
                _batches[zone].Add(_next);
                Sent++;
                if (_batches[zone].Count == MaxBatch) Flush(guest, zone, nowNanos);
            }
            _haveNext = _reader.TryRead(out _next);
        }
        for (var zone = 0; zone < _batches.Length; zone++)
            if (_batches[zone].Count > 0) Flush(guest, zone, nowNanos);
    }

    private void Flush(SimulatedGuest guest, int zone, long nowNanos)
    {
        Messages++;
        var events = _batches[zone].ToImmutable();
        _batches[zone].Clear();
        guest.Runtime.Tell(guest.Actors.Zones[zone], new ApplyTraceEvents(nowNanos, events), _feeder);
    }

    private int ZoneOf(long pfn, int order)
    {
        if ((pfn & ((1L << order) - 1)) != 0)
        {
            Misaligned++;
            return -1;
        }
        for (var i = 0; i < _zones.Length; i++)
            if (pfn >= _zones[i].Start && pfn + (1L << order) <= _zones[i].End) return i;
        OutsideGuest++;
        return -1;
    }

    /// <summary>Trace nanoseconds on the virtual clock (100 ns ticks; ftrace prints microseconds).</summary>
    public static TimeSpan TimeOf(long nanos) => TimeSpan.FromTicks(Math.Max(0, nanos) / 100);

    private static long NanosOf(TimeSpan? at) =>
        at is not { } t || t.Ticks >= long.MaxValue / 100 ? long.MaxValue : t.Ticks * 100;
}
