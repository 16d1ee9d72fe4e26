using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Spectre.Console;

namespace PageReportingActors.Host.Cli;

/// <summary>
/// While a progress bar is live on the terminal, log lines go through the same Spectre console, which
/// writes them above the bar instead of over it. At other times this sink writes nothing and the
/// plain console sink does the work (see <see cref="IsLive"/>).
/// </summary>
internal sealed class LiveConsoleLogSink(ITextFormatter formatter) : ILogEventSink
{
    private static volatile IAnsiConsole? _live;

    /// <summary>True while a live display owns the terminal.</summary>
    public static bool IsLive => _live is not null;

    /// <summary>Routes log lines to <paramref name="console"/> until the returned scope ends.</summary>
    public static IDisposable Attach(IAnsiConsole console)
    {
        _live = console;
        return new Detach();
    }

    public void Emit(LogEvent logEvent)
    {
        var console = _live;
        if (console is null) return;
        using var text = new StringWriter();
        formatter.Format(logEvent, text);
        console.Write(new Text(text.ToString()));
    }

    private sealed class Detach : IDisposable
    {
        public void Dispose() => _live = null;
    }
}
