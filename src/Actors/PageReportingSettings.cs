using Akka.Configuration;
using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors;

/// <summary>A setting that is out of range or malformed. The message names the setting.</summary>
public sealed class PageReportingConfigException(string message) : ArgumentException(message);

/// <summary>
/// Reporting policy. <c>ReportingOrder</c> null means unset: registration resolves it (R18).
/// <c>ReportTimeout</c> bounds how long the reporter waits for any device answer, on top of the
/// device actor's own handler timeout, so a device that vanished cannot hold a batch forever.
/// </summary>
public sealed record PageReportingSettings(int? ReportingOrder, TimeSpan Delay, int Capacity, TimeSpan ReportTimeout)
{
    /// <summary>Entries per report, as the kernel's capacity: 32.</summary>
    public const int DefaultCapacity = 32;
    /// <summary>The largest capacity accepted.</summary>
    public const int MaxCapacity = 1024;
    /// <summary>From a request to its pass (R6): 2 s.</summary>
    public static readonly TimeSpan DefaultDelay = TimeSpan.FromSeconds(2);
    /// <summary>How long the reporter waits for a device or a zone before it fails the report or abandons the walk: 30 s.</summary>
    public static readonly TimeSpan DefaultReportTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The dispatcher the zone, reporter and registry actors run on; null for the default. A host
    /// that drives virtual time gives them a dispatcher it pumps itself.
    /// </summary>
    public string? Dispatcher { get; init; }

    /// <summary>
    /// The guest kernel whose registration rule resolves the reporting order (R18, R23): 6.1 overwrites
    /// a configured order with the device's (or 9) at every registration. Null: the zones' kernel, or
    /// R18 as written where no zone names one.
    /// </summary>
    public KernelProfile? Kernel { get; init; }

    /// <summary>The <c>guest</c> tag on every metric, telling apart guests that share a process.</summary>
    public string GuestName { get; init; } = DefaultGuestName;

    /// <summary>The guest name when none is set.</summary>
    public const string DefaultGuestName = "guest";

    /// <summary>
    /// The longest delay or report timeout: a day is far beyond any useful value and well inside what the
    /// scheduler can hold (TimeSpan.MaxValue overflowed it and fired at once).
    /// </summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(1);

    /// <summary>The defaults: order unset (R18), 2 s delay, 32 entries, 30 s report timeout.</summary>
    public static PageReportingSettings Default { get; } = new(null, DefaultDelay, DefaultCapacity, DefaultReportTimeout);

    /// <summary>The HOCON section with its defaults; an application's <c>page-reporting { }</c> overrides it.</summary>
    public const string DefaultHocon = """
        page-reporting {
          # 0..10, or off to let registration choose (the device's order, else 9)
          order = off
          delay = 2s
          capacity = 32
          report-timeout = 30s
          # the dispatcher for the zone, reporter and registry actors; empty for the default
          dispatcher = ""
          # the guest tag on the library's metrics
          guest-name = guest
        }
        """;

    /// <summary><see cref="DefaultHocon"/>, parsed.</summary>
    public static Config DefaultConfig { get; } = ConfigurationFactory.ParseString(DefaultHocon);

    /// <summary>Reads <c>page-reporting { }</c> from an actor system's config, over the defaults.</summary>
    public static PageReportingSettings FromConfig(Config config)
    {
        var section = config.WithFallback(DefaultConfig).GetConfig("page-reporting");
        int? order;
        var orderText = section.GetString("order", "off")?.Trim();
        if (string.IsNullOrEmpty(orderText) || orderText is "off" or "null" or "unset") order = null;
        else if (int.TryParse(orderText, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var parsed)) order = parsed;
        else throw new PageReportingConfigException($"page-reporting.order: \"{orderText}\" is not an order (0..10 or off)");

        var delay = ReadDuration(section, "delay");
        var timeout = ReadDuration(section, "report-timeout");
        int capacity;
        try { capacity = section.GetInt("capacity"); }
        catch (Exception ex) when (ex is FormatException or ConfigurationException)
        {
            throw new PageReportingConfigException($"page-reporting.capacity: \"{section.GetString("capacity")}\" is not a number");
        }
        var dispatcher = section.GetString("dispatcher", "");
        var guestName = section.GetString("guest-name", DefaultGuestName);
        return new PageReportingSettings(order, delay, capacity, timeout)
        {
            Dispatcher = string.IsNullOrWhiteSpace(dispatcher) ? null : dispatcher,
            GuestName = guestName ?? DefaultGuestName,
        }.Validated();
    }

    /// <summary>Throws <see cref="PageReportingConfigException"/> naming the first bad setting.</summary>
    public PageReportingSettings Validated()
    {
        if (ReportingOrder is { } o && !PageGeometry.IsValidOrder(o))
            throw new PageReportingConfigException($"page-reporting.order: {o} must be in 0..{PageGeometry.MaxOrder} or off");
        if (Delay <= TimeSpan.Zero || Delay > MaxDuration)
            throw new PageReportingConfigException($"page-reporting.delay: {Delay} must be positive and at most {MaxDuration}");
        if (Capacity is < 1 or > MaxCapacity)
            throw new PageReportingConfigException($"page-reporting.capacity: {Capacity} must be in 1..{MaxCapacity}");
        if (string.IsNullOrWhiteSpace(GuestName))
            throw new PageReportingConfigException("page-reporting.guest-name: must not be empty");
        if (ReportTimeout <= TimeSpan.Zero || ReportTimeout > MaxDuration)
            throw new PageReportingConfigException($"page-reporting.report-timeout: {ReportTimeout} must be positive and at most {MaxDuration}");
        return this;
    }

    private static TimeSpan ReadDuration(Config section, string key)
    {
        try { return section.GetTimeSpan(key, allowInfinite: false); }
        catch (Exception ex) when (ex is FormatException or ConfigurationException or ArgumentException or OverflowException)
        {
            throw new PageReportingConfigException($"page-reporting.{key}: \"{section.GetString(key)}\" is not a duration");
        }
    }
}
