using PageReportingActors.Allocator;
using PageReportingActors.Memory;

namespace PageReportingActors.Reporting;

/// <summary>One report a pass made.</summary>
public sealed record PassReport(string Zone, IReadOnlyList<Block> Blocks, bool IsLeftover, bool Succeeded);

/// <summary>What one pass did.</summary>
public sealed record PassOutcome(IReadOnlyList<PassReport> Reports, bool RequestAnotherPass, bool Failed, int ZonesVisited)
{
    /// <summary>Bytes in the reports that succeeded.</summary>
    public long ReportedBytes => Reports.Where(r => r.Succeeded).Sum(r => r.Blocks.Sum(b => b.Bytes));
}

/// <summary>
/// Runs a whole pass synchronously over zones in pfn order with a device given as a function
/// (R7-R13). It drives the same <see cref="PassCoordinator{TRef}"/> the reporter actor drives, performing
/// its actions with direct calls instead of messages; for plain tests, benchmarks and back-of-the-envelope
/// planning without Akka.
/// </summary>
public static class PassRunner
{
    // kernel: page_reporting_process (R7, R12, R13)
    /// <summary>Runs one pass over <paramref name="zones"/> now and returns what it did.</summary>
    /// <param name="zones">The zones in pfn order; the pass changes their lists as the reporter would.</param>
    /// <param name="settings">The reporting order and the capacity.</param>
    /// <param name="device">The device: given the zone's name and the scatterlist, returns whether the report succeeded.</param>
    public static PassOutcome RunPass(IReadOnlyList<ZoneFreeArea> zones, PassSettings settings, Func<string, Scatterlist, bool> device)
    {
        ArgumentNullException.ThrowIfNull(zones);
        ArgumentNullException.ThrowIfNull(device);
        var run = new Run(zones, settings, device);
        return run.Pass();
    }

    /// <summary>One pass: the coordinator's state, the events it has yet to see, and each zone's walk.</summary>
    private sealed class Run
    {
        private readonly IReadOnlyList<ZoneFreeArea> _zones;
        private readonly Func<string, Scatterlist, bool> _device;
        private readonly object _deviceRef = new();
        private readonly Queue<PassCoordinator<object>.Event> _events = new();
        private readonly Dictionary<ZoneFreeArea, (ZoneReportingWalk Walk, long BatchId)> _walks = [];
        private readonly List<PassReport> _reports = [];
        private PassCoordinator<object>.State _state;
        private PassOutcome? _outcome;

        public Run(IReadOnlyList<ZoneFreeArea> zones, PassSettings settings, Func<string, Scatterlist, bool> device)
        {
            _zones = zones;
            _device = device;
            _state = PassCoordinator<object>.Initial(zones.ToArray<object>(), zones.Select(z => z.Name).ToArray(),
                settings.Capacity, settings.ReportingOrder, TimeSpan.Zero);
        }

        public PassOutcome Pass()
        {
            // An attached device requests a pass (R18); the runner does not wait the delay.
            _events.Enqueue(new PassCoordinator<object>.Attach(_deviceRef, _state.ReportingOrder, _deviceRef));
            _events.Enqueue(new PassCoordinator<object>.PassTimerFired());
            while (_outcome is null && _events.TryDequeue(out var next))
            {
                var (state, actions) = PassCoordinator<object>.Process(_state, next, DateTimeOffset.UnixEpoch);
                _state = state;
                foreach (var action in actions) Perform(action);
            }
            return _outcome ?? throw new InvalidOperationException("the pass did not finish");
        }

        private void Perform(PassCoordinator<object>.Action action)
        {
            switch (action)
            {
                case PassCoordinator<object>.BeginZoneWalk begin:
                {
                    var zone = (ZoneFreeArea)begin.Zone;
                    var walk = new ZoneReportingWalk(zone, new PassSettings(begin.ReportingOrder, begin.Capacity));
                    _walks[zone] = (walk, 0);
                    Stepped(zone, begin.PassId, walk.Advance());
                    break;
                }
                case PassCoordinator<object>.CompleteZoneReport complete:
                {
                    var zone = (ZoneFreeArea)complete.Zone;
                    Stepped(zone, complete.PassId, _walks[zone].Walk.Complete(complete.Success).Next);
                    break;
                }
                case PassCoordinator<object>.AbandonZoneWalk abandon:
                    _walks[(ZoneFreeArea)abandon.Zone].Walk.Abandon();
                    break;
                case PassCoordinator<object>.ReportToDevice report:
                {
                    var zone = _state.Lent!.Zone;
                    var ok = _device(zone, report.Pages);
                    _events.Enqueue(new PassCoordinator<object>.DeviceAnswered(_deviceRef, report.ReportId, ok,
                        ok ? 0 : ReportErrorCodes.Invalid, ok ? null : "the device function answered false"));
                    break;
                }
                case PassCoordinator<object>.PublishReportFinished finished:
                    _reports.Add(new PassReport(finished.Batch.Zone, finished.Batch.Blocks, finished.Batch.IsLeftover, finished.Success));
                    break;
                case PassCoordinator<object>.PublishPassFinished finished:
                    _outcome = new PassOutcome(_reports, finished.RequestedAgain, finished.Failed, finished.Zones.Count);
                    break;
            }
        }

        private void Stepped(ZoneFreeArea zone, long passId, WalkStep step)
        {
            var (walk, batchId) = _walks[zone];
            if (step.Kind == WalkStepKind.Report) _walks[zone] = (walk, ++batchId);
            var batch = step.Kind == WalkStepKind.Report ? Scatterlist.FromBlocks(step.Batch) : null;
            _events.Enqueue(new PassCoordinator<object>.ZoneStepped(zone, passId, zone.Name, batchId, batch, step.IsLeftover, step.End,
                walk.RequestAnotherPass));
        }
    }
}
