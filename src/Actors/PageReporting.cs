using Akka.Actor;
using PageReportingActors.Allocator;
using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors;

/// <summary>The actors started for one guest.</summary>
public sealed record PageReportingGuest(
    IActorRef Guardian,
    IActorRef Registry,
    IActorRef Reporter,
    IReadOnlyList<IActorRef> Zones,
    IReadOnlyList<string> ZoneNames,
    PageReportingSettings Settings)
{
    /// <summary>The zone actor named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No zone has that name; the message lists the zones.</exception>
    public IActorRef Zone(string name)
    {
        for (var i = 0; i < ZoneNames.Count; i++)
            if (ZoneNames[i] == name) return Zones[i];
        throw new ArgumentException($"no zone named \"{name}\"; zones: {string.Join(", ", ZoneNames)}", nameof(name));
    }
}

/// <summary>The entry point an actor-system host calls to start page reporting for a guest.</summary>
public static class PageReporting
{
    /// <summary>The guardian's actor name when none is given.</summary>
    public const string DefaultName = "page-reporting";

    /// <summary>
    /// Starts the zone, reporter and registry actors for a guest whose zones are given in pfn order, under
    /// an actor named <paramref name="name"/> (one name per guest: several guests share a system under
    /// different names). Settings default to the system's <c>page-reporting { }</c> HOCON over the SPEC
    /// defaults. Bad zones or settings throw <see cref="ArgumentException"/> (naming the problem) before any
    /// actor is created; the task completes once the guest's actors exist.
    /// </summary>
    public static Task<PageReportingGuest> StartAsync(ActorSystem system, IReadOnlyList<ZoneSpec> zones, PageReportingSettings? settings = null,
        string name = DefaultName, CancellationToken cancellationToken = default) =>
        StartCore(system, zones, settings, name, interceptors: null, cancellationToken);

    /// <summary>A guest whose actors each get an interceptor from <paramref name="interceptors"/> (tests only: simulated faults).</summary>
    internal static Task<PageReportingGuest> StartWithInterceptorsAsync(ActorSystem system, IReadOnlyList<ZoneSpec> zones, Func<IMessageInterceptor> interceptors,
        PageReportingSettings? settings = null, string name = DefaultName) =>
        StartCore(system, zones, settings, name, interceptors, CancellationToken.None);

    private static Task<PageReportingGuest> StartCore(ActorSystem system, IReadOnlyList<ZoneSpec> zones, PageReportingSettings? settings,
        string name, Func<IMessageInterceptor>? interceptors, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var resolved = (settings ?? PageReportingSettings.FromConfig(system.Settings.Config)).Validated();
        if (resolved.Dispatcher is { } dispatcher && !system.Dispatchers.HasDispatcher(dispatcher))
            throw new ArgumentException($"dispatcher \"{dispatcher}\" is not configured in the actor system", nameof(settings));
        var areas = CreateAreas(zones);
        var started = new TaskCompletionSource<PageReportingGuest>(TaskCreationOptions.RunContinuationsAsynchronously);
        system.ActorOf(interceptors is null
            ? PageReportingGuardianActor.Props(areas, resolved, started)
            : PageReportingGuardianActor.PropsWithInterceptors(areas, resolved, started, interceptors), name);
        return started.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Checks a guest's zones and builds their allocators.</summary>
    public static IReadOnlyList<ZoneFreeArea> CreateAreas(IReadOnlyList<ZoneSpec> zones)
    {
        ValidateZones(zones);
        return zones.Select(z => new ZoneFreeArea(z)).ToList();
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless each zone is valid, in pfn order, not overlapping, and uniquely named.</summary>
    public static void ValidateZones(IReadOnlyList<ZoneSpec> zones)
    {
        ArgumentNullException.ThrowIfNull(zones);
        if (zones.Count == 0) throw new ArgumentException("a guest needs at least one zone", nameof(zones));
        var names = new HashSet<string>();
        for (var i = 0; i < zones.Count; i++)
        {
            var spec = zones[i] ?? throw new ArgumentException($"zones[{i}] is null", nameof(zones));
            var error = ZoneFreeArea.Validate(spec);
            if (error is not null) throw new ArgumentException($"zones[{i}] ({spec.Name}): {error}", nameof(zones));
            if (!names.Add(spec.Name)) throw new ArgumentException($"zones[{i}]: the name \"{spec.Name}\" is used twice", nameof(zones));
            if (i > 0 && spec.StartPfn < zones[i - 1].StartPfn + zones[i - 1].Pages)
                throw new ArgumentException($"zones[{i}] ({spec.Name}) starts at pfn {spec.StartPfn}, inside or before zones[{i - 1}] ({zones[i - 1].Name})", nameof(zones));
        }
    }

    /// <summary>Props for a device actor around an application's report handler.</summary>
    public static Props DeviceProps(Devices.IPageReportHandler handler, TimeSpan? timeout = null) =>
        ReportingDeviceActor.Props(handler, timeout);

    /// <summary>A device actor whose messages <paramref name="interceptor"/> sees first (tests only: simulated faults).</summary>
    internal static Props DevicePropsWithInterceptor(Devices.IPageReportHandler handler, IMessageInterceptor interceptor, TimeSpan? timeout = null) =>
        ReportingDeviceActor.PropsWithInterceptor(handler, interceptor, timeout);
}
