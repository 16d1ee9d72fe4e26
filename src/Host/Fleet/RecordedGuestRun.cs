using PageReportingActors.Host.Simulation;

namespace PageReportingActors.Host.Fleet;

/// <summary>
/// An <see cref="IGuestRun"/> over today's whole-run simulation: it runs the guest's scenario to
/// its stop with <see cref="ScenarioRunner.RunAsync"/> (and once more without reporting, for the
/// host's view had no report been made), keeps the samples the fleet will ask for, and serves them
/// in order. Correct because a guest's run depends only on its scenario and seed; a simulation that
/// can be stepped one sample at a time implements the same interface without holding a run's worth
/// of samples.
/// </summary>
/// <remarks>
/// The guest runs on its own clock, from 0: fleet time t is guest time t - start. That is the same
/// run as shifting every step of the scenario by start, without changing the scenario. Both runs
/// start as soon as this is made (on the thread pool, at most <see cref="Concurrency"/> at a time
/// per process), so a node works on all its guests at once while the fleet advances in lockstep.
/// </remarks>
public sealed class RecordedGuestRun : IGuestRun
{
    /// <summary>
    /// Simulations running at once in this process: one per core keeps every core busy. Set it before
    /// the first guest runs; it is read once.
    /// </summary>
    public static int Concurrency { get; set; } = Environment.ProcessorCount;

    private static SemaphoreSlim? _gate;
    private static readonly Lock GateLock = new();

    private readonly GuestDefinition _definition;
    private readonly Task<Recording> _recording;
    private readonly CancellationTokenSource _cancel = new();
    private TimeSpan _last = TimeSpan.MinValue;
    private bool _finished;

    public RecordedGuestRun(GuestDefinition definition)
    {
        _definition = definition;
        _recording = Task.Run(() => RecordAsync(definition, _cancel.Token));
    }

    /// <summary>Completes when both runs are done; a failed run faults it.</summary>
    public Task Ready => _recording;

    public bool Finished => _finished;

    public GuestResult Result => _finished
        ? _recording.Result.Result
        : throw new InvalidOperationException($"guest {_definition.Index} has not reached its stop");

    public GuestSample AdvanceTo(TimeSpan t)
    {
        if (t < _last) throw new ArgumentOutOfRangeException(nameof(t), $"guest {_definition.Index}: {t} is before {_last}; a run only moves forward");
        _last = t;
        var local = t - _definition.Start;
        if (local >= _definition.Stop) _finished = true;
        if (local < TimeSpan.Zero) return GuestSample.Absent;
        var recording = _recording.GetAwaiter().GetResult();
        return recording.Samples.TryGetValue(local.Ticks, out var sample) ? sample : GuestSample.Absent;
    }

    public void Dispose()
    {
        _cancel.Cancel();
        _cancel.Dispose();
    }

    private static SemaphoreSlim Gate
    {
        get
        {
            lock (GateLock) return _gate ??= new SemaphoreSlim(Math.Max(1, Concurrency));
        }
    }

    private sealed record Recording(Dictionary<long, GuestSample> Samples, GuestResult Result);

    private static async Task<Recording> RecordAsync(GuestDefinition definition, CancellationToken cancellation)
    {
        var scenario = definition.ToScenario();
        // Sample the guest on its own clock wherever a fleet sample falls: every fleet sample is
        // start + k * step for this step, which the fleet's sample and the start both divide.
        var step = TimeSpan.FromTicks(Gcd(definition.SampleTicks, definition.StartTicks % definition.SampleTicks));
        var options = new RunOptions(step, "");

        RunResult actual, unreported;
        await Gate.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            actual = await ScenarioRunner.RunAsync(scenario, options, cancellation).ConfigureAwait(false);
            unreported = definition.WithoutReporting && GuestDefinition.Reports(scenario)
                ? await ScenarioRunner.RunAsync(definition.ToScenarioWithoutReporting(), options, cancellation).ConfigureAwait(false)
                : actual;
        }
        finally
        {
            Gate.Release();
        }

        var without = unreported.Timeline.ToDictionary(r => TicksOf(r.T, step), r => r.HostResidentBytes);
        var samples = new Dictionary<long, GuestSample>();
        foreach (var row in actual.Timeline)
        {
            var local = TicksOf(row.T, step);
            // Keep only the instants the fleet samples.
            if ((local + definition.StartTicks) % definition.SampleTicks != 0) continue;
            samples[local] = new GuestSample(true, row.FreeBytes, row.ReportedBytes, row.HostResidentBytes,
                without.TryGetValue(local, out var w) ? w : row.HostResidentBytes);
        }
        var s = actual.Summary;
        var result = new GuestResult(definition.Index, scenario.Name, s.ReportCalls, s.FailedReports, s.ReportedBytes,
            s.HostResidentPeakBytes, s.HostResidentEndBytes, s.VirtualSeconds);
        return new Recording(samples, result);
    }

    /// <summary>A timeline row's time back in ticks, on the step's grid (the row holds seconds as a double).</summary>
    private static long TicksOf(double seconds, TimeSpan step) =>
        (long)Math.Round(seconds * TimeSpan.TicksPerSecond / step.Ticks) * step.Ticks;

    private static long Gcd(long a, long b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }
}
