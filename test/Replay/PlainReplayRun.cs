using PageReportingActors.Allocator;
using PageReportingActors.Host.Replay;
using PageReportingActors.Memory;
using PageReportingActors.Replay;
using PageReportingActors.Reporting;

namespace PageReportingActors.Tests.Replay;

/// <summary>
/// The reference trace replayed in a plain loop on its own clock, without actors: the reporter's
/// states (R6, R13), passes through <see cref="ZoneReportingWalk"/> with the device answering
/// after <c>latency</c> (events in between are applied while the batch is lent), and the
/// hypervisor's view (a block given to a user becomes resident, a reported one does not).
/// Host-resident memory is sampled every 50 ms.
/// </summary>
internal sealed class PlainReplayRun
{
    private enum ReporterState { Idle, Requested, Active }

    private readonly ZoneFreeArea[] _zones;
    private readonly bool[] _resident;
    private readonly ReplayFeed _feed;
    private readonly Action<TraceEvent, ReplayEffect> _observe;
    private readonly PassSettings _settings;
    private readonly double _delay;
    private readonly double _latency;
    private readonly List<ReplayEffect> _effects = [];
    private ReporterState _state;
    private double _timer;
    private bool _requestedWhileActive;
    private double _nextSample;

    private PlainReplayRun(TraceReader reader, int order, int capacity, double delay, double latency)
    {
        _zones = ReplayKit.ZonesFromSnapshot();
        Engine = new ReplayEngine(_zones);
        _feed = new ReplayFeed(reader, Engine);
        _observe = (e, effect) => Handle(effect, e.Seconds);
        _settings = new PassSettings(order, capacity);
        _delay = delay;
        _latency = latency;
        _resident = new bool[_zones[^1].EndPfn];
        foreach (var zone in _zones)
            foreach (var (block, kind, _) in zone.Blocks())
                if (kind != PageKind.Free) SetResident(block, true);
    }

    public ReplayEngine Engine { get; }
    public List<(double T, double Mib)> Samples { get; } = [];
    public int Passes { get; private set; }
    public int Reports { get; private set; }
    public long ResidentPages { get; private set; }

    public static PlainReplayRun Run(double register, double stop, int order, int capacity = 32, double delay = 2.0, double latency = 0.001)
    {
        using var reader = TraceReader.Open(ReplayKit.TracePath);
        var run = new PlainReplayRun(reader, order, capacity, delay, latency);
        // R18: registration requests a first pass.
        run.AdvanceTo(register);
        run._state = ReporterState.Requested;
        run._timer = register + delay;
        while (true)
        {
            run.AdvanceTo(stop);
            if (run._state != ReporterState.Requested || run._timer > stop) return run;
            run.RunPass();
        }
    }

    /// <summary>
    /// Applies the events and takes the samples due up to <paramref name="t"/>, in time order;
    /// stops early at a pass's timer.
    /// </summary>
    private void AdvanceTo(double t)
    {
        while (true)
        {
            var next = _feed.NextEventNanos;
            var eventAt = next is { } nanos ? nanos / 1e9 : double.PositiveInfinity;
            var bound = _state == ReporterState.Requested ? Math.Min(t, _timer) : t;
            if (Math.Min(eventAt, _nextSample) > bound) return;
            if (_nextSample <= eventAt)
            {
                Samples.Add((_nextSample, ResidentPages * 4096.0 / (1 << 20)));
                _nextSample = Math.Round(_nextSample + 0.05, 3);
                continue;
            }
            _feed.ApplyThrough(next!.Value, _observe);
        }
    }

    private void Handle(ReplayEffect effect, double now)
    {
        if (effect.Kind == ReplayEffectKind.GivenToUser) SetResident(effect.Block, true);
        if (!effect.Notifies(_settings.ReportingOrder)) return;
        // R6: Idle arms the timer; Requested does nothing; Active leaves the re-arming to the pass's end.
        switch (_state)
        {
            case ReporterState.Idle:
                _state = ReporterState.Requested;
                _timer = now + _delay;
                break;
            case ReporterState.Active:
                _requestedWhileActive = true;
                break;
        }
    }

    private void RunPass()
    {
        Passes++;
        _state = ReporterState.Active;
        _requestedWhileActive = false;
        var another = false;
        var now = _timer;
        for (var zi = 0; zi < _zones.Length; zi++)
        {
            var walk = new ZoneReportingWalk(_zones[zi], _settings);
            var step = walk.Advance();
            while (step.Kind == WalkStepKind.Report)
            {
                Reports++;
                now += _latency;
                AdvanceTo(now);
                foreach (var block in step.Batch) SetResident(block, false);
                step = walk.Complete(true).Next;
                _effects.Clear();
                Engine.ApplyDeferred(zi, _effects);
                foreach (var effect in _effects) Handle(effect, now);
            }
            another |= walk.RequestAnotherPass;
        }
        // R13
        if (another || _requestedWhileActive)
        {
            _state = ReporterState.Requested;
            _timer = now + _delay;
        }
        else
        {
            _state = ReporterState.Idle;
        }
    }

    private void SetResident(Block block, bool resident)
    {
        for (var p = block.Pfn; p < block.Pfn + block.Pages; p++)
        {
            if (_resident[p] == resident) continue;
            _resident[p] = resident;
            ResidentPages += resident ? 1 : -1;
        }
    }
}
