using System.Collections.Immutable;
using PageReportingActors.Memory;

namespace PageReportingActors.Reporting;

/// <summary>Level of a log line the coordinator asks for.</summary>
internal enum PassLogLevel
{
    /// <summary>Detail for tracing a pass.</summary>
    Debug,
    /// <summary>An ordinary event, such as a pass's summary.</summary>
    Info,
    /// <summary>Something went wrong or was refused.</summary>
    Warning,
}

/// <summary>
/// The reporter's decisions (R5-R13, R18-R20) as a plain function: <see cref="Process"/> takes the
/// state and one event and returns the new state and what to do, in order. The reporter actor performs
/// the actions with messages and timers; <see cref="PassRunner"/> performs them with direct calls on
/// the zones' allocators. <typeparamref name="TRef"/> names zones, the device and whoever waits for an
/// answer (an actor reference in the actor, any object in the runner).
/// </summary>
internal static class PassCoordinator<TRef> where TRef : class
{
    // ---------------------------------------------------------------- state

    /// <summary>
    /// A batch lent to the device. <c>Blocks</c> is the reporter's own copy of what the zone isolated:
    /// the zone gets back exactly these, whatever happens to the scatterlist the device was given.
    /// </summary>
    public sealed record LentBatch(long ReportId, long BatchId, string Zone, ImmutableArray<Block> Blocks,
        bool IsLeftover, DateTimeOffset HandedAt)
    {
        /// <summary>Bytes in the batch.</summary>
        public long Bytes => Blocks.Sum(b => b.Bytes);
    }

    /// <summary>A detach that waits for the running pass to end (R19).</summary>
    public sealed record PendingDetach(TRef Device, TRef ReplyTo);

    /// <summary>
    /// Everything the reporter knows. Updated only by <see cref="Process"/>, with <c>with</c>; a new one
    /// comes from <see cref="Initial"/>, and every field left out starts at its default (no pass, no device).
    /// </summary>
    public readonly record struct State
    {
        public State()
        {
        }

        public required IReadOnlyList<TRef> Zones { get; init; }
        public required IReadOnlyList<string> ZoneNames { get; init; }
        public int Capacity { get; init; }
        public TimeSpan ReportTimeout { get; init; }
        public ReporterState Phase { get; init; } = ReporterState.Idle;
        public TRef? Device { get; init; }
        public int ReportingOrder { get; init; }

        // The pass in progress.
        public long PassId { get; init; }
        public int ZoneIndex { get; init; }
        public bool RequestedDuringPass { get; init; }
        public DateTimeOffset PassStart { get; init; }
        public int PassReports { get; init; }
        public long PassReportedBytes { get; init; }
        public int ZonesVisited { get; init; }

        // The walk command the current zone must answer: null when none is awaited (the batch is at the
        // device, or no pass runs); 0 for a begin, the batch id for a completion. Any other answer is
        // stray (late, or provoked in the reporter's name) and is ignored.
        public long? AwaitingZoneBatch { get; init; }
        public long ReportId { get; init; }
        public LentBatch? Lent { get; init; }
        public PendingDetach? Detach { get; init; }

        // Zones that stopped: a pass skips them at once instead of waiting for an answer that cannot come.
        public ImmutableHashSet<int> GoneZones { get; init; } = ImmutableHashSet<int>.Empty;

        // Totals.
        public long Passes { get; init; }
        public long Reports { get; init; }
        public long FailedReports { get; init; }
        public long ReportedBytes { get; init; }

        /// <summary>Whether a device is attached.</summary>
        public bool DeviceAttached => Device is not null;

        /// <summary>The zones the current (or last) pass visited, in order.</summary>
        public IReadOnlyList<string> VisitedZoneNames => ZoneNames.Take(ZonesVisited).ToArray();
    }

    /// <summary>The state of a reporter that has just started: Idle, no device.</summary>
    /// <param name="zones">The zones, in pfn order (the order a pass visits them, R7).</param>
    /// <param name="zoneNames">Their names, in the same order.</param>
    /// <param name="capacity">Entries per report (32).</param>
    /// <param name="reportingOrder">The order until a registration resolves one (R18).</param>
    /// <param name="reportTimeout">How long a device or a zone may take to answer.</param>
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    public static State Initial(IReadOnlyList<TRef> zones, IReadOnlyList<string> zoneNames, int capacity, int reportingOrder, TimeSpan reportTimeout)
    {
        if (zones.Count != zoneNames.Count) throw new ArgumentException($"{zones.Count} zones but {zoneNames.Count} names", nameof(zoneNames));
        return new State
        {
            Zones = zones,
            ZoneNames = zoneNames,
            Capacity = capacity,
            ReportingOrder = reportingOrder,
            ReportTimeout = reportTimeout,
        };
    }

    // ---------------------------------------------------------------- events

    /// <summary>Something the reporter was told, or a timer of its that fired.</summary>
    public abstract record Event;

    /// <summary>R5: a zone freed a block of the reporting order or more.</summary>
    public sealed record Notified : Event;

    /// <summary>The pass timer fired (<c>delay</c> after a request).</summary>
    public sealed record PassTimerFired : Event;

    /// <summary>A zone answered a walk command: a batch to report, or the end of its walk.</summary>
    public sealed record ZoneStepped(TRef From, long PassId, string Zone, long BatchId, Scatterlist? Batch, bool IsLeftover,
        WalkEnd End, bool RequestAnotherPass) : Event;

    /// <summary>A zone refused a walk command; nothing changed there.</summary>
    public sealed record ZoneRejected(TRef From, long PassId, long BatchId, string Zone, string Reason) : Event;

    /// <summary>A device answered report <c>ReportId</c>; acted on only when it is the device and the report awaited.</summary>
    public sealed record DeviceAnswered(TRef From, long ReportId, bool Success, int ErrorCode, string? Detail) : Event;

    /// <summary>The device did not answer report <c>ReportId</c> within the report timeout: a failed report.</summary>
    public sealed record ReportTimedOut(long ReportId) : Event;

    /// <summary>Zone <c>ZoneIndex</c> did not answer a walk command of pass <c>PassId</c> in time: its walk is abandoned and the pass stops.</summary>
    public sealed record ZoneTimedOut(long PassId, int ZoneIndex) : Event;

    /// <summary>From the registry: report to <c>Device</c> with this order (R18).</summary>
    public sealed record Attach(TRef Device, int ReportingOrder, TRef ReplyTo) : Event;

    /// <summary>From the registry: stop reporting to <c>Device</c> (R19).</summary>
    public sealed record Detach(TRef Device, TRef ReplyTo) : Event;

    /// <summary>The device stopped.</summary>
    public sealed record DeviceGone(TRef Device) : Event;

    /// <summary>A zone stopped.</summary>
    public sealed record ZoneGone(TRef Zone) : Event;

    /// <summary>From the registry: the order the next pass uses (R20).</summary>
    public sealed record ChangeOrder(int ReportingOrder, TRef ReplyTo) : Event;

    // ---------------------------------------------------------------- actions

    /// <summary>What the reporter must do, in the order given.</summary>
    public abstract record Action;

    /// <summary>R6: arm the one pass timer for <c>delay</c>.</summary>
    public sealed record ArmPassTimer : Action;
    /// <summary>Cancel the pass timer (R19).</summary>
    public sealed record CancelPassTimer : Action;
    /// <summary>Arm the timer that fails report <c>ReportId</c> if the device does not answer in time.</summary>
    public sealed record ArmReportTimer(long ReportId) : Action;
    /// <summary>The device answered: cancel the report timer.</summary>
    public sealed record CancelReportTimer : Action;
    /// <summary>Arm the timer that abandons zone <c>ZoneIndex</c>'s walk if it does not answer in time.</summary>
    public sealed record ArmZoneTimer(long PassId, int ZoneIndex) : Action;
    /// <summary>The zone answered: cancel the zone timer.</summary>
    public sealed record CancelZoneTimer : Action;

    /// <summary>Start this pass's walk over the zone (R7).</summary>
    public sealed record BeginZoneWalk(TRef Zone, long PassId, int ReportingOrder, int Capacity) : Action;

    /// <summary>Drain the batch (R11) and walk on if it succeeded (R12).</summary>
    public sealed record CompleteZoneReport(TRef Zone, long PassId, long BatchId, Scatterlist Batch, bool Success) : Action;

    /// <summary>End the zone's walk now, its batch back unflagged.</summary>
    public sealed record AbandonZoneWalk(TRef Zone, long PassId) : Action;

    /// <summary>R16: hand the batch to the device.</summary>
    public sealed record ReportToDevice(TRef Device, long ReportId, Scatterlist Pages) : Action;

    /// <summary>Watch the attached device, so that its stopping is an unregistration.</summary>
    public sealed record Watch(TRef Device) : Action;
    /// <summary>Stop watching a device that was detached.</summary>
    public sealed record Unwatch(TRef Device) : Action;
    /// <summary>Tell <c>ReplyTo</c> that <c>Device</c> is attached.</summary>
    public sealed record AnswerAttached(TRef ReplyTo, TRef Device) : Action;
    /// <summary>Tell <c>ReplyTo</c> that no report can reach <c>Device</c> any more (R19).</summary>
    public sealed record AnswerDetached(TRef ReplyTo, TRef Device) : Action;
    /// <summary>Tell <c>ReplyTo</c> the order now in effect (R20).</summary>
    public sealed record AnswerOrderChanged(TRef ReplyTo, int ReportingOrder) : Action;

    /// <summary>Publish that pass <c>PassId</c> began.</summary>
    public sealed record PublishPassStarted(long PassId, DateTimeOffset At) : Action;

    /// <summary>Publish what pass <c>PassId</c> did: the zones it visited, its reports and whether it failed or asked for another pass.</summary>
    public sealed record PublishPassFinished(long PassId, DateTimeOffset Start, DateTimeOffset End, IReadOnlyList<string> Zones,
        int Reports, long ReportedBytes, bool Failed, bool RequestedAgain) : Action;

    /// <summary>Publish how a report ended.</summary>
    public sealed record PublishReportFinished(long PassId, LentBatch Batch, bool Success, int ErrorCode) : Action;

    /// <summary>Write a log line: a message template and its arguments.</summary>
    public sealed record Log(PassLogLevel Level, string Template, object?[] Args) : Action;

    // ---------------------------------------------------------------- the function

    /// <summary>Decides what <paramref name="event"/> does at <paramref name="now"/>.</summary>
    public static (State State, IReadOnlyList<Action> Actions) Process(State state, Event @event, DateTimeOffset now)
    {
        var pass = new Pass(state, now);
        switch (@event)
        {
            case Notified: pass.Notified(); break;
            case PassTimerFired: pass.TimerFired(); break;
            case ZoneStepped e: pass.Stepped(e); break;
            case ZoneRejected e: pass.Rejected(e); break;
            case DeviceAnswered e: pass.Answered(e); break;
            case ReportTimedOut e: pass.ReportTimedOut(e); break;
            case ZoneTimedOut e: pass.ZoneTimedOut(e); break;
            case Attach e: pass.Attach(e); break;
            case Detach e: pass.Detach(e); break;
            case DeviceGone e: pass.DeviceGone(e); break;
            case ChangeOrder e: pass.ChangeOrder(e); break;
            case ZoneGone e: pass.ZoneGone(e); break;
            default: throw new ArgumentException($"unknown event {@event.GetType().Name}", nameof(@event));
        }
        return (pass.S, pass.Actions);
    }

    /// <summary>One step of the function: the state being built and the actions so far.</summary>
    private sealed class Pass(State state, DateTimeOffset now)
    {
        public State S = state;
        public readonly List<Action> Actions = [];

        private bool Active => S.Phase == ReporterState.Active;
        private TRef CurrentZone => S.Zones[S.ZoneIndex];

        private void Do(Action action) => Actions.Add(action);
        private void Warn(string template, params object?[] args) => Do(new Log(PassLogLevel.Warning, template, args));

        public void Notified()
        {
            switch (S.Phase)
            {
                case ReporterState.Idle when S.Device is not null: Request(); break;
                // R6: a request during a pass only marks it; the pass re-arms the timer at its end.
                case ReporterState.Active: S = S with { RequestedDuringPass = true }; break;
            }
        }

        public void TimerFired()
        {
            if (S.Phase == ReporterState.Requested) BeginPass();
        }

        /// <summary>R6: Idle to Requested, one timer.</summary>
        // kernel: __page_reporting_request (R6)
        private void Request()
        {
            Do(new ArmPassTimer());
            S = S with { Phase = ReporterState.Requested };
        }

        // kernel: page_reporting_process (the work item that walks every zone)
        private void BeginPass()
        {
            if (S.Device is null)
            {
                S = S with { Phase = ReporterState.Idle };
                return;
            }
            S = S with
            {
                Phase = ReporterState.Active,
                PassId = S.PassId + 1,
                ZoneIndex = 0,
                RequestedDuringPass = false,
                PassStart = now,
                PassReports = 0,
                PassReportedBytes = 0,
                ZonesVisited = 0,
            };
            Do(new PublishPassStarted(S.PassId, now));
            StartZone();
        }

        /// <summary>R7: zones in pfn order.</summary>
        private void StartZone()
        {
            while (S.ZoneIndex < S.Zones.Count && S.GoneZones.Contains(S.ZoneIndex))
            {
                Warn("Zone {Zone} has stopped; pass {PassId} skips it", S.ZoneNames[S.ZoneIndex], S.PassId);
                S = S with { ZoneIndex = S.ZoneIndex + 1 };
            }
            if (S.ZoneIndex >= S.Zones.Count)
            {
                EndPass(failed: false);
                return;
            }
            S = S with { ZonesVisited = S.ZonesVisited + 1 };
            AwaitZone(0);
            Do(new BeginZoneWalk(CurrentZone, S.PassId, S.ReportingOrder, S.Capacity));
        }

        /// <summary>Every walk command is answered; a timer covers the one a faulting zone loses.</summary>
        private void AwaitZone(long batchId)
        {
            S = S with { AwaitingZoneBatch = batchId };
            Do(new ArmZoneTimer(S.PassId, S.ZoneIndex));
        }

        private void StopAwaitingZone()
        {
            Do(new CancelZoneTimer());
            S = S with { AwaitingZoneBatch = null };
        }

        public void Stepped(ZoneStepped step)
        {
            if (!Active)
            {
                Warn("Walk step of pass {PassId} from zone {Zone} ignored: no pass runs", step.PassId, step.Zone);
                return;
            }
            var fromCurrentZone = step.PassId == S.PassId && step.From.Equals(CurrentZone);
            if (step.End == WalkEnd.Abandoned && fromCurrentZone)
            {
                // The zone stopped and returned its batch itself, unflagged: the report did not take effect,
                // so the pass stops (R12). A late device answer will find nothing outstanding.
                Warn("Zone {Zone} abandoned its walk of pass {PassId}; the pass stops", step.Zone, step.PassId);
                StopAwaitingZone();
                if (S.Lent is not null)
                {
                    Do(new CancelReportTimer());
                    S = S with
                    {
                        Lent = null,
                        Reports = S.Reports + 1,
                        PassReports = S.PassReports + 1,
                        FailedReports = S.FailedReports + 1,
                    };
                }
                EndPass(failed: true);
                return;
            }
            if (!fromCurrentZone || S.AwaitingZoneBatch is null || step.End == WalkEnd.Abandoned)
            {
                Warn("Walk step of pass {PassId} from {Sender} ignored: not expected now", step.PassId, step.From);
                return;
            }
            StopAwaitingZone();
            // R9: a list that ran out of budget leaves the reporter Requested.
            if (step.RequestAnotherPass) S = S with { RequestedDuringPass = true };
            if (step.Batch is not null)
            {
                HandToDevice(step);
                return;
            }
            if (step.End == WalkEnd.ReportFailed)
            {
                EndPass(failed: true);
                return;
            }
            S = S with { ZoneIndex = S.ZoneIndex + 1 };
            StartZone();
        }

        // kernel: page_reporting_cycle (the report call in the middle of a list's walk)
        private void HandToDevice(ZoneStepped step)
        {
            var lent = new LentBatch(S.ReportId + 1, step.BatchId, step.Zone, step.Batch!.ToBlocks(), step.IsLeftover, now);
            S = S with { ReportId = lent.ReportId, Lent = lent };
            if (S.Device is null)
            {
                // The device went away between steps: the batch goes back unflagged and the pass ends.
                Finish(success: false, ReportErrorCodes.Gone, "no device is attached");
                return;
            }
            Do(new ArmReportTimer(lent.ReportId));
            Do(new ReportToDevice(S.Device, lent.ReportId, step.Batch));
        }

        public void Answered(DeviceAnswered m)
        {
            if (!Active)
            {
                Warn("Report {ReportId} answer from {Sender} ignored: no report is outstanding", m.ReportId, m.From);
                return;
            }
            if (S.Lent is null || m.ReportId != S.ReportId || S.Device is null || !m.From.Equals(S.Device))
            {
                Warn("Report {ReportId} answer from {Sender} ignored: not the outstanding report {Outstanding} of the registered device",
                    m.ReportId, m.From, S.Lent is null ? "none" : S.ReportId.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return;
            }
            if (m.Success) Finish(success: true, 0, null);
            else Finish(success: false, m.ErrorCode, m.Detail ?? "the device reported an error");
        }

        public void ReportTimedOut(ReportTimedOut m)
        {
            if (Active && S.Lent is not null && m.ReportId == S.ReportId)
                Finish(success: false, ReportErrorCodes.TimedOut, $"no answer within {S.ReportTimeout}");
        }

        /// <summary>R11, R12: the report's outcome is counted, published, and the zone drains the batch.</summary>
        private void Finish(bool success, int errorCode, string? detail)
        {
            var lent = S.Lent!;
            Do(new CancelReportTimer());
            var bytes = lent.Bytes;
            S = S with { Lent = null, Reports = S.Reports + 1, PassReports = S.PassReports + 1 };
            if (success)
            {
                S = S with { ReportedBytes = S.ReportedBytes + bytes, PassReportedBytes = S.PassReportedBytes + bytes };
                Do(new Log(PassLogLevel.Debug, "Reported {Entries} blocks ({Size}) from {Zone}, report {ReportId}",
                    [lent.Blocks.Length, ByteSizes.Human(bytes), lent.Zone, lent.ReportId]));
            }
            else
            {
                S = S with { FailedReports = S.FailedReports + 1 };
                Warn("Report {ReportId} of {Entries} blocks from {Zone} failed with error {ErrorCode}: {Detail}",
                    lent.ReportId, lent.Blocks.Length, lent.Zone, errorCode, detail);
            }
            Do(new PublishReportFinished(S.PassId, lent, success, errorCode));
            AwaitZone(lent.BatchId);
            Do(new CompleteZoneReport(CurrentZone, S.PassId, lent.BatchId, Scatterlist.FromBlocks(lent.Blocks), success));
        }

        public void ZoneTimedOut(ZoneTimedOut m)
        {
            if (!Active || m.PassId != S.PassId || m.ZoneIndex != S.ZoneIndex || S.AwaitingZoneBatch is null) return;
            // The zone lost a walk command (or its answer was lost): it returns any batch it holds unflagged.
            // That batch's report did not take effect, so the pass stops as after a failed report (R12). The
            // zone's answer to the abandon comes after the pass and is ignored.
            Warn("Zone {Zone} did not answer pass {PassId} within {Timeout}; abandoning its walk",
                S.ZoneNames[S.ZoneIndex], S.PassId, S.ReportTimeout);
            S = S with { AwaitingZoneBatch = null };
            Do(new AbandonZoneWalk(CurrentZone, S.PassId));
            EndPass(failed: true);
        }

        public void Rejected(ZoneRejected m)
        {
            if (!Active)
            {
                Warn("Walk rejection of pass {PassId} from {Sender} ignored: no pass runs ({Reason})", m.PassId, m.From, m.Reason);
                return;
            }
            // Only a rejection of the command the reporter waits for counts. Others were provoked by someone
            // else in the reporter's name, or are late: acting on them would drop a batch still at the device.
            if (m.PassId != S.PassId || !m.From.Equals(CurrentZone) || S.AwaitingZoneBatch != m.BatchId)
            {
                Warn("Walk rejection of pass {PassId} batch {BatchId} from {Sender} ignored: not expected now ({Reason})",
                    m.PassId, m.BatchId, m.From, m.Reason);
                return;
            }
            StopAwaitingZone();
            if (m.BatchId == 0)
            {
                // The zone cannot start a walk now: skip it, nothing of it is isolated for this pass.
                Warn("Zone {Zone} rejected pass {PassId}: {Reason}; moving on", m.Zone, m.PassId, m.Reason);
                S = S with { ZoneIndex = S.ZoneIndex + 1 };
                StartZone();
                return;
            }
            // The drain did not take effect: the zone is told to abandon the walk, which returns whatever it still
            // holds isolated unflagged, so nothing stays stranded; then stop as after a failure (R12).
            Warn("Zone {Zone} rejected the drain of batch {BatchId} of pass {PassId}: {Reason}; the walk is abandoned and the pass stops",
                m.Zone, m.BatchId, m.PassId, m.Reason);
            Do(new AbandonZoneWalk(CurrentZone, S.PassId));
            EndPass(failed: true);
        }

        /// <summary>R13: Active to Idle, or back to Requested with the timer armed if asked during the pass.</summary>
        // kernel: page_reporting_process, the end of a pass (R12, R13)
        private void EndPass(bool failed)
        {
            StopAwaitingZone();
            S = S with { Passes = S.Passes + 1 };
            var requestAgain = S.RequestedDuringPass && S.Device is not null && S.Detach is null;
            var zones = S.VisitedZoneNames;
            // The names as one string: Akka's default logger prints a list as its type name.
            Do(new Log(PassLogLevel.Info,
                "Pass {PassId} done: {ZoneCount} zones visited ({Zones}), {Reports} reports, {Size} reported in {Duration} ms; failed {Failed}, requested again {RequestedAgain}",
                [S.PassId, zones.Count, string.Join(", ", zones), S.PassReports, ByteSizes.Human(S.PassReportedBytes),
                    (now - S.PassStart).TotalMilliseconds, failed, requestAgain]));
            if (requestAgain) Request();
            else S = S with { Phase = ReporterState.Idle };
            Do(new PublishPassFinished(S.PassId, S.PassStart, now, zones, S.PassReports, S.PassReportedBytes, failed, requestAgain));
            if (S.Detach is { } detach)
            {
                S = S with { Detach = null };
                DropDevice();
                Do(new AnswerDetached(detach.ReplyTo, detach.Device));
            }
        }

        public void Attach(Attach m)
        {
            if (S.Device is not null && !S.Device.Equals(m.Device))
            {
                Warn("Attach of {Device} ignored: {Current} is attached", m.Device, S.Device);
                return;
            }
            S = S with { Device = m.Device, ReportingOrder = m.ReportingOrder };
            Do(new Watch(m.Device));
            Do(new AnswerAttached(m.ReplyTo, m.Device));
            // R18: registration requests a first pass.
            if (S.Phase == ReporterState.Idle) Request();
            else if (Active) S = S with { RequestedDuringPass = true };
        }

        public void Detach(Detach m)
        {
            if (S.Device is null || !S.Device.Equals(m.Device))
            {
                Do(new AnswerDetached(m.ReplyTo, m.Device));
                return;
            }
            if (Active)
            {
                // R19: the running pass finishes (and drains) before the detach is acknowledged.
                S = S with { Detach = new PendingDetach(m.Device, m.ReplyTo) };
                return;
            }
            DropDevice();
            Do(new CancelPassTimer());
            S = S with { Phase = ReporterState.Idle };
            Do(new AnswerDetached(m.ReplyTo, m.Device));
        }

        private void DropDevice()
        {
            if (S.Device is not null) Do(new Unwatch(S.Device));
            S = S with { Device = null };
        }

        public void DeviceGone(DeviceGone m)
        {
            if (S.Device is null || !m.Device.Equals(S.Device)) return;
            Warn("Device {Device} stopped; reporting stops until a device registers", m.Device);
            if (Active)
            {
                if (S.Lent is not null) Finish(success: false, ReportErrorCodes.Gone, "the device stopped");
                S = S with { Device = null };
                return;
            }
            S = S with { Device = null, Phase = ReporterState.Idle };
            Do(new CancelPassTimer());
        }

        public void ZoneGone(ZoneGone m)
        {
            var index = -1;
            for (var i = 0; i < S.Zones.Count; i++)
                if (S.Zones[i].Equals(m.Zone)) index = i;
            if (index < 0 || S.GoneZones.Contains(index)) return;
            S = S with { GoneZones = S.GoneZones.Add(index) };
            // A zone that stops returns its batch itself and says so (an abandoned step); if that word was lost,
            // the pass must not wait for it: the walk's outcome did not take effect, so the pass stops (R12).
            if (Active && index == S.ZoneIndex && S.AwaitingZoneBatch is not null)
            {
                Warn("Zone {Zone} stopped during pass {PassId}; the pass stops", S.ZoneNames[index], S.PassId);
                EndPass(failed: true);
            }
        }

        public void ChangeOrder(ChangeOrder m)
        {
            if (!PageGeometry.IsValidOrder(m.ReportingOrder))
            {
                Warn("Reporting order {Order} rejected: outside 0..10", m.ReportingOrder);
                return;
            }
            // R20: the next pass uses it; a running pass keeps its order.
            S = S with { ReportingOrder = m.ReportingOrder };
            Do(new AnswerOrderChanged(m.ReplyTo, m.ReportingOrder));
        }
    }
}
