using PageReportingActors.Host.Cli;
using Serilog;

// Ctrl+C cancels the run instead of killing the process, so the exit code and message stay ours.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};
// SIGTERM the same way: the run stops, child fleet nodes are stopped, and the exit code is 130.
using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    cancellation.Cancel();
});
try
{
    // The run's log (Akka through Serilog) is set up by HostProgram from --log-level and --quiet.
    return await HostProgram.RunAsync(args, Console.Out, Console.Error, cancellationToken: cancellation.Token);
}
finally
{
    await Log.CloseAndFlushAsync();
}
