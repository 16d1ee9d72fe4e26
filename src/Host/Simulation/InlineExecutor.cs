using Akka.Configuration;
using Akka.Dispatch;

namespace PageReportingActors.Host.Simulation;

/// <summary>
/// Runs work on the thread that hands it over. The simulation's logger actor runs on it, so a log
/// line is written while the clock still stands at the virtual time it was logged at.
/// </summary>
internal sealed class InlineExecutor(string id) : ExecutorService(id)
{
    public override void Execute(IRunnable run) => run.Run();

    public override void Shutdown() { }
}

/// <summary>Lets a dispatcher's <c>executor</c> setting name an <see cref="InlineExecutor"/>.</summary>
internal sealed class InlineExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
    : ExecutorServiceConfigurator(config, prerequisites)
{
    public override ExecutorService Produce(string id) => new InlineExecutor(id);
}
