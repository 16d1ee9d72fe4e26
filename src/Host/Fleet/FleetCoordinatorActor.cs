using Akka.Actor;
using Akka.Event;

namespace PageReportingActors.Host.Fleet;

/// <summary>
/// Advances every guest of a fleet in lockstep, one sample at a time: it asks each guest entity
/// (through the shard region) for its sample at t, and moves to the next t only when all have
/// answered. Questions that go unanswered (their node left or died, and Sharding is moving the
/// guest elsewhere) are asked again every <see cref="LockstepPlan.RetryInterval"/>; the guest
/// then runs again from its start on its new node and answers the same.
/// </summary>
internal sealed class FleetCoordinatorActor : ReceiveActor, IWithTimers
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly LockstepPlan _plan;
    private readonly IActorRef _guests;
    private readonly TaskCompletionSource<LockstepOutcome> _done;
    private readonly GuestSample[][] _samples;
    private readonly GuestResult?[] _results;
    private readonly string[] _nodes;

    public FleetCoordinatorActor(LockstepPlan plan, IActorRef guests, TaskCompletionSource<LockstepOutcome> done)
    {
        _plan = plan;
        _guests = guests;
        _done = done;
        _samples = plan.Guests.Select(_ => new GuestSample[plan.Times.Count]).ToArray();
        _results = new GuestResult?[plan.Guests.Count];
        _nodes = new string[plan.Guests.Count];
        Receive<Begin>(_ => StartSample(0));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(LockstepPlan plan, IActorRef guests, TaskCompletionSource<LockstepOutcome> done) =>
        Akka.Actor.Props.Create(() => new FleetCoordinatorActor(plan, guests, done));

    protected override void PreStart() => Self.Tell(Begin.Instance);

    private void StartSample(int k)
    {
        var at = _plan.Times[k].Ticks;
        var waiting = new HashSet<int>(Enumerable.Range(0, _plan.Guests.Count));
        // The first question carries the definition; later ones are small, and an entity that lost it asks.
        foreach (var guest in _plan.Guests)
            _guests.Tell(new AdvanceGuest(guest.Index, at, k == 0 ? guest : null));
        Timers.StartPeriodicTimer(RetryKey, Retry.Instance, _plan.RetryInterval);
        Become(() => Sampling(k, at, waiting));
    }

    private void Sampling(int k, long at, HashSet<int> waiting)
    {
        Receive<GuestAdvanced>(m =>
        {
            if (m.AtTicks != at || !waiting.Remove(m.Index)) return;
            _samples[m.Index][k] = m.Sample;
            _nodes[m.Index] = m.Node;
            if (waiting.Count > 0) return;
            _plan.Progress?.Report(_plan.FractionDoneAt(_plan.Times[k]));
            _plan.AfterSample?.Invoke(k);
            if (k + 1 < _plan.Times.Count) StartSample(k + 1);
            else StartFinishing();
        });
        Receive<GuestUnknown>(m =>
        {
            if (waiting.Contains(m.Index)) _guests.Tell(new AdvanceGuest(m.Index, at, _plan.Guests[m.Index]));
        });
        Receive<Retry>(_ =>
        {
            _log.Info("Asking {Count} guests again for t={T}s", waiting.Count, TimeSpan.FromTicks(at).TotalSeconds);
            // Without the definition: a busy entity holds these until it is free, so keep them small.
            foreach (var index in waiting) _guests.Tell(new AdvanceGuest(index, at, null));
        });
        Receive<GuestFailed>(Fail);
    }

    private void StartFinishing()
    {
        var waiting = new HashSet<int>(Enumerable.Range(0, _plan.Guests.Count));
        foreach (var guest in _plan.Guests) _guests.Tell(new FinishGuest(guest.Index, guest));
        Timers.StartPeriodicTimer(RetryKey, Retry.Instance, _plan.RetryInterval);
        Become(() => Finishing(waiting));
    }

    private void Finishing(HashSet<int> waiting)
    {
        Receive<GuestFinished>(m =>
        {
            if (!waiting.Remove(m.Index)) return;
            _results[m.Index] = m.Result;
            _nodes[m.Index] = m.Node;
            if (waiting.Count > 0) return;
            Timers.CancelAll();
            _plan.Progress?.Report(1.0);
            _done.TrySetResult(new LockstepOutcome(_samples, _results.Select(r => r!).ToArray(), _nodes));
            Context.Stop(Self);
        });
        Receive<Retry>(_ =>
        {
            foreach (var index in waiting) _guests.Tell(new FinishGuest(index, _plan.Guests[index]));
        });
        Receive<GuestFailed>(Fail);
        Receive<GuestAdvanced>(_ => { });
    }

    private void Fail(GuestFailed m)
    {
        _done.TrySetException(new InvalidOperationException($"guest {m.Index} failed: {m.Reason}"));
        Context.Stop(Self);
    }

    private const string RetryKey = "retry";

    private sealed record Begin : INoSerializationVerificationNeeded
    {
        public static readonly Begin Instance = new();
    }

    private sealed record Retry : INoSerializationVerificationNeeded
    {
        public static readonly Retry Instance = new();
    }
}

/// <summary>What the coordinator advances: the guests, the fleet's sample instants, and how patient to be.</summary>
internal sealed record LockstepPlan(
    IReadOnlyList<GuestDefinition> Guests,
    IReadOnlyList<TimeSpan> Times,
    TimeSpan RetryInterval,
    IProgress<double>? Progress = null,
    Action<int>? AfterSample = null)
{
    /// <summary>Virtual seconds summed over the guests' runs: what the fleet has to do.</summary>
    public double GuestSeconds { get; } = TotalGuestSeconds(Guests);

    /// <summary>What a fleet of these guests has to do: each guest's run, from its start to its stop.</summary>
    public static double TotalGuestSeconds(IEnumerable<GuestDefinition> guests) => guests.Sum(g => g.Stop.TotalSeconds);

    /// <summary>
    /// The share of <see cref="GuestSeconds"/> done once every guest has reached fleet time
    /// <paramref name="t"/>: staggered guests count from their start, finished ones their whole run.
    /// </summary>
    public double FractionDoneAt(TimeSpan t)
    {
        if (GuestSeconds <= 0) return 1.0;
        var done = Guests.Sum(g => Math.Clamp((t - g.Start).TotalSeconds, 0, g.Stop.TotalSeconds));
        return done / GuestSeconds;
    }
}

/// <summary>Every guest's sample at every instant (<c>Samples[guest][k]</c>), its totals, and the node that gave them.</summary>
internal sealed record LockstepOutcome(GuestSample[][] Samples, GuestResult[] Results, string[] Nodes);
