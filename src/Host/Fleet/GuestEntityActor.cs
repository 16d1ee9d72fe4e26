using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace PageReportingActors.Host.Fleet;

/// <summary>
/// One guest of the fleet, as a Sharding entity: it owns the guest's run and answers the
/// coordinator's lockstep questions. Its state is only the run, which its definition rebuilds, so
/// an entity moved to another node (its node left or died) simply runs the guest again from its
/// start and answers the same.
/// </summary>
internal sealed class GuestEntityActor : ReceiveActor, IWithStash
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Func<GuestDefinition, IGuestRun> _makeRun;
    private readonly SemaphoreSlim _simulations;
    private readonly string _node;
    private IGuestRun? _run;
    private (long AtTicks, GuestSample Sample)? _last;

    /// <param name="simulations">The node's guest steps at once (<see cref="FleetNodeOptions.Simulations"/>): a step waits for a place.</param>
    public GuestEntityActor(Func<GuestDefinition, IGuestRun> makeRun, SemaphoreSlim simulations)
    {
        _makeRun = makeRun;
        _simulations = simulations;
        var self = Cluster.Get(Context.System).SelfAddress;
        _node = $"{self.Host}:{self.Port}";
        Unknown();
    }

    public IStash Stash { get; set; } = null!;

    public static Props Props(Func<GuestDefinition, IGuestRun> makeRun, SemaphoreSlim simulations) =>
        Akka.Actor.Props.Create(() => new GuestEntityActor(makeRun, simulations));

    /// <summary>
    /// The default guest engine: <see cref="SteppedGuestRun"/>, logging errors only: a fleet has hundreds
    /// of guests, and failed reports are counted in fleet.json.
    /// </summary>
    public static Props Props(SemaphoreSlim simulations) =>
        Props(definition => new SteppedGuestRun(definition, Akka.Event.LogLevel.ErrorLevel), simulations);

    private void Unknown()
    {
        Receive<AdvanceGuest>(m => m.Definition is null, m => Sender.Tell(new GuestUnknown(m.Index)));
        Receive<AdvanceGuest>(m =>
        {
            Create(m.Definition!);
            Self.Forward(m);
        });
        Receive<FinishGuest>(m =>
        {
            Create(m.Definition);
            Self.Forward(m);
        });
    }

    private void Create(GuestDefinition definition)
    {
        _run = _makeRun(definition);
        Become(() => Ready(definition));
    }

    private void Ready(GuestDefinition definition)
    {
        Receive<AdvanceGuest>(m =>
        {
            // The coordinator asks again when an answer is late: answer it from what we have.
            if (_last is { } last && last.AtTicks == m.AtTicks)
            {
                Sender.Tell(new GuestAdvanced(m.Index, m.AtTicks, last.Sample, _node));
                return;
            }
            var run = _run!;
            var at = TimeSpan.FromTicks(m.AtTicks);
            Work(() => new GuestAdvanced(m.Index, m.AtTicks, run.AdvanceTo(at), _node), m.Index);
        });
        Receive<FinishGuest>(m =>
        {
            var run = _run!;
            Work(() =>
            {
                if (!run.Finished) run.AdvanceTo(definition.Start + definition.Stop);
                return new GuestFinished(m.Index, run.Result, _node);
            }, m.Index);
        });
    }

    /// <summary>Advancing may take a whole simulation: do it off the actor's thread, holding other questions until it is done.</summary>
    private void Work(Func<object> step, int index)
    {
        var replyTo = Sender;
        var simulations = _simulations;
        Task.Run(async () =>
        {
            await simulations.WaitAsync().ConfigureAwait(false);
            try
            {
                return step();
            }
            finally
            {
                simulations.Release();
            }
        }).PipeTo(Self, success: answer => new Answered(answer, replyTo), failure: e => new Answered(new GuestFailed(index, e.GetBaseException().Message), replyTo));
        BecomeStacked(Busy);
    }

    private void Busy()
    {
        Receive<Answered>(m =>
        {
            if (m.Answer is GuestAdvanced advanced) _last = (advanced.AtTicks, advanced.Sample);
            if (m.Answer is GuestFailed failed) _log.Warning("Guest {Index} failed: {Reason}", failed.Index, failed.Reason);
            m.ReplyTo.Tell(m.Answer);
            UnbecomeStacked();
            Stash.UnstashAll();
        });
        ReceiveAny(_ => Stash.Stash());
    }

    protected override void PostStop()
    {
        _run?.Dispose();
        base.PostStop();
    }

    private sealed record Answered(object Answer, IActorRef ReplyTo) : INoSerializationVerificationNeeded;
}
