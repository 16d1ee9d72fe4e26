using System.Collections.Concurrent;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Dispatch;

namespace PageReportingActors.Host.Simulation;

/// <summary>
/// An executor that only queues work; the simulation's driver thread runs it with
/// <see cref="RunUntilIdle"/>. Every actor of the simulated guest runs on a dispatcher backed by
/// this, so their messages are processed in one deterministic order, and "idle" is knowable.
/// </summary>
internal sealed class PumpedExecutor(string id) : ExecutorService(id)
{
    private readonly ConcurrentQueue<IRunnable> _work = new();

    public override void Execute(IRunnable run) => _work.Enqueue(run);

    public override void Shutdown() { }

    /// <summary>Runs queued work, and the work it queues, until there is none. Returns how many ran.</summary>
    public int RunUntilIdle()
    {
        var ran = 0;
        while (_work.TryDequeue(out var run))
        {
            run.Run();
            ran++;
        }
        return ran;
    }
}

/// <summary>Hands an actor system its simulation's <see cref="PumpedExecutor"/>, as part of the system's setup.</summary>
internal sealed class PumpedExecutorSetup(PumpedExecutor executor) : Setup
{
    public PumpedExecutor Executor { get; } = executor;
}

/// <summary>Lets a dispatcher's <c>executor</c> setting name the <see cref="PumpedExecutor"/> of its actor system's setup.</summary>
internal sealed class PumpedExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
    : ExecutorServiceConfigurator(config, prerequisites)
{
    public override ExecutorService Produce(string id) =>
        Prerequisites.Settings.Setup.Get<PumpedExecutorSetup>().Value?.Executor
        ?? throw new InvalidOperationException("the actor system was set up without a PumpedExecutorSetup");
}
