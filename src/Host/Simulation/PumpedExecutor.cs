using System.Collections.Concurrent;
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
    private static readonly ConcurrentDictionary<string, PumpedExecutor> Registered = new();
    private readonly ConcurrentQueue<IRunnable> _work = new();

    /// <summary>Makes an executor that a dispatcher configured with <c>pump-key = key</c> will use.</summary>
    public static PumpedExecutor Register(string key) => Registered.GetOrAdd(key, k => new PumpedExecutor(k));

    public static void Unregister(string key) => Registered.TryRemove(key, out _);

    internal static PumpedExecutor Lookup(string key) =>
        Registered.TryGetValue(key, out var executor) ? executor : throw new InvalidOperationException($"no pumped executor is registered as \"{key}\"");

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

/// <summary>Lets a dispatcher's <c>executor</c> setting name a <see cref="PumpedExecutor"/> by its <c>pump-key</c>.</summary>
internal sealed class PumpedExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
    : ExecutorServiceConfigurator(config, prerequisites)
{
    public override ExecutorService Produce(string id) => PumpedExecutor.Lookup(Config.GetString("pump-key"));
}
