using Akka.Actor;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Hypervisor;
using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors.Host.Simulation;

/// <summary>
/// One guest, its balloon device and the hypervisor's view on virtual time, advanced step by step
/// by the caller: <c>AdvanceTo(t)</c> runs everything due up to <c>t</c> (timers first at each
/// instant, then the workload's actions), <see cref="Sample"/> takes a timeline row at the
/// current time, <see cref="BuildResult"/> turns the run into a <see cref="RunResult"/>.
/// <see cref="RunToStop"/> is the sample loop of a whole run; many of these can instead be advanced
/// in lockstep, one sample at a time. Not thread-safe: one driver thread per simulation.
/// </summary>
internal sealed class GuestSimulation : IDisposable
{
    private readonly Scenario _scenario;
    private readonly IWorkload _workload;
    private readonly VirtualTimeRuntime _runtime;
    private readonly List<TimelineRow> _timeline = new();
    private readonly CancellationToken _cancellation;
    private readonly bool _keepTimeline;

    private GuestSimulation(Scenario scenario, IWorkload workload, TimeSpan stopAt, VirtualTimeRuntime runtime, SimulatedGuest guest,
        BalloonDeviceModel device, CancellationToken cancellation, bool keepTimeline)
    {
        _cancellation = cancellation;
        _keepTimeline = keepTimeline;
        _scenario = scenario;
        _workload = workload;
        StopAt = stopAt;
        _runtime = runtime;
        Guest = guest;
        Device = device;
    }

    /// <summary>
    /// Starts the guest of <paramref name="scenario"/> at virtual time 0. The workload is the
    /// scenario's own steps unless one is given (a trace replay gives its events); the run ends at
    /// <paramref name="stopAt"/>, by default the scenario's <c>stop</c> (<see cref="ScenarioWorkload.StopTime"/>).
    /// The guest's actors log at <paramref name="lowestLog"/> and above, and never below what the host's log writes.
    /// Without <paramref name="keepTimeline"/> the rows <see cref="Sample"/> takes are handed out and not kept:
    /// a fleet's guest holds only its live state, never a run's worth of samples.
    /// </summary>
    public static GuestSimulation Start(Scenario scenario, IWorkload? workload = null, TimeSpan? stopAt = null, CancellationToken cancellation = default,
        Akka.Event.LogLevel lowestLog = Akka.Event.LogLevel.DebugLevel, bool keepTimeline = true)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var stop = stopAt ?? ScenarioWorkload.StopTime(scenario);
        var settings = PageReportingSettings.Default with
        {
            ReportingOrder = scenario.Reporting.Order,
            Delay = scenario.Reporting.Delay,
            Capacity = scenario.Reporting.Capacity,
            // R23: registration resolves the order by the guest kernel's rule.
            Kernel = scenario.Kernel,
        };
        var runtime = VirtualTimeRuntime.Start(scenario.Zones, settings, cancellation, lowestLog);
        try
        {
            var hypervisor = new HostMemory(scenario.Zones, scenario.Host);
            var balloon = new BalloonDeviceModel(scenario.Device, hypervisor, runtime.Clock);
            var log = new RunLog();
            var device = runtime.StartActor(PageReporting.DeviceProps(balloon), "balloon");
            var recorder = runtime.StartActor(RunRecorderActor.Props(log), "recorder");
            var guest = new SimulatedGuest(runtime, device, recorder, hypervisor, log);
            return new GuestSimulation(scenario, workload ?? new ScenarioWorkload(scenario, stop), stop, runtime, guest, balloon, cancellation, keepTimeline)
            {
                _hostMetrics = PageReportingHostMetrics.Observe(settings.GuestName, hypervisor),
            };
        }
        catch
        {
            runtime.Dispose();
            throw;
        }
    }

    /// <summary>The guest's actors, device, hypervisor view and run log.</summary>
    public SimulatedGuest Guest { get; }

    public BalloonDeviceModel Device { get; }

    /// <summary>The virtual time the run ends at; <see cref="AdvanceTo"/> goes no further.</summary>
    public TimeSpan StopAt { get; }

    /// <summary>Virtual time since the start.</summary>
    public TimeSpan Now => _runtime.Now;

    public bool Finished => Now >= StopAt;

    /// <summary>The timeline rows taken so far.</summary>
    public IReadOnlyList<TimelineRow> Timeline => _timeline;

    /// <summary>The last row taken, or null before the first.</summary>
    public TimelineRow? CurrentSample => _timeline.Count == 0 ? null : _timeline[^1];

    /// <summary>
    /// Runs, in time order, every timer and workload action due at or before <paramref name="at"/>
    /// (capped at <see cref="StopAt"/>), then leaves the clock at that time. At one instant, due
    /// timers run before workload actions; everything each causes runs before the next. Throws
    /// <see cref="OperationCanceledException"/> between two of them once the start's token is cancelled.
    /// </summary>
    public void AdvanceTo(TimeSpan at)
    {
        var limit = at < StopAt ? at : StopAt;
        while (true)
        {
            _cancellation.ThrowIfCancellationRequested();
            var next = _workload.NextAt;
            var target = next is { } due && due < limit ? due : limit;
            if (_runtime.TryRunNextTimer(target)) continue;
            _runtime.MoveClockTo(target);
            if (next is { } step && step <= target)
            {
                _workload.RunNext(Guest);
                _runtime.Pump();
                continue;
            }
            return;
        }
    }

    /// <summary>
    /// Takes a timeline row at the current virtual time and keeps it (unless started without a
    /// timeline); <paramref name="amend"/> adds what only the workload knows (a replay's per-CPU pages).
    /// </summary>
    public TimelineRow Sample(Func<TimelineRow, TimelineRow>? amend = null)
    {
        var row = TimelineSampler.Sample(Guest);
        if (amend is not null) row = amend(row);
        if (_keepTimeline) _timeline.Add(row);
        return row;
    }

    /// <summary>
    /// The sample loop of a whole run: a row at 0 and every <see cref="RunOptions.Sample"/> up to
    /// <see cref="StopAt"/>, progress reported as the percentage changes, then the clock moved to
    /// <see cref="StopAt"/>. <paramref name="advancing"/> hears each instant before the clock moves
    /// there (a replay reads its trace that far), <paramref name="advanced"/> runs once it got there
    /// (a replay's zones may have refused), and <paramref name="amend"/> goes to <see cref="Sample"/>.
    /// </summary>
    public void RunToStop(RunOptions options, Action<TimeSpan>? advancing = null, Action? advanced = null,
        Func<TimelineRow, TimelineRow>? amend = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var lastProgress = -1;
        for (long index = 0; ; index++)
        {
            _cancellation.ThrowIfCancellationRequested();
            var at = TimeSpan.FromTicks(options.Sample.Ticks * index);
            if (at > StopAt) break;
            advancing?.Invoke(at);
            AdvanceTo(at);
            advanced?.Invoke();
            Sample(amend);
            var percent = StopAt == TimeSpan.Zero ? 100 : (int)(100 * at.Ticks / StopAt.Ticks);
            if (percent != lastProgress)
            {
                lastProgress = percent;
                options.Progress?.Report(percent / 100.0);
            }
        }
        advancing?.Invoke(StopAt);
        AdvanceTo(StopAt);
        advanced?.Invoke();
    }

    /// <summary>The reporting order in force: the registry's, else the configured one, else the pageblock order.</summary>
    public int ReportingOrder() =>
        Guest.Ask<RegistrationStatus>(Guest.Actors.Registry, GetRegistration.Instance).ReportingOrder
        ?? _scenario.Reporting.Order ?? PageGeometry.PageblockOrder;

    /// <summary>The run so far as a result; <paramref name="wallSeconds"/> is the caller's measure of wall time.</summary>
    public RunResult BuildResult(double wallSeconds) =>
        RunResultBuilder.Build(_scenario, ReportingOrder(), Guest.Log, _timeline, Guest.Hypervisor.Snapshot(), Now, wallSeconds);

    public void Dispose()
    {
        _hostMetrics?.Dispose();
        _runtime.Dispose();
    }

    /// <summary>The host counters' hold on this guest's ledger, let go with the run.</summary>
    private IDisposable? _hostMetrics;
}
