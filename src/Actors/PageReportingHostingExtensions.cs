using Akka.Actor;
using Akka.Hosting;
using PageReportingActors.Memory;

namespace PageReportingActors;

/// <summary>ActorRegistry key for the registry the non-generic <see cref="PageReportingHostingExtensions.WithPageReporting"/> starts.</summary>
public sealed class PageReportingRegistryKey;

/// <summary>ActorRegistry key for the reporter the non-generic <see cref="PageReportingHostingExtensions.WithPageReporting"/> starts.</summary>
public sealed class PageReportingReporterKey;

/// <summary>ActorRegistry key for the reporter of the guest whose registry is registered under <typeparamref name="TKey"/>.</summary>
public sealed class PageReportingReporterKey<TKey>;

/// <summary>Akka.Hosting integration: start a guest's page reporting with the actor system.</summary>
public static class PageReportingHostingExtensions
{
    /// <summary>
    /// Starts the zone, reporter and registry actors for a guest when the actor system starts, with
    /// settings from <paramref name="settings"/> or the system's <c>page-reporting { }</c> HOCON.
    /// The registry and reporter are put in the ActorRegistry (<see cref="PageReportingRegistryKey"/>,
    /// <see cref="PageReportingReporterKey"/>); <paramref name="onStarted"/> receives all refs.
    /// </summary>
    public static AkkaConfigurationBuilder WithPageReporting(
        this AkkaConfigurationBuilder builder,
        IReadOnlyList<ZoneSpec> zones,
        PageReportingSettings? settings = null,
        Action<PageReportingGuest>? onStarted = null,
        string name = PageReporting.DefaultName) =>
        WithGuest(builder, zones, settings, onStarted, name, (registry, guest) =>
        {
            registry.Register<PageReportingRegistryKey>(guest.Registry);
            registry.Register<PageReportingReporterKey>(guest.Reporter);
        });

    /// <summary>
    /// Starts one guest of several in the same actor system: its registry goes in the ActorRegistry under
    /// <typeparamref name="TKey"/> and its reporter under <see cref="PageReportingReporterKey{TKey}"/>. Its
    /// actors live under <paramref name="name"/> (by default <c>page-reporting-</c> and the key's name),
    /// so two guests never share an actor name.
    /// </summary>
    public static AkkaConfigurationBuilder WithPageReporting<TKey>(
        this AkkaConfigurationBuilder builder,
        IReadOnlyList<ZoneSpec> zones,
        PageReportingSettings? settings = null,
        Action<PageReportingGuest>? onStarted = null,
        string? name = null) =>
        WithGuest(builder, zones, settings, onStarted, name ?? GuestName<TKey>(), (registry, guest) =>
        {
            registry.Register<TKey>(guest.Registry);
            registry.Register<PageReportingReporterKey<TKey>>(guest.Reporter);
        });

    /// <summary>The default actor name of the guest registered under <typeparamref name="TKey"/>.</summary>
    public static string GuestName<TKey>() => PageReporting.DefaultName + "-" + Uri.EscapeDataString(typeof(TKey).Name);

    private static AkkaConfigurationBuilder WithGuest(AkkaConfigurationBuilder builder, IReadOnlyList<ZoneSpec> zones, PageReportingSettings? settings,
        Action<PageReportingGuest>? onStarted, string name, Action<IActorRegistry, PageReportingGuest> register)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Checked now, so a bad guest fails the host's configuration rather than its start-up.
        PageReporting.ValidateZones(zones);
        settings?.Validated();
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        builder.AddHocon(PageReportingSettings.DefaultConfig, HoconAddMode.Append);
        return builder.StartActors(async (ActorSystem system, IActorRegistry registry) =>
        {
            var guest = await PageReporting.StartAsync(system, zones, settings, name);
            register(registry, guest);
            onStarted?.Invoke(guest);
        });
    }
}
