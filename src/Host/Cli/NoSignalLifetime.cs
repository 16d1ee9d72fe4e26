using Microsoft.Extensions.Hosting;

namespace PageReportingActors.Host.Cli;

/// <summary>
/// A host lifetime that listens to no signal. The default console lifetime takes SIGINT and
/// SIGTERM and stops its host from inside the signal handler, before the host program sees the
/// signal; the host program owns those signals and stops each host when its command stops.
/// </summary>
internal sealed class NoSignalLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
