using PageReportingActors.Host.Simulation;

namespace PageReportingActors.Host.Fleet;

/// <summary>
/// An <see cref="IGuestRun"/> that simulates its guest as the fleet advances: each
/// <see cref="AdvanceTo"/> moves the guest's <see cref="GuestSimulation"/> forward to that instant
/// and samples it, so a node holds only each running guest's live state, never a run's worth of
/// samples. "Without reporting" comes from the same run: the hypervisor model keeps every page the
/// guest has written (<see cref="Hypervisor.HostMemory.WithoutReportingBytes"/>).
/// </summary>
/// <remarks>
/// The guest runs on its own clock from 0: fleet time t is guest time t - start, the same run as
/// the scenario alone with this seed. The simulation is made when the guest starts and thrown away
/// at its stop, once its totals are taken. Calls come one at a time (the guest's entity waits for
/// each); <see cref="Dispose"/> may come from another thread while one runs, and stops it.
/// Dispose returns at once: the running step stops at its next event, and the simulation's own
/// shutdown (an actor system per guest) happens off the caller's thread, which is an actor's.
/// </remarks>
internal sealed class SteppedGuestRun : IGuestRun
{
    private readonly GuestDefinition _definition;
    private readonly Akka.Event.LogLevel _lowestLog;
    private readonly CancellationTokenSource _cancel = new();
    private readonly Lock _lock = new();
    private GuestSimulation? _simulation;
    private GuestResult? _result;
    private TimeSpan _last = TimeSpan.MinValue;
    private int _disposed;

    /// <param name="lowestLog">The lowest level the guest's actors log at (see <see cref="GuestSimulation.Start"/>).</param>
    public SteppedGuestRun(GuestDefinition definition, Akka.Event.LogLevel lowestLog = Akka.Event.LogLevel.DebugLevel)
    {
        ArgumentNullException.ThrowIfNull(definition);
        _definition = definition;
        _lowestLog = lowestLog;
    }

    public bool Finished => _result is not null;

    public GuestResult Result => _result ?? throw new InvalidOperationException($"guest {_definition.Index} has not reached its stop");

    public GuestSample AdvanceTo(TimeSpan t)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (t < _last) throw new ArgumentOutOfRangeException(nameof(t), $"guest {_definition.Index}: {t} is before {_last}; a run only moves forward");
            _last = t;
            var local = t - _definition.Start;
            if (local < TimeSpan.Zero || _result is not null) return GuestSample.Absent;
            var simulation = _simulation ??= GuestSimulation.Start(_definition.ToScenario(), cancellation: _cancel.Token, lowestLog: _lowestLog,
                keepTimeline: false);
            var at = local < _definition.Stop ? local : _definition.Stop;
            simulation.AdvanceTo(at);
            // Past its stop the guest holds nothing; exactly at it, it is sampled like any instant of its run.
            var sample = local <= _definition.Stop ? Take(simulation) : GuestSample.Absent;
            if (at >= _definition.Stop) Finish(simulation);
            return sample;
        }
    }

    private static GuestSample Take(GuestSimulation simulation)
    {
        var row = simulation.Sample();
        return new GuestSample(true, row.FreeBytes, row.ReportedBytes, row.HostResidentBytes, row.Host!.WithoutReportingBytes);
    }

    private void Finish(GuestSimulation simulation)
    {
        var run = simulation.BuildResult(0);
        var s = run.Summary;
        _result = new GuestResult(_definition.Index, run.Scenario, s.ReportCalls, s.FailedReports, s.ReportedBytes,
            s.HostResidentPeakBytes, s.HostResidentEndBytes, s.VirtualSeconds)
        {
            HostFaults = run.Host?.HostFaults ?? 0,
            Refaults = run.Host?.Refaults ?? 0,
            RefaultBytes = run.Host?.RefaultBytes ?? 0,
            IgnoredBytes = run.Host?.IgnoredBytes ?? 0,
            HostCpuSeconds = run.Host?.HostCpuSeconds ?? 0,
        };
        simulation.Dispose();
        _simulation = null;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _cancel.Cancel();
        if (_lock.TryEnter())
        {
            try
            {
                if (_simulation is null)
                {
                    _cancel.Dispose();
                    return;
                }
            }
            finally
            {
                _lock.Exit();
            }
        }
        // A fleet that stops drops its live guests together: stopping each one's actor system in turn
        // on the caller's thread would take seconds, and on the thread pool (each pumps its own
        // system until it has stopped) starves the fleet's node of the threads it needs to stop.
        Stopper.Add(() =>
        {
            lock (_lock)
            {
                _simulation?.Dispose();
                _simulation = null;
            }
            _cancel.Dispose();
        });
    }

    /// <summary>Stops dropped simulations one after another on a thread of its own.</summary>
    private static class Stopper
    {
        private static readonly System.Collections.Concurrent.BlockingCollection<Action> Queue = Start();

        public static void Add(Action stop) => Queue.Add(stop);

        private static System.Collections.Concurrent.BlockingCollection<Action> Start()
        {
            var queue = new System.Collections.Concurrent.BlockingCollection<Action>();
            new Thread(() =>
            {
                foreach (var stop in queue.GetConsumingEnumerable())
                {
                    try
                    {
                        stop();
                    }
                    catch (Exception)
                    {
                        // A simulation that fails to stop is one nobody reads again.
                    }
                }
            }) { IsBackground = true, Name = "guest-stopper" }.Start();
            return queue;
        }
    }
}
