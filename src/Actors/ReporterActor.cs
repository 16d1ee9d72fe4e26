using Akka.Actor;
using Akka.Event;
using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors;

/// <summary>
/// The reporter: Idle, Requested and Active behaviours with one pass timer (R5, R6, R13), and the
/// pass itself (R7-R12, R14), which walks the zones in pfn order through their zone actors and hands
/// each batch to the device, one at a time.
/// </summary>
public sealed class ReporterActor : ReceiveActor, IWithTimers
{
    private const string PassTimerKey = "pass";
    private const string ReportTimerKey = "report-timeout";
    private const string ZoneTimerKey = "zone-timeout";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IReadOnlyList<IActorRef> _zones;
    private readonly PageReportingSettings _settings;
    private readonly FaultInjector _faults = new();

    private IActorRef? _device;
    private int _reportingOrder;

    // The pass in progress.
    private long _passId;
    private int _zoneIndex;
    private bool _requestedDuringPass;
    private DateTimeOffset _passStart;
    private int _passReports;
    private long _passReportedBytes;
    private int _zonesVisited;
    private IActorRef? _pendingDetachReplyTo;
    private IActorRef? _pendingDetachDevice;

    // The walk command a zone must answer: null when none is awaited (the batch is at the device, or no
    // pass runs); 0 for BeginZoneWalk, the batch id for CompleteZoneReport. A step or rejection that
    // does not answer it is stray (late, or provoked in the reporter's name) and is ignored.
    private long? _awaitingZoneBatch;

    // The batch at the device.
    private long _reportId;
    private ZoneWalkStep? _outstanding;
    private DateTimeOffset _handedAt;

    // Totals.
    private long _passes;
    private long _reports;
    private long _failedReports;
    private long _reportedBytes;
    private ReporterState _state = ReporterState.Idle;

    public ReporterActor(IReadOnlyList<IActorRef> zones, PageReportingSettings settings)
    {
        _zones = zones;
        _settings = settings;
        _reportingOrder = settings.ReportingOrder ?? Memory.PageGeometry.PageblockOrder;
        Idle();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IReadOnlyList<IActorRef> zones, PageReportingSettings settings) =>
        Akka.Actor.Props.Create(() => new ReporterActor(zones, settings));

    /// <summary>Fires <c>delay</c> after a request: the pass starts.</summary>
    private sealed class StartPass : INoSerializationVerificationNeeded
    {
        public static readonly StartPass Instance = new();
        private StartPass() { }
    }

    /// <summary>The device did not answer a report in time.</summary>
    private sealed record ReportTimedOut(long ReportId) : INoSerializationVerificationNeeded;

    /// <summary>A zone did not answer a walk command in time (it lost the message to a fault).</summary>
    private sealed record ZoneTimedOut(long PassId, int ZoneIndex) : INoSerializationVerificationNeeded;

    protected override bool AroundReceive(Receive receive, object message) =>
        _faults.Intercept(message, "reporter") || base.AroundReceive(receive, message);

    private void Idle()
    {
        _state = ReporterState.Idle;
        Become(() =>
        {
            Receive<RequestReporting>(_ =>
            {
                if (_device is not null) Request();
            });
            CommonReceives();
        });
    }

    private void Requested()
    {
        _state = ReporterState.Requested;
        Become(() =>
        {
            Receive<RequestReporting>(_ => { });
            Receive<StartPass>(_ => BeginPass());
            CommonReceives();
        });
    }

    private void Active()
    {
        _state = ReporterState.Active;
        Become(() =>
        {
            // R6: a request during a pass only marks it; the pass re-arms the timer at its end.
            Receive<RequestReporting>(_ => _requestedDuringPass = true);
            Receive<ZoneWalkStep>(HandleStep);
            Receive<ZoneWalkRejected>(HandleWalkRejected);
            Receive<ReportCompleted>(HandleReportCompleted);
            Receive<ReportTimedOut>(m =>
            {
                if (_outstanding is not null && m.ReportId == _reportId)
                    FailOutstanding(ReportErrors.TimedOut, $"no answer within {_settings.ReportTimeout}");
            });
            Receive<ZoneTimedOut>(m =>
            {
                if (m.PassId != _passId || m.ZoneIndex != _zoneIndex || _awaitingZoneBatch is null) return;
                // The zone lost a walk command (or its answer was lost): it returns any batch it holds
                // unflagged. That batch's report did not take effect, so the pass stops as after a failed
                // report (R12). The zone's answer to the abandon comes after the pass and is ignored.
                _log.Warning("Zone {Zone} did not answer pass {PassId} within {Timeout}; abandoning its walk",
                    _zones[_zoneIndex].Path.Name, _passId, _settings.ReportTimeout);
                _awaitingZoneBatch = null;
                _zones[_zoneIndex].Tell(new AbandonZoneWalk(_passId));
                EndPass(failed: true);
            });
            CommonReceives();
        });
    }

    private void CommonReceives()
    {
        Receive<AttachDevice>(HandleAttach);
        Receive<DetachDevice>(HandleDetach);
        Receive<ChangeReportingOrder>(m =>
        {
            if (!Memory.PageGeometry.IsValidOrder(m.ReportingOrder))
            {
                _log.Warning("Reporting order {Order} rejected: outside 0..10", m.ReportingOrder);
                return;
            }
            // R20: the next pass uses it; a running pass keeps its order.
            _reportingOrder = m.ReportingOrder;
            Sender.Tell(new ReportingOrderChanged(m.ReportingOrder));
        });
        Receive<GetReporterStatus>(_ => Sender.Tell(new ReporterStatus(_state, _device is not null, _reportingOrder,
            _passes, _reports, _failedReports, _reportedBytes)));
        Receive<Terminated>(HandleTerminated);
        // Answers that arrive outside a pass are late or forged: ignore them, loudly.
        Receive<ReportCompleted>(m => _log.Warning(
            "Report {ReportId} answer from {Sender} ignored: no report is outstanding", m.ReportId, Sender.Path));
        Receive<ZoneWalkStep>(m => _log.Warning("Walk step of pass {PassId} from zone {Zone} ignored: no pass runs", m.PassId, m.Zone));
        Receive<ZoneWalkRejected>(m => _log.Warning("Walk rejection of pass {PassId} from {Sender} ignored: no pass runs ({Reason})", m.PassId, Sender.Path, m.Reason));
        Receive<ReportTimedOut>(_ => { });
        Receive<ZoneTimedOut>(_ => { });
        Receive<StartPass>(_ => { });
    }

    // kernel: __page_reporting_request (R6)
    /// <summary>R6: Idle to Requested, one timer.</summary>
    private void Request()
    {
        Timers.StartSingleTimer(PassTimerKey, StartPass.Instance, _settings.Delay);
        Requested();
    }

    private void HandleAttach(AttachDevice m)
    {
        if (_device is not null && !_device.Equals(m.Device))
        {
            _log.Warning("Attach of {Device} ignored: {Current} is attached", m.Device.Path, _device.Path);
            return;
        }
        _device = m.Device;
        _reportingOrder = m.ReportingOrder;
        Context.Watch(m.Device);
        Sender.Tell(new DeviceAttached(m.Device));
        // R18: registration requests a first pass.
        if (_state == ReporterState.Idle) Request();
        else if (_state == ReporterState.Active) _requestedDuringPass = true;
    }

    private void HandleDetach(DetachDevice m)
    {
        if (_device is null || !_device.Equals(m.Device))
        {
            Sender.Tell(new DeviceDetached(m.Device));
            return;
        }
        if (_state == ReporterState.Active)
        {
            // R19: the running pass finishes (and drains) before the detach is acknowledged.
            _pendingDetachReplyTo = Sender;
            _pendingDetachDevice = m.Device;
            return;
        }
        DropDevice();
        Timers.Cancel(PassTimerKey);
        Idle();
        Sender.Tell(new DeviceDetached(m.Device));
    }

    private void DropDevice()
    {
        if (_device is not null) Context.Unwatch(_device);
        _device = null;
    }

    private void HandleTerminated(Terminated m)
    {
        if (_device is null || !m.ActorRef.Equals(_device)) return;
        _log.Warning("Device {Device} stopped; reporting stops until a device registers", m.ActorRef.Path);
        if (_state == ReporterState.Active)
        {
            if (_outstanding is not null) FailOutstanding(ReportErrors.Gone, "the device stopped");
            _device = null;
            return;
        }
        _device = null;
        Timers.Cancel(PassTimerKey);
        Idle();
    }

    // kernel: page_reporting_process (R7)
    private void BeginPass()
    {
        if (_device is null)
        {
            Idle();
            return;
        }
        _passId++;
        _zoneIndex = 0;
        _requestedDuringPass = false;
        _passStart = Context.System.Scheduler.Now;
        _passReports = 0;
        _passReportedBytes = 0;
        _zonesVisited = 0;
        Active();
        Context.System.EventStream.Publish(new PassStarted(_passId, _passStart));
        StartZone();
    }

    private void StartZone()
    {
        if (_zoneIndex >= _zones.Count)
        {
            EndPass(failed: false);
            return;
        }
        _zonesVisited++;
        TellZone(new BeginZoneWalk(_passId, _reportingOrder, _settings.Capacity));
    }

    /// <summary>Every walk command is answered; a timer covers the one a faulting zone loses.</summary>
    private void TellZone(IZoneCommand command)
    {
        _awaitingZoneBatch = command is CompleteZoneReport complete ? complete.BatchId : 0;
        Timers.StartSingleTimer(ZoneTimerKey, new ZoneTimedOut(_passId, _zoneIndex), _settings.ReportTimeout);
        _zones[_zoneIndex].Tell(command);
    }

    private void HandleStep(ZoneWalkStep step)
    {
        var fromCurrentZone = step.PassId == _passId && Sender.Equals(_zones[_zoneIndex]);
        if (step.End == ZoneWalkEnd.Abandoned && fromCurrentZone)
        {
            // The zone stopped and returned its batch itself, unflagged: the report did not take effect, so
            // the pass stops (R12). A late device answer will find nothing outstanding.
            _log.Warning("Zone {Zone} abandoned its walk of pass {PassId}; the pass stops", step.Zone, step.PassId);
            Timers.Cancel(ZoneTimerKey);
            _awaitingZoneBatch = null;
            if (_outstanding is not null)
            {
                _outstanding = null;
                Timers.Cancel(ReportTimerKey);
                _reports++;
                _passReports++;
                _failedReports++;
            }
            EndPass(failed: true);
            return;
        }
        if (!fromCurrentZone || _awaitingZoneBatch is null || step.End == ZoneWalkEnd.Abandoned)
        {
            _log.Warning("Walk step of pass {PassId} from {Sender} ignored: not expected now", step.PassId, Sender.Path);
            return;
        }
        Timers.Cancel(ZoneTimerKey);
        _awaitingZoneBatch = null;
        // R9: a list that ran out of budget leaves the reporter Requested.
        if (step.RequestAnotherPass) _requestedDuringPass = true;
        if (step.Batch is not null)
        {
            HandToDevice(step);
            return;
        }
        switch (step.End)
        {
            case ZoneWalkEnd.ReportFailed:
                EndPass(failed: true);
                return;
            default:
                _zoneIndex++;
                StartZone();
                return;
        }
    }

    // kernel: prdev->report (R14, R16)
    private void HandToDevice(ZoneWalkStep step)
    {
        if (_device is null)
        {
            // The device went away between steps: the batch goes back unflagged and the pass ends.
            _outstanding = step;
            _reportId++;
            FailOutstanding(ReportErrors.Gone, "no device is attached");
            return;
        }
        _reportId++;
        _outstanding = step;
        _handedAt = Context.System.Scheduler.Now;
        Timers.StartSingleTimer(ReportTimerKey, new ReportTimedOut(_reportId), _settings.ReportTimeout);
        _device.Tell(new ReportPages(_reportId, step.Batch!));
    }

    private void HandleReportCompleted(ReportCompleted m)
    {
        if (_outstanding is null || m.ReportId != _reportId || _device is null || !Sender.Equals(_device))
        {
            _log.Warning("Report {ReportId} answer from {Sender} ignored: not the outstanding report {Outstanding} of the registered device",
                m.ReportId, Sender.Path, _outstanding is null ? "none" : _reportId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return;
        }
        if (m.Success) Finish(success: true, errorCode: 0, detail: null);
        else FailOutstanding(m.ErrorCode, m.Detail ?? "the device reported an error");
    }

    private void FailOutstanding(int errorCode, string detail) => Finish(success: false, errorCode, detail);

    private void Finish(bool success, int errorCode, string? detail)
    {
        var step = _outstanding!;
        _outstanding = null;
        Timers.Cancel(ReportTimerKey);
        var bytes = step.Batch!.TotalBytes;
        _reports++;
        _passReports++;
        if (success)
        {
            _reportedBytes += bytes;
            _passReportedBytes += bytes;
            _log.Debug("Reported {Entries} blocks ({Bytes} bytes) from {Zone}, report {ReportId}", step.Batch.Count, bytes, step.Zone, _reportId);
        }
        else
        {
            _failedReports++;
            _log.Warning("Report {ReportId} of {Entries} blocks from {Zone} failed with error {ErrorCode}: {Detail}",
                _reportId, step.Batch.Count, step.Zone, errorCode, detail);
        }
        Context.System.EventStream.Publish(new ReportFinished(_passId, _reportId, step.Zone, step.Batch.Count, bytes,
            _handedAt, success, errorCode, step.Batch));
        TellZone(new CompleteZoneReport(_passId, step.BatchId, step.Batch, success));
    }

    private void HandleWalkRejected(ZoneWalkRejected m)
    {
        // Only a rejection of the command the reporter waits for counts. Others were provoked by someone
        // else in the reporter's name, or are late: acting on them would drop a batch still at the device.
        if (m.PassId != _passId || !Sender.Equals(_zones[_zoneIndex]) || _awaitingZoneBatch != m.BatchId)
        {
            _log.Warning("Walk rejection of pass {PassId} batch {BatchId} from {Sender} ignored: not expected now ({Reason})",
                m.PassId, m.BatchId, Sender.Path, m.Reason);
            return;
        }
        Timers.Cancel(ZoneTimerKey);
        _awaitingZoneBatch = null;
        if (m.BatchId == 0)
        {
            // The zone cannot start a walk now: skip it, nothing of it is isolated for this pass.
            _log.Warning("Zone {Zone} rejected pass {PassId}: {Reason}; moving on", m.Zone, m.PassId, m.Reason);
            _zoneIndex++;
            StartZone();
            return;
        }
        // The zone has no such batch any more: its outcome did not take effect; stop as after a failure (R12).
        _log.Warning("Zone {Zone} rejected the drain of batch {BatchId} of pass {PassId}: {Reason}; the pass stops", m.Zone, m.BatchId, m.PassId, m.Reason);
        EndPass(failed: true);
    }

    // kernel: page_reporting_process, the end of a pass (R12, R13)
    /// <summary>R13: Active to Idle, or back to Requested with the timer armed if asked during the pass.</summary>
    private void EndPass(bool failed)
    {
        _awaitingZoneBatch = null;
        Timers.Cancel(ZoneTimerKey);
        _passes++;
        var end = Context.System.Scheduler.Now;
        _log.Info("Pass {PassId} done: {Zones} zones visited, {Reports} reports, {Bytes} bytes reported in {Duration} ms{Failed}",
            _passId, _zonesVisited, _passReports, _passReportedBytes, (end - _passStart).TotalMilliseconds, failed ? ", stopped by a failed report" : "");
        var requestAgain = _requestedDuringPass && _device is not null && _pendingDetachReplyTo is null;
        if (requestAgain) Request();
        else Idle();
        Context.System.EventStream.Publish(new PassFinished(_passId, _passStart, end, _zonesVisited, _passReports,
            _passReportedBytes, failed, requestAgain));
        if (_pendingDetachReplyTo is not null)
        {
            var replyTo = _pendingDetachReplyTo;
            var device = _pendingDetachDevice!;
            _pendingDetachReplyTo = null;
            _pendingDetachDevice = null;
            DropDevice();
            replyTo.Tell(new DeviceDetached(device));
        }
    }
}
