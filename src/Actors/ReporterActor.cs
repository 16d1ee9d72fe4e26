using Akka.Actor;
using Akka.Event;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using Coordinator = PageReportingActors.Reporting.PassCoordinator<Akka.Actor.IActorRef>;

namespace PageReportingActors;

/// <summary>
/// The reporter: Idle, Requested and Active behaviours with one pass timer (R5, R6, R13), and the
/// pass itself (R7-R12, R14), which walks the zones in pfn order through their zone actors and hands
/// each batch to the device, one at a time. Every decision is <see cref="PassCoordinator{TRef}"/>'s;
/// this actor turns messages into its events and performs the actions it returns.
/// </summary>
public sealed class ReporterActor : ReceiveActor, IWithTimers
{
    private const string PassTimerKey = "pass";
    private const string ReportTimerKey = "report-timeout";
    private const string ZoneTimerKey = "zone-timeout";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PageReportingSettings _settings;
    private readonly IMessageInterceptor? _interceptor;
    private Coordinator.State _state;
    // Set by the guardian: attach, detach and order changes come only from the guest's registry.
    private IActorRef? _registry;

    /// <summary>A reporter over <paramref name="zones"/>, Idle with no device.</summary>
    /// <param name="zones">The guest's zone actors in pfn order: the order a pass visits them (R7).</param>
    /// <param name="settings">Delay, capacity, report timeout and the configured order.</param>
    /// <param name="zoneNames">See <see cref="Props"/>; by default the zones' actor names.</param>
    public ReporterActor(IReadOnlyList<IActorRef> zones, PageReportingSettings settings, IReadOnlyList<string>? zoneNames = null)
        : this(zones, settings, zoneNames, interceptor: null)
    {
    }

    internal ReporterActor(IReadOnlyList<IActorRef> zones, PageReportingSettings settings, IReadOnlyList<string>? zoneNames, IMessageInterceptor? interceptor)
    {
        _settings = settings;
        _interceptor = interceptor;
        var names = zoneNames ?? zones.Select(z => Uri.UnescapeDataString(z.Path.Name)).ToList();
        _state = Coordinator.Initial(zones, names, settings.Capacity,
            settings.ReportingOrder ?? Memory.PageGeometry.PageblockOrder, settings.ReportTimeout);
        // A pass skips a zone that stopped at once.
        foreach (var zone in zones) Context.Watch(zone);
        Idle();
    }

    /// <summary>The actor's timers: the pass timer (R6), the report and zone timeouts.</summary>
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary><paramref name="zoneNames"/>: the zones' names for logs and events, in the order of <paramref name="zones"/>.</summary>
    public static Props Props(IReadOnlyList<IActorRef> zones, PageReportingSettings settings, IReadOnlyList<string>? zoneNames = null) =>
        Akka.Actor.Props.Create(() => new ReporterActor(zones, settings, zoneNames));

    internal static Props PropsWithInterceptor(IReadOnlyList<IActorRef> zones, PageReportingSettings settings, IReadOnlyList<string>? zoneNames, IMessageInterceptor interceptor) =>
        FactoryProducer<ReporterActor>.Props(() => new ReporterActor(zones, settings, zoneNames, interceptor));

    /// <summary>Fires <c>delay</c> after a request: the pass starts.</summary>
    private sealed class StartPass : INoSerializationVerificationNeeded
    {
        public static readonly StartPass Instance = new();
        private StartPass() { }
    }

    /// <summary>The device did not answer a report in time.</summary>
    private sealed record ReportTimedOut(long ReportId) : INoSerializationVerificationNeeded;

    /// <summary>A zone did not answer a walk command in time (it lost the message to a fault).</summary>
    private sealed record ZoneTimedOut(long PassId, int ZoneIndex) : INoSerializationVerificationNeeded;

    /// <summary>Lets an interceptor take the message first (tests only: simulated faults).</summary>
    protected override bool AroundReceive(Receive receive, object message) =>
        (_interceptor is not null && _interceptor.Intercept(message, "reporter")) || base.AroundReceive(receive, message);

    private void Idle() => Become(() =>
    {
        Receive<RequestReporting>(m => FromZone(m, () => Apply(new Coordinator.Notified())));
        CommonReceives();
    });

    private void Requested() => Become(() =>
    {
        Receive<RequestReporting>(_ => { });
        Receive<StartPass>(_ => Apply(new Coordinator.PassTimerFired()));
        CommonReceives();
    });

    private void Active() => Become(() =>
    {
        Receive<RequestReporting>(m => FromZone(m, () => Apply(new Coordinator.Notified())));
        Receive<ReportTimedOut>(m => Apply(new Coordinator.ReportTimedOut(m.ReportId)));
        Receive<ZoneTimedOut>(m => Apply(new Coordinator.ZoneTimedOut(m.PassId, m.ZoneIndex)));
        CommonReceives();
    });

    /// <summary>
    /// What every state receives. Walk steps, rejections and device answers go to the coordinator in every
    /// state: outside a pass they are late or forged, and it says so.
    /// </summary>
    private void CommonReceives()
    {
        Receive<ReporterOwner>(m =>
        {
            if (Sender.Equals(Context.Parent)) _registry = m.Registry;
            else _log.Warning("Owner from {Sender} ignored: only the guest's guardian names it", Sender.Path);
        });
        Receive<AttachDevice>(m => FromRegistry(m, () => Apply(new Coordinator.Attach(m.Device, m.ReportingOrder, Sender))));
        Receive<DetachDevice>(m => FromRegistry(m, () => Apply(new Coordinator.Detach(m.Device, Sender))));
        Receive<ChangeReportingOrder>(m => FromRegistry(m, () => Apply(new Coordinator.ChangeOrder(m.ReportingOrder, Sender))));
        Receive<GetReporterStatus>(_ => Sender.Tell(new ReporterStatus(_state.Phase, _state.DeviceAttached,
            _state.ReportingOrder, _state.Passes, _state.Reports, _state.FailedReports, _state.ReportedBytes)));
        Receive<Terminated>(m =>
        {
            if (_state.Zones.Contains(m.ActorRef)) Apply(new Coordinator.ZoneGone(m.ActorRef));
            else Apply(new Coordinator.DeviceGone(m.ActorRef));
        });
        Receive<ReportCompleted>(m => Apply(new Coordinator.DeviceAnswered(Sender, m.ReportId, m.Success, m.ErrorCode, m.Detail)));
        Receive<ZoneWalkStep>(m => Apply(new Coordinator.ZoneStepped(Sender, m.PassId, m.Zone, m.BatchId, m.Batch, m.IsLeftover,
            m.End, m.RequestAnotherPass)));
        Receive<ZoneWalkRejected>(m => Apply(new Coordinator.ZoneRejected(Sender, m.PassId, m.BatchId, m.Zone, m.Reason)));
        Receive<ReportTimedOut>(_ => { });
        Receive<ZoneTimedOut>(_ => { });
        Receive<StartPass>(_ => { });
    }

    /// <summary>Orders from anyone but the registry would let a stranger steer the guest: they are logged and dropped.</summary>
    private void FromRegistry(object message, System.Action apply)
    {
        if (_registry is not null && Sender.Equals(_registry)) apply();
        else _log.Warning("{Message} from {Sender} ignored: it is not the guest's registry", message.GetType().Name, Sender.Path);
    }

    /// <summary>Notifications from anyone but the guest's zones would start passes no free asked for.</summary>
    private void FromZone(RequestReporting message, System.Action apply)
    {
        if (_state.Zones.Contains(Sender)) apply();
        else _log.Warning("Notification from {Sender} ignored: it is not one of the guest's zones", Sender.Path);
    }

    private void Apply(Coordinator.Event @event)
    {
        var before = _state.Phase;
        var (state, actions) = Coordinator.Process(_state, @event, Context.System.Scheduler.Now);
        _state = state;
        // The behaviour changes before anything is told, as the actions may be answered at once.
        if (state.Phase != before)
        {
            switch (state.Phase)
            {
                case ReporterState.Idle: Idle(); break;
                case ReporterState.Requested: Requested(); break;
                case ReporterState.Active: Active(); break;
            }
        }
        foreach (var action in actions) Perform(action);
    }

    private void Perform(Coordinator.Action action)
    {
        switch (action)
        {
            case Coordinator.ArmPassTimer: Timers.StartSingleTimer(PassTimerKey, StartPass.Instance, _settings.Delay); break;
            case Coordinator.CancelPassTimer: Timers.Cancel(PassTimerKey); break;
            case Coordinator.ArmReportTimer a: Timers.StartSingleTimer(ReportTimerKey, new ReportTimedOut(a.ReportId), _settings.ReportTimeout); break;
            case Coordinator.CancelReportTimer: Timers.Cancel(ReportTimerKey); break;
            case Coordinator.ArmZoneTimer a: Timers.StartSingleTimer(ZoneTimerKey, new ZoneTimedOut(a.PassId, a.ZoneIndex), _settings.ReportTimeout); break;
            case Coordinator.CancelZoneTimer: Timers.Cancel(ZoneTimerKey); break;
            case Coordinator.BeginZoneWalk a: a.Zone.Tell(new BeginZoneWalk(a.PassId, a.ReportingOrder, a.Capacity)); break;
            case Coordinator.CompleteZoneReport a: a.Zone.Tell(new CompleteZoneReport(a.PassId, a.BatchId, a.Batch, a.Success)); break;
            case Coordinator.AbandonZoneWalk a: a.Zone.Tell(new AbandonZoneWalk(a.PassId)); break;
            case Coordinator.ReportToDevice a: a.Device.Tell(new ReportPages(a.ReportId, a.Pages)); break;
            case Coordinator.Watch a:
                Context.Watch(a.Device);
                a.Device.Tell(new DeviceOwner(Self));
                break;
            case Coordinator.Unwatch a:
                Context.Unwatch(a.Device);
                a.Device.Tell(DeviceReleased.Instance);
                break;
            case Coordinator.AnswerAttached a: a.ReplyTo.Tell(new DeviceAttached(a.Device)); break;
            case Coordinator.AnswerDetached a: a.ReplyTo.Tell(new DeviceDetached(a.Device)); break;
            case Coordinator.AnswerOrderChanged a: a.ReplyTo.Tell(new ReportingOrderChanged(a.ReportingOrder)); break;
            case Coordinator.PublishPassStarted a: Context.System.EventStream.Publish(new PassStarted(a.PassId, a.At)); break;
            case Coordinator.PublishPassFinished a:
                Context.System.EventStream.Publish(new PassFinished(a.PassId, a.Start, a.End, a.Zones.Count, a.Reports,
                    a.ReportedBytes, a.Failed, a.RequestedAgain));
                break;
            case Coordinator.PublishReportFinished a:
                Context.System.EventStream.Publish(new ReportFinished(a.PassId, a.Batch.ReportId, a.Batch.Zone, a.Batch.Blocks.Length,
                    a.Batch.Bytes, a.Batch.HandedAt, a.Success, a.ErrorCode, Memory.Scatterlist.FromBlocks(a.Batch.Blocks)));
                break;
            case Coordinator.Log a: Write(a); break;
        }
    }

    private void Write(Coordinator.Log line)
    {
        var args = line.Args.Select(Describe).ToArray();
        switch (line.Level)
        {
            case PassLogLevel.Debug: _log.Debug(line.Template, args); break;
            case PassLogLevel.Info: _log.Info(line.Template, args); break;
            default: _log.Warning(line.Template, args); break;
        }
    }

    /// <summary>Actors appear in logs by path, as everywhere else.</summary>
    private static object Describe(object? arg) => arg switch
    {
        IActorRef actor => actor.Path,
        null => "null",
        _ => arg,
    };
}
