using System.Runtime.InteropServices;
using PageReportingActors.Host.Cli;
using Serilog;

// Ctrl+C (SIGINT) and SIGTERM cancel the run instead of killing the process, so the exit code (130)
// and its one line stay ours and no half-written file is left. A second signal, if the first has
// not stopped it yet, ends the process the default way.
using var cancellation = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    if (cancellation.IsCancellationRequested) return;
    context.Cancel = true;
    cancellation.Cancel();
}
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
try
{
    // The run's log (Akka through Serilog) is set up by HostProgram from --log-level and --quiet.
    return await HostProgram.RunAsync(args, Console.Out, Console.Error, cancellationToken: cancellation.Token);
}
finally
{
    await Log.CloseAndFlushAsync();
}
