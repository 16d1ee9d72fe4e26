using Akka.Hosting;
using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors;

/// <summary>ActorRegistry keys for the actors <see cref="PageReportingHostingExtensions.WithPageReporting"/> starts.</summary>
public sealed class PageReportingRegistryKey;

/// <summary>ActorRegistry key for the reporter.</summary>
public sealed class PageReportingReporterKey;

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
        string name = PageReporting.DefaultName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Checked now, so a bad guest fails the host's configuration rather than its start-up.
        PageReporting.ValidateZones(zones);
        settings?.Validated();
        builder.AddHocon(PageReportingSettings.DefaultConfig, HoconAddMode.Append);
        return builder.WithActors((system, registry) =>
        {
            var guest = PageReporting.Start(system, zones, settings, name);
            registry.Register<PageReportingRegistryKey>(guest.Registry);
            registry.Register<PageReportingReporterKey>(guest.Reporter);
            onStarted?.Invoke(guest);
        });
    }
}
