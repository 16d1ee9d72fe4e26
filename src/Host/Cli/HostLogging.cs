using System.Globalization;
using PageReportingActors.Host.Simulation;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace PageReportingActors.Host.Cli;

/// <summary>
/// The host's log: the guest's actors log through Akka.Logger.Serilog to here. Each line starts with
/// the virtual time it was logged at (blank for lines from outside a simulation, such as Akka's own
/// start-up), then its level and message.
/// </summary>
internal static class HostLogging
{
    public const string Template = "[{VirtualTime}] [{Level:u3}] {Message:lj}{NewLine}{Exception}";

    /// <summary>The names <c>--log-level</c> accepts, and what they mean.</summary>
    public static IReadOnlyDictionary<string, LogEventLevel> Levels { get; } = new Dictionary<string, LogEventLevel>(StringComparer.OrdinalIgnoreCase)
    {
        ["debug"] = LogEventLevel.Debug,
        ["info"] = LogEventLevel.Information,
        ["warning"] = LogEventLevel.Warning,
        ["error"] = LogEventLevel.Error,
    };

    /// <summary>A logger that writes lines of <paramref name="minimum"/> and above to <paramref name="output"/>,
    /// above the progress bar while one is live.</summary>
    public static Logger Create(TextWriter output, LogEventLevel minimum)
    {
        ArgumentNullException.ThrowIfNull(output);
        var formatter = new MessageTemplateTextFormatter(Template, CultureInfo.InvariantCulture);
        return new LoggerConfiguration()
            .MinimumLevel.Is(minimum)
            // Debug is for the per-report lines; Akka's own debug chatter (start-up, shutdown) stays out.
            .Filter.ByIncludingOnly(e => e.Level >= LogEventLevel.Information || e.MessageTemplate.Text.StartsWith("Reported", StringComparison.Ordinal))
            .Enrich.With(new VirtualTimeEnricher())
            .WriteTo.Sink(new LiveConsoleLogSink(formatter))
            .WriteTo.Logger(plain => plain
                .Filter.ByExcluding(_ => LiveConsoleLogSink.IsLive)
                .WriteTo.Sink(new TextWriterSink(output, formatter)))
            .CreateLogger();
    }

    /// <summary>"  17.002s": seconds of virtual time, right-aligned so the lines line up.</summary>
    public static string FormatVirtualTime(TimeSpan? at) =>
        at is { } t ? string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds,9:0.000}s") : new string(' ', 10);

    private sealed class VirtualTimeEnricher : ILogEventEnricher
    {
        public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory) =>
            logEvent.AddPropertyIfAbsent(new LogEventProperty("VirtualTime", new ScalarValue(FormatVirtualTime(VirtualTimeRuntime.RunningNow))));
    }

    private sealed class TextWriterSink(TextWriter output, MessageTemplateTextFormatter formatter) : ILogEventSink
    {
        private readonly Lock _lock = new();

        public void Emit(LogEvent logEvent)
        {
            lock (_lock)
            {
                formatter.Format(logEvent, output);
                output.Flush();
            }
        }
    }
}
