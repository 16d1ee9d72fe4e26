using Akka.Actor;
using Akka.Event;
using PageReportingActors.Allocator;
using PageReportingActors.Messages;

namespace PageReportingActors;

/// <summary>
/// Parent of one guest's zone, reporter and registry actors, and the place their supervision is
/// decided: they resume after a fault. Their state is the guest's memory (free lists, the batch at
/// the device, the registration) and a restart would throw it away; the plain cores check a request
/// before they change anything, so the state a fault leaves is the state before the message. The
/// message that failed is lost; the reporter's timeouts turn a lost answer into a failed report or an
/// abandoned zone walk, which returns the batch unflagged.
/// </summary>
public sealed class PageReportingGuardianActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef? _reporter;
    private readonly IActorRef? _registry;

    /// <summary>Starts the guest's zone, reporter, registry and metrics actors; <paramref name="started"/> completes with them, or with the error that stopped them.</summary>
    /// <param name="areas">The guest's zones in pfn order, already validated.</param>
    /// <param name="settings">Validated settings.</param>
    /// <param name="started">Completed once the children exist.</param>
    public PageReportingGuardianActor(IReadOnlyList<ZoneFreeArea> areas, PageReportingSettings settings, TaskCompletionSource<PageReportingGuest> started)
        : this(areas, settings, started, interceptors: null)
    {
    }

    /// <summary><paramref name="interceptors"/>: gives each child an interceptor of its own (tests only).</summary>
    internal PageReportingGuardianActor(IReadOnlyList<ZoneFreeArea> areas, PageReportingSettings settings, TaskCompletionSource<PageReportingGuest> started,
        Func<IMessageInterceptor>? interceptors)
    {
        try
        {
            var names = areas.Select(a => a.Name).ToList();
            var zones = new List<IActorRef>(areas.Count);
            var usages = new List<ZoneUsage>(areas.Count);
            foreach (var area in areas)
            {
                var usage = new ZoneUsage(area.Name);
                var props = interceptors is null ? ZoneActor.Props(area, usage) : ZoneActor.PropsWithInterceptor(area, interceptors(), usage);
                zones.Add(Context.ActorOf(OnDispatcher(props, settings), "zone-" + Uri.EscapeDataString(area.Name)));
                usages.Add(usage);
            }
            var reporterProps = interceptors is null
                ? ReporterActor.Props(zones, settings, names)
                : ReporterActor.PropsWithInterceptor(zones, settings, names, interceptors());
            var reporter = Context.ActorOf(OnDispatcher(reporterProps, settings), "reporter");
            // R23: the registration rule is the guest kernel's: the settings' or else the zones'.
            var kernel = settings.Kernel ?? areas.Select(a => a.Kernel?.Profile).FirstOrDefault(p => p is not null);
            var registryProps = interceptors is null
                ? RegistryActor.Props(reporter, zones, settings.ReportingOrder, settings.ReportTimeout, kernel)
                : RegistryActor.PropsWithInterceptor(reporter, zones, settings.ReportingOrder, settings.ReportTimeout, interceptors(), kernel);
            var registry = Context.ActorOf(OnDispatcher(registryProps, settings), "registry");
            // Internal commands are accepted only from the actor they belong to; this is how each learns which.
            foreach (var zone in zones) zone.Tell(new ZoneOwners(reporter, registry));
            reporter.Tell(new ReporterOwner(registry));
            // A guest without its reporter or registry cannot be steered and could strand a batch: it stops whole.
            _reporter = Context.Watch(reporter);
            _registry = Context.Watch(registry);

            // Metrics: subscribed here, before anyone can register a device, so no pass goes uncounted.
            var metrics = Context.ActorOf(PageReportingMetricsActor.Props(settings.GuestName, reporter, usages), "metrics");
            Context.System.EventStream.Subscribe(metrics, typeof(PassFinished));
            Context.System.EventStream.Subscribe(metrics, typeof(ReportFinished));
            started.TrySetResult(new PageReportingGuest(Self, registry, reporter, zones, names, settings));
        }
        catch (Exception ex)
        {
            // Whoever waits for the guest hears why it did not start instead of waiting for ever.
            started.TrySetException(ex);
            throw;
        }

        Receive<Terminated>(m =>
        {
            if (!m.ActorRef.Equals(_reporter) && !m.ActorRef.Equals(_registry)) return;
            // Stopping the guardian stops every zone, and a stopping zone returns its isolated batch unflagged
            // (ZoneActor.PostStop): nothing is left out, and the zones' free areas stay whole.
            _log.Error("The guest's {Actor} stopped; stopping the guest, its lent batches returned", m.ActorRef.Path.Name);
            Context.Stop(Self);
        });
        ReceiveAny(m => _log.Warning("Guardian ignores {Message}", m.GetType().Name));
    }

    /// <summary>Props for a guardian; <see cref="PageReporting.StartAsync"/> is the usual way to start one.</summary>
    public static Props Props(IReadOnlyList<ZoneFreeArea> areas, PageReportingSettings settings, TaskCompletionSource<PageReportingGuest> started) =>
        Akka.Actor.Props.Create(() => new PageReportingGuardianActor(areas, settings, started));

    internal static Props PropsWithInterceptors(IReadOnlyList<ZoneFreeArea> areas, PageReportingSettings settings, TaskCompletionSource<PageReportingGuest> started,
        Func<IMessageInterceptor> interceptors) =>
        FactoryProducer<PageReportingGuardianActor>.Props(() => new PageReportingGuardianActor(areas, settings, started, interceptors));

    private static Props OnDispatcher(Props props, PageReportingSettings settings) =>
        settings.Dispatcher is null ? props : props.WithDispatcher(settings.Dispatcher);

    /// <summary>A child that fails resumes with its state; one that cannot start is stopped.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(
        maxNrOfRetries: -1,
        withinTimeRange: Timeout.InfiniteTimeSpan,
        localOnlyDecider: ex =>
        {
            var directive = ex is ActorInitializationException ? Directive.Stop : Directive.Resume;
            _log.Error(ex, "{Child} failed; {Directive}", Sender?.Path.Name ?? "child", directive);
            return directive;
        });
}
