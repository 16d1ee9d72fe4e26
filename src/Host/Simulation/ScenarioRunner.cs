using System.Diagnostics;
using Akka.Actor;
using Akka.Hosting;
using Akka.Logger.Serilog;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors.Host.Simulation;

/// <summary>
/// Runs a scenario's guest, device and hypervisor on virtual time.
/// </summary>
/// <remarks>
/// The actor system is started through Akka.Hosting with <see cref="PageReportingHostingExtensions.WithPageReporting"/>,
/// like any embedding host, with two changes: its scheduler is a <see cref="VirtualTimeScheduler"/>,
/// and the guest's actors run on a dispatcher whose executor (<see cref="PumpedExecutor"/>) only
/// queues work for this driver thread. The driver lets the actors run until nothing is queued,
/// then moves the clock to the next thing due: a timer, a device answer, a workload step or a
/// timeline sample. Minutes of guest time take as long as the messages they cause, and a run's
/// order of events depends only on the scenario and its seed.
/// </remarks>
public static class ScenarioRunner
{
    public const string DispatcherId = "page-reporting-sim-dispatcher";

    public static Task<RunResult> RunAsync(Scenario scenario, RunOptions options, CancellationToken cancellationToken = default) =>
        Task.Run(() => new Simulation(scenario, options, cancellationToken).Run(), cancellationToken);

    private sealed class Simulation
    {
        private readonly Scenario _scenario;
        private readonly RunOptions _options;
        private readonly CancellationToken _cancellation;
        private readonly Random _random;
        private readonly RunLog _runLog = new();
        private readonly List<TimelineRow> _timeline = new();
        private readonly List<AllocationShortfall> _shortfalls = new();
        private readonly Dictionary<string, List<(int Zone, Block Block)>> _held = new();
        private readonly PriorityQueue<Action, (long Ticks, long Sequence)> _steps = new();
        private long _stepSequence;
        private long _peakResidentPages;

        private VirtualTimeScheduler _clock = null!;
        private PumpedExecutor _executor = null!;
        private PageReportingGuest _guest = null!;
        private HypervisorModel _hypervisor = null!;
        private IActorRef _device = ActorRefs.Nobody;
        private IActorRef _recorder = ActorRefs.Nobody;

        public Simulation(Scenario scenario, RunOptions options, CancellationToken cancellation)
        {
            _scenario = scenario;
            _options = options;
            _cancellation = cancellation;
            _random = new Random(scenario.Seed);
        }

        public RunResult Run()
        {
            var wall = Stopwatch.StartNew();
            var pumpKey = "sim-" + Guid.NewGuid().ToString("N");
            _executor = PumpedExecutor.Register(pumpKey);
            var settings = PageReportingSettings.Default with
            {
                ReportingOrder = _scenario.Reporting.Order,
                Delay = _scenario.Reporting.Delay,
                Capacity = _scenario.Reporting.Capacity,
                Dispatcher = DispatcherId,
            };

            PageReportingGuest? started = null;
            using var host = new HostBuilder()
                .ConfigureServices(services => services.AddAkka("page-reporting-sim", builder =>
                {
                    builder
                        .AddHocon(SimulationHocon(pumpKey), HoconAddMode.Prepend)
                        .ConfigureLoggers(loggers =>
                        {
                            loggers.LogLevel = Akka.Event.LogLevel.DebugLevel;
                            loggers.ClearLoggers();
                            loggers.AddSerilogLogging();
                        })
                        .WithPageReporting(_scenario.Zones, settings, guest => started = guest);
                }))
                .Build();
            host.StartAsync(_cancellation).GetAwaiter().GetResult();
            try
            {
                var system = host.Services.GetRequiredService<ActorSystem>();
                _clock = (VirtualTimeScheduler)system.Scheduler;
                _guest = started ?? throw new InvalidOperationException("page reporting did not start");
                _hypervisor = new HypervisorModel(_scenario.Zones, _scenario.Device, _clock);
                _peakResidentPages = _hypervisor.ResidentPages;
                var startResident = _hypervisor.ResidentBytes;
                _device = system.ActorOf(PageReporting.DeviceProps(_hypervisor).WithDispatcher(DispatcherId), "balloon");
                _recorder = system.ActorOf(RunRecorderActor.Props(_runLog).WithDispatcher(DispatcherId), "recorder");
                AwaitStarted(_device);
                AwaitStarted(_recorder);

                var stopAt = Drive();
                var order = Ask<RegistrationStatus>(_guest.Registry, GetRegistration.Instance).ReportingOrder
                            ?? _scenario.Reporting.Order ?? PageGeometry.PageblockOrder;
                return BuildResult(order, stopAt, startResident, wall.Elapsed.TotalSeconds);
            }
            finally
            {
                Shutdown(host);
                PumpedExecutor.Unregister(pumpKey);
            }
        }

        private static string SimulationHocon(string pumpKey) => $$"""
            akka.scheduler.implementation = "{{typeof(VirtualTimeScheduler).FullName}}, {{typeof(VirtualTimeScheduler).Assembly.GetName().Name}}"
            akka.actor.ask-timeout = infinite
            akka.stdout-loglevel = WARNING
            {{DispatcherId}} {
              type = Dispatcher
              executor = "{{typeof(PumpedExecutorConfigurator).FullName}}, {{typeof(PumpedExecutorConfigurator).Assembly.GetName().Name}}"
              pump-key = "{{pumpKey}}"
              throughput = 100
            }
            """;

        /// <summary>
        /// A top-level actor is started by the user guardian on another thread, and messages sent to it
        /// before then are held and delivered from that thread, at a wall time that means nothing on the
        /// virtual clock. Wait (pumping) until it answers, so every later send is delivered at once.
        /// </summary>
        private void AwaitStarted(IActorRef actor)
        {
            var identity = actor.Ask<ActorIdentity>(new Identify(actor.Path.Name));
            var waited = Stopwatch.StartNew();
            while (!identity.IsCompleted)
            {
                if (_executor.RunUntilIdle() == 0) Thread.Sleep(1);
                if (waited.Elapsed > TimeSpan.FromSeconds(30))
                    throw new InvalidOperationException($"{actor.Path.Name} did not start within 30 s");
            }
            Pump();
        }

        /// <summary>The event loop: timers, device answers, workload steps and samples, in time order.</summary>
        private TimeSpan Drive()
        {
            var stopAt = _scenario.Workload.OfType<StopStep>().Select(s => s.At).DefaultIfEmpty(
                _scenario.Workload.Count == 0 ? TimeSpan.Zero : _scenario.Workload.Max(s => s.At)).Min();
            foreach (var step in _scenario.Workload.Where(s => s.At <= stopAt))
                Schedule(step.At, () => Execute(step));

            var sample = _options.Sample;
            long sampleIndex = 0;
            var lastProgress = -1;
            while (true)
            {
                _cancellation.ThrowIfCancellationRequested();
                var nextSample = TimeSpan.FromTicks(sample.Ticks * sampleIndex);
                var nextStep = _steps.TryPeek(out _, out var key) ? TimeSpan.FromTicks(key.Ticks) : TimeSpan.MaxValue;
                var target = Min(Min(nextSample, nextStep), stopAt);

                if (_clock.TryRunNext(VirtualTimeScheduler.Epoch + target))
                {
                    Pump();
                    continue;
                }
                _clock.AdvanceTo(VirtualTimeScheduler.Epoch + target);
                if (nextStep == target)
                {
                    _steps.Dequeue()();
                    Pump();
                    continue;
                }
                if (nextSample == target)
                {
                    Sample(target);
                    sampleIndex++;
                    var percent = stopAt == TimeSpan.Zero ? 100 : (int)(100 * target.Ticks / stopAt.Ticks);
                    if (percent != lastProgress)
                    {
                        lastProgress = percent;
                        _options.Progress?.Report(percent / 100.0);
                    }
                }
                if (target >= stopAt && nextSample > stopAt) return stopAt;
                if (target >= stopAt && nextSample == stopAt) continue;
                if (target >= stopAt) return stopAt;
            }
        }

        private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

        private void Schedule(TimeSpan at, Action action) => _steps.Enqueue(action, (at.Ticks, _stepSequence++));

        private TimeSpan Now => _clock.Now - VirtualTimeScheduler.Epoch;

        private void Execute(WorkloadStep step)
        {
            switch (step)
            {
                case RegisterStep:
                    _guest.Registry.Tell(new RegisterDevice(_device, _scenario.Device.Order), _recorder);
                    break;
                case UnregisterStep:
                    _guest.Registry.Tell(new UnregisterDevice(_device), _recorder);
                    break;
                case SetOrderStep s:
                    _guest.Registry.Tell(new SetReportingOrder(s.Value), _recorder);
                    break;
                case AllocateStep a:
                    Hold(a.Id, AllocateBlocks(a.Id, a.SizeBytes, a.Order, a.Migratetype));
                    break;
                case FreeStep f:
                    FreeHeld(f.Id, f.Fraction, f.Pattern);
                    break;
                case ChurnStep c:
                    Hold(c.Id, AllocateBlocks(c.Id, c.SizeBytes, c.Order, Migratetype.Movable));
                    ScheduleChurn(c, c.At + c.Period);
                    break;
                case StopStep:
                    break;
            }
        }

        private void ScheduleChurn(ChurnStep churn, TimeSpan at)
        {
            if (churn.Period <= TimeSpan.Zero || at > churn.Until) return;
            Schedule(at, () =>
            {
                // Free a random part (up to half) of what the churn holds, then take as much back.
                var held = _held[churn.Id];
                var count = (int)Math.Round(_random.NextDouble() * 0.5 * held.Count);
                var chosen = RandomIndexes(held.Count, count);
                FreeIndexes(churn.Id, chosen);
                Hold(churn.Id, AllocateBlocks(churn.Id, (long)count << (churn.Order + PageGeometry.PageShift), churn.Order, Migratetype.Movable));
                ScheduleChurn(churn, at + churn.Period);
            });
        }

        private void Hold(string id, List<(int Zone, Block Block)> blocks)
        {
            if (!_held.TryGetValue(id, out var held)) _held[id] = held = new List<(int, Block)>();
            held.AddRange(blocks);
        }

        /// <summary>
        /// Takes blocks from the highest zone that stays above its low watermark, then, when none does,
        /// again from the highest against min; what cannot be had is recorded, not thrown.
        /// </summary>
        private List<(int Zone, Block Block)> AllocateBlocks(string id, long sizeBytes, int order, Migratetype type)
        {
            var blockBytes = PageGeometry.BytesOfPages(1L << order);
            var wanted = (int)(sizeBytes / blockBytes);
            var got = new List<(int Zone, Block Block)>(wanted);
            AllocationFailureReason? lastFailure = null;
            foreach (var floor in new[] { WatermarkLevel.Low, WatermarkLevel.Min })
            {
                for (var zone = _guest.Zones.Count - 1; zone >= 0 && got.Count < wanted; zone--)
                {
                    var reply = Ask<object>(_guest.Zones[zone], new AllocateMany(order, wanted - got.Count, type, floor));
                    if (reply is not AllocatedMany many) continue;
                    foreach (var block in many.Blocks)
                    {
                        got.Add((zone, block));
                        _hypervisor.MarkResident(block);
                    }
                    lastFailure = many.StoppedBecause ?? lastFailure;
                }
                if (got.Count == wanted) break;
            }
            _peakResidentPages = Math.Max(_peakResidentPages, _hypervisor.ResidentPages);
            if (got.Count < wanted)
                _shortfalls.Add(new AllocationShortfall(Now.TotalSeconds, id, sizeBytes, got.Count * blockBytes,
                    lastFailure?.ToString() ?? "no zone could serve it"));
            return got;
        }

        private void FreeHeld(string id, double fraction, FreePattern pattern)
        {
            if (!_held.TryGetValue(id, out var held)) return;
            var count = (int)Math.Round(fraction * held.Count);
            var chosen = pattern switch
            {
                FreePattern.All => Enumerable.Range(0, count).ToList(),
                FreePattern.EveryOther => Enumerable.Range(0, held.Count).Where(i => i % 2 == 0)
                    .Concat(Enumerable.Range(0, held.Count).Where(i => i % 2 == 1)).Take(count).ToList(),
                _ => RandomIndexes(held.Count, count),
            };
            FreeIndexes(id, chosen);
        }

        /// <summary>A seeded choice of <paramref name="count"/> distinct indexes, kept in ascending order.</summary>
        private List<int> RandomIndexes(int total, int count)
        {
            var all = Enumerable.Range(0, total).ToArray();
            _random.Shuffle(all);
            return all.Take(count).Order().ToList();
        }

        /// <summary>Frees the chosen held blocks in the order given, batching runs that share a zone.</summary>
        private void FreeIndexes(string id, List<int> indexes)
        {
            var held = _held[id];
            var i = 0;
            while (i < indexes.Count)
            {
                var zone = held[indexes[i]].Zone;
                var batch = new List<Block>();
                while (i < indexes.Count && held[indexes[i]].Zone == zone) batch.Add(held[indexes[i++]].Block);
                var freed = Ask<FreedMany>(_guest.Zones[zone], new FreeMany([.. batch]));
                if (freed.Rejected.Length > 0)
                    throw new InvalidOperationException($"zone {freed.Zone} refused {freed.Rejected.Length} frees of {id}: {freed.Rejected[0].Detail}");
            }
            var remove = indexes.ToHashSet();
            _held[id] = held.Where((_, index) => !remove.Contains(index)).ToList();
        }

        private void Sample(TimeSpan at)
        {
            long free = 0, reported = 0, isolated = 0;
            foreach (var zone in _guest.Zones)
            {
                var status = Ask<ZoneStatus>(zone, GetZoneStatus.Instance);
                free += status.FreePages;
                reported += status.ReportedPages;
                isolated += status.IsolatedPages;
            }
            _timeline.Add(new TimelineRow(at.TotalSeconds, PageGeometry.BytesOfPages(free), PageGeometry.BytesOfPages(reported),
                PageGeometry.BytesOfPages(isolated), _hypervisor.ResidentBytes));
        }

        /// <summary>Sends, lets the actors run until idle, and takes the reply.</summary>
        private T Ask<T>(IActorRef actor, object message)
        {
            var reply = actor.Ask<object>(message);
            Pump();
            if (!reply.Wait(TimeSpan.FromSeconds(30)))
                throw new InvalidOperationException($"{actor.Path.Name} did not answer {message.GetType().Name}");
            return reply.Result is T typed
                ? typed
                : throw new InvalidOperationException($"{actor.Path.Name} answered {reply.Result.GetType().Name} to {message.GetType().Name}");
        }

        private void Pump() => _executor.RunUntilIdle();

        private RunResult BuildResult(int order, TimeSpan stopAt, long startResident, double wallSeconds)
        {
            var reports = _runLog.Reports.OrderBy(r => r.ReportId).Select(r => new ReportRecord(
                (r.HandedAt - VirtualTimeScheduler.Epoch).TotalSeconds,
                r.Zone,
                r.Entries,
                r.Bytes >> PageGeometry.PageShift,
                r.Bytes,
                r.Pages.Entries.GroupBy(e => e.Order).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count()),
                r.Success)).ToList();
            var passes = _runLog.Passes.Select(p => new PassRecord(
                (p.Start - VirtualTimeScheduler.Epoch).TotalSeconds,
                (p.End - VirtualTimeScheduler.Epoch).TotalSeconds,
                p.Reports,
                p.ReportedBytes)).ToList();
            var summary = new RunSummary(
                reports.Count,
                reports.Count(r => !r.Ok),
                reports.Where(r => r.Ok).Sum(r => r.Bytes),
                passes.Count,
                stopAt.TotalSeconds,
                wallSeconds,
                startResident,
                PageGeometry.BytesOfPages(Math.Max(_peakResidentPages, _hypervisor.ResidentPages)),
                _hypervisor.ResidentBytes);
            return new RunResult(_scenario.Name, _scenario.Seed,
                new RunSettings(order, _scenario.Reporting.Delay.TotalSeconds, _scenario.Reporting.Capacity),
                reports, passes, _timeline, _shortfalls, summary) { Steps = WorkloadMarker.Of(_scenario.Workload) };
        }

        /// <summary>The guest's actors stop only when pumped, so keep pumping while the host shuts down.</summary>
        private void Shutdown(IHost host)
        {
            // The run's log is complete; Akka's own shutdown chatter would only clutter it.
            host.Services.GetService<ActorSystem>()?.EventStream.SetLogLevel(Akka.Event.LogLevel.WarningLevel);
            var stopping = host.StopAsync(CancellationToken.None);
            var deadline = Stopwatch.StartNew();
            while (!stopping.IsCompleted && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                if (_executor.RunUntilIdle() == 0) Thread.Sleep(1);
            }
        }
    }
}
