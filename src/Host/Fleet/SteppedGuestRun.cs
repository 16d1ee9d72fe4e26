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
    private bool _disposed;

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
            ObjectDisposedException.ThrowIf(_disposed, this);
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
        _cancel.Cancel();
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _simulation?.Dispose();
            _simulation = null;
        }
        _cancel.Dispose();
    }
}
