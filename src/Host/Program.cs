using PageReportingActors.Host.Cli;

// Ctrl+C cancels the run instead of killing the process, so the exit code and message stay ours.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};
return await HostProgram.RunAsync(args, Console.Out, Console.Error, cancellationToken: cancellation.Token);
