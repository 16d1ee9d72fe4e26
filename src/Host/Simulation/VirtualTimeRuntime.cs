using System.Diagnostics;
using Akka.Actor;
using Akka.Hosting;
using Akka.Logger.Serilog;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PageReportingActors.Memory;

namespace PageReportingActors.Host.Simulation;

/// <summary>
/// An actor system on virtual time with one guest's page-reporting actors in it, driven from the
/// calling thread.
/// </summary>
/// <remarks>
/// The system is started through Akka.Hosting with <see cref="PageReportingHostingExtensions.WithPageReporting"/>,
/// like any embedding host, with two changes: its scheduler is a <see cref="VirtualTimeScheduler"/>,
/// and the actors run on a dispatcher whose executor (<see cref="PumpedExecutor"/>) only queues
/// work until <see cref="Pump"/> runs it. Nothing happens between calls: the caller decides when
/// the actors run and when the clock moves, so the order of events depends only on the calls.
/// One instance per thread at a time; it is not thread-safe.
/// </remarks>
internal sealed class VirtualTimeRuntime : IDisposable
{
    public const string DispatcherId = "page-reporting-sim-dispatcher";

    /// <summary>The loggers' dispatcher: it logs on the thread that logs, at that moment's virtual time.</summary>
    public const string LoggerDispatcherId = "page-reporting-sim-logger-dispatcher";

    [ThreadStatic] private static VirtualTimeRuntime? _running;

    private readonly IHost _host;
    private readonly PumpedExecutor _executor;
    private readonly CancellationToken _cancellation;
    private bool _disposed;

    private VirtualTimeRuntime(IHost host, PumpedExecutor executor, PageReportingGuest guest, CancellationToken cancellation)
    {
        _cancellation = cancellation;
        _host = host;
        _executor = executor;
        System = host.Services.GetRequiredService<ActorSystem>();
        Clock = (VirtualTimeScheduler)System.Scheduler;
        Guest = guest;
    }

    /// <summary>Starts an actor system on virtual time at 0 with a guest of these zones and settings.</summary>
    /// <param name="lowestLog">The lowest level the guest's actors log at; higher when the host's log writes less.</param>
    public static VirtualTimeRuntime Start(IReadOnlyList<ZoneSpec> zones, PageReportingSettings settings, CancellationToken cancellation = default,
        Akka.Event.LogLevel lowestLog = Akka.Event.LogLevel.DebugLevel)
    {
        ArgumentNullException.ThrowIfNull(zones);
        ArgumentNullException.ThrowIfNull(settings);
        var executor = new PumpedExecutor("sim-" + Guid.NewGuid().ToString("N"));
        PageReportingGuest? started = null;
        IHost? host = null;
        try
        {
            host = new HostBuilder()
                .ConfigureServices(services =>
                {
                    // The default console lifetime would take SIGINT and SIGTERM and stop this actor
                    // system under a running simulation; the host program owns those signals.
                    services.AddSingleton<IHostLifetime, Cli.NoSignalLifetime>();
                    services.AddAkka("page-reporting-sim", builder =>
                {
                    builder
                        .AddHocon(SimulationHocon, HoconAddMode.Prepend)
                        // The dispatcher's executor comes with the system, not from a registry by name.
                        .AddSetup(new PumpedExecutorSetup(executor))
                        .ConfigureLoggers(loggers =>
                        {
                            loggers.LogLevel = (Akka.Event.LogLevel)Math.Max((int)AkkaLevelForSerilog(), (int)lowestLog);
                            loggers.ClearLoggers();
                            loggers.AddSerilogLogging();
                        })
                        .WithPageReporting(zones, settings with { Dispatcher = DispatcherId }, guest => started = guest);
                });
                })
                .Build();
            host.StartAsync(cancellation).GetAwaiter().GetResult();
            return new VirtualTimeRuntime(host, executor,
                started ?? throw new InvalidOperationException("page reporting did not start"), cancellation);
        }
        catch
        {
            host?.Dispose();
            throw;
        }
    }

    public ActorSystem System { get; }

    public VirtualTimeScheduler Clock { get; }

    /// <summary>The guest's zone, reporter and registry actors.</summary>
    public PageReportingGuest Guest { get; }

    /// <summary>Virtual time since the start.</summary>
    public TimeSpan Now => Clock.Now - VirtualTimeScheduler.Epoch;

    /// <summary>
    /// The virtual time of the simulation whose actors run on this thread right now, or null: what
    /// a log line written from an actor of a simulation is stamped with.
    /// </summary>
    public static TimeSpan? RunningNow => _running?.Now;

    /// <summary>Lets the actors run until nothing is queued. Returns how many pieces of work ran.</summary>
    public int Pump()
    {
        var outer = _running;
        _running = this;
        try
        {
            return _executor.RunUntilIdle();
        }
        finally
        {
            _running = outer;
        }
    }

    /// <summary>Runs the earliest timer due at or before <paramref name="limit"/> and the work it causes.</summary>
    public bool TryRunNextTimer(TimeSpan limit)
    {
        var outer = _running;
        _running = this;
        try
        {
            if (!Clock.TryRunNext(VirtualTimeScheduler.Epoch + limit)) return false;
        }
        finally
        {
            _running = outer;
        }
        Pump();
        return true;
    }

    /// <summary>Moves the clock forward to <paramref name="at"/> (never back) without running anything.</summary>
    public void MoveClockTo(TimeSpan at) => Clock.AdvanceTo(VirtualTimeScheduler.Epoch + at);

    /// <summary>
    /// Starts a top-level actor on the simulation's dispatcher and waits until it answers. The user
    /// guardian starts it on another thread, and messages sent before then would be delivered from
    /// that thread at a wall time that means nothing on the virtual clock.
    /// </summary>
    public IActorRef StartActor(Props props, string name)
    {
        var actor = System.ActorOf(props.WithDispatcher(DispatcherId), name);
        var identity = actor.Ask<ActorIdentity>(new Identify(name));
        var waited = Stopwatch.StartNew();
        while (!identity.IsCompleted)
        {
            if (Pump() == 0) Thread.Sleep(1);
            if (waited.Elapsed > TimeSpan.FromSeconds(30))
                throw new InvalidOperationException($"{name} did not start within 30 s");
        }
        Pump();
        return actor;
    }

    /// <summary>
    /// Sends, lets the actors run until idle, and takes the reply. Throws <see cref="OperationCanceledException"/>
    /// first once the start's token is cancelled: a stopped run asks nothing more, even within a step.
    /// </summary>
    public T Ask<T>(IActorRef actor, object message)
    {
        _cancellation.ThrowIfCancellationRequested();
        var reply = actor.Ask<object>(message);
        Pump();
        if (!reply.Wait(TimeSpan.FromSeconds(30)))
            throw new InvalidOperationException($"{actor.Path.Name} did not answer {message.GetType().Name}");
        return reply.Result is T typed
            ? typed
            : throw new InvalidOperationException($"{actor.Path.Name} answered {reply.Result.GetType().Name} to {message.GetType().Name}");
    }

    /// <summary>Sends without waiting for an answer, and lets the actors run until idle.</summary>
    public void Tell(IActorRef actor, object message, IActorRef sender)
    {
        actor.Tell(message, sender);
        Pump();
    }

    /// <summary>The guest's actors stop only when pumped, so keep pumping while the host shuts down.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            // Akka's own shutdown chatter would only clutter a run's log.
            System.EventStream.SetLogLevel(Akka.Event.LogLevel.WarningLevel);
            var stopping = _host.StopAsync(CancellationToken.None);
            var deadline = Stopwatch.StartNew();
            while (!stopping.IsCompleted && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                if (Pump() == 0) Thread.Sleep(1);
            }
        }
        finally
        {
            _host.Dispose();
        }
    }

    /// <summary>
    /// Akka makes no log event below what Serilog would write: each event is handled on the driver
    /// thread (the loggers' dispatcher runs inline), so one nobody reads is time lost.
    /// </summary>
    private static Akka.Event.LogLevel AkkaLevelForSerilog()
    {
        var serilog = Serilog.Log.Logger;
        if (serilog.IsEnabled(Serilog.Events.LogEventLevel.Debug)) return Akka.Event.LogLevel.DebugLevel;
        if (serilog.IsEnabled(Serilog.Events.LogEventLevel.Information)) return Akka.Event.LogLevel.InfoLevel;
        if (serilog.IsEnabled(Serilog.Events.LogEventLevel.Warning)) return Akka.Event.LogLevel.WarningLevel;
        return Akka.Event.LogLevel.ErrorLevel;
    }

    private static readonly string SimulationHocon = $$"""
        akka.scheduler.implementation = "{{typeof(VirtualTimeScheduler).FullName}}, {{typeof(VirtualTimeScheduler).Assembly.GetName().Name}}"
        akka.actor.ask-timeout = infinite
        # The process's signals belong to the host program, which stops the run; left on, Akka would
        # terminate this system on SIGTERM under a simulation that is still asking its actors.
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        akka.stdout-loglevel = WARNING
        akka.loggers-dispatcher = {{LoggerDispatcherId}}
        {{LoggerDispatcherId}} {
          type = Dispatcher
          executor = "{{typeof(InlineExecutorConfigurator).FullName}}, {{typeof(InlineExecutorConfigurator).Assembly.GetName().Name}}"
          throughput = 100
        }
        {{DispatcherId}} {
          type = Dispatcher
          executor = "{{typeof(PumpedExecutorConfigurator).FullName}}, {{typeof(PumpedExecutorConfigurator).Assembly.GetName().Name}}"
          throughput = 100
        }
        """;
}
