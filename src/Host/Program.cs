using PageReportingActors.Host.Cli;
using Serilog;
using Serilog.Formatting.Display;

const string template = "[{Level:u3}] {Message:lj}{NewLine}{Exception}";

// Akka's log (passes at Information, reports at Debug, rejections at Warning) goes through Serilog.
Log.Logger = new LoggerConfiguration()
    .MinimumLevel.Debug()
    // Debug is for the per-report lines; Akka's own debug chatter (start-up, shutdown) stays out.
    .Filter.ByIncludingOnly(e => e.Level >= Serilog.Events.LogEventLevel.Information || e.MessageTemplate.Text.StartsWith("Reported", StringComparison.Ordinal))
    // On a terminal with a live progress bar, lines go above the bar; otherwise straight to stdout.
    .WriteTo.Sink(new LiveConsoleLogSink(new MessageTemplateTextFormatter(template)))
    .WriteTo.Logger(plain => plain
        .Filter.ByExcluding(_ => LiveConsoleLogSink.IsLive)
        .WriteTo.Console(outputTemplate: template))
    .CreateLogger();

// Ctrl+C cancels the run instead of killing the process, so the exit code and message stay ours.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};
try
{
    return await HostProgram.RunAsync(args, Console.Out, Console.Error, cancellationToken: cancellation.Token);
}
finally
{
    await Log.CloseAndFlushAsync();
}
