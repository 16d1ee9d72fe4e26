using Akka.Actor;
using Akka.Event;
using PageReportingActors.Allocator;

namespace PageReportingActors;

/// <summary>
/// Parent of one guest's zone, reporter and registry actors, and the place their supervision is
/// decided. A zone that throws is restarted around the same allocator (its free lists are kept; its
/// walk is abandoned, so an isolated batch returns unflagged). The reporter and the registry resume:
/// their state is what keeps a batch accounted for, so it must outlive a fault.
/// </summary>
public sealed class PageReportingGuardianActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<IActorRef> _zones = new();

    public PageReportingGuardianActor(IReadOnlyList<ZoneFreeArea> areas, PageReportingSettings settings, TaskCompletionSource<PageReportingGuest> started)
    {
        var zones = new List<IActorRef>(areas.Count);
        foreach (var area in areas)
        {
            var zone = Context.ActorOf(OnDispatcher(ZoneActor.Props(area), settings), "zone-" + Uri.EscapeDataString(area.Name));
            zones.Add(zone);
            _zones.Add(zone);
        }
        var reporter = Context.ActorOf(OnDispatcher(ReporterActor.Props(zones, settings), settings), "reporter");
        var registry = Context.ActorOf(OnDispatcher(RegistryActor.Props(reporter, zones, settings.ReportingOrder), settings), "registry");
        started.TrySetResult(new PageReportingGuest(Self, registry, reporter, zones, areas.Select(a => a.Name).ToList(), settings));

        ReceiveAny(m => _log.Warning("Guardian ignores {Message}", m.GetType().Name));
    }

    public static Props Props(IReadOnlyList<ZoneFreeArea> areas, PageReportingSettings settings, TaskCompletionSource<PageReportingGuest> started) =>
        Akka.Actor.Props.Create(() => new PageReportingGuardianActor(areas, settings, started));

    private static Props OnDispatcher(Props props, PageReportingSettings settings) =>
        settings.Dispatcher is null ? props : props.WithDispatcher(settings.Dispatcher);

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(
        maxNrOfRetries: -1,
        withinTimeRange: Timeout.InfiniteTimeSpan,
        localOnlyDecider: ex =>
        {
            var directive = ex is ActorInitializationException ? Directive.Stop
                : Sender is not null && _zones.Contains(Sender) ? Directive.Restart
                : Directive.Resume;
            _log.Error(ex, "{Child} failed; {Directive}", Sender?.Path.Name ?? "child", directive);
            return directive;
        });
}
