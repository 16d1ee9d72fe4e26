using Akka.Actor;
using Akka.Event;
using PageReportingActors.Devices;
using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors;

/// <summary>
/// Hosts the application's <see cref="IPageReportHandler"/> (R16): runs one report at a time and
/// answers the reporter. A handler that throws, answers an error, or does not answer within
/// <c>timeout</c> makes a failed report (R12); its late answer is logged and ignored.
/// </summary>
public sealed class ReportingDeviceActor : ReceiveActor, IWithTimers
{
    /// <summary>How long the handler may take with a report when no timeout is given: 10 s.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private const string TimeoutKey = "handler-timeout";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IPageReportHandler _handler;
    private readonly TimeSpan _timeout;
    private readonly IMessageInterceptor? _interceptor;

    // The reporter this device reports for: a report from anyone else could name live memory.
    private IActorRef? _owner;
    private long? _runningReport;
    private IActorRef? _replyTo;
    private CancellationTokenSource? _cancellation;

    /// <summary>A device around <paramref name="handler"/>.</summary>
    /// <param name="handler">The application's report handler.</param>
    /// <param name="timeout">How long the handler may take with a report; positive.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is not positive or is longer than a day.</exception>
    public ReportingDeviceActor(IPageReportHandler handler, TimeSpan timeout) : this(handler, timeout, interceptor: null)
    {
    }

    internal ReportingDeviceActor(IPageReportHandler handler, TimeSpan timeout, IMessageInterceptor? interceptor)
    {
        _interceptor = interceptor;
        if (timeout <= TimeSpan.Zero || timeout > PageReportingSettings.MaxDuration)
            throw new ArgumentOutOfRangeException(nameof(timeout), $"device timeout {timeout} must be positive and at most {PageReportingSettings.MaxDuration}");
        _handler = handler;
        _timeout = timeout;

        Receive<ReportPages>(HandleReport);
        Receive<DeviceOwner>(HandleClaim);
        Receive<DeviceReleased>(_ =>
        {
            if (_owner is null || !Sender.Equals(_owner)) return;
            Context.Unwatch(_owner);
            _owner = null;
        });
        Receive<Terminated>(m =>
        {
            if (_owner is null || !m.ActorRef.Equals(_owner)) return;
            // Its guest is stopping: the handler is told to stop, and the device reports for no one.
            _log.Warning("Reporter {Reporter} stopped; the device reports for no one", m.ActorRef.Path);
            _cancellation?.Cancel();
            _owner = null;
        });
        Receive<HandlerAnswered>(HandleAnswer);
        Receive<HandlerTimedOut>(m =>
        {
            if (_runningReport != m.ReportId) return;
            _cancellation?.Cancel();
            Answer(ReportCompleted.Failed(m.ReportId, ReportErrors.TimedOut, $"the handler did not answer within {_timeout}"));
        });
    }

    /// <summary>The actor's timers (the handler timeout).</summary>
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for a device around <paramref name="handler"/>; register the actor with <see cref="RegisterDevice"/>.</summary>
    /// <param name="handler">The application's report handler.</param>
    /// <param name="timeout">How long the handler may take with a report; <see cref="DefaultTimeout"/> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is not positive or is longer than a day.</exception>
    public static Props Props(IPageReportHandler handler, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var t = timeout ?? DefaultTimeout;
        if (t <= TimeSpan.Zero || t > PageReportingSettings.MaxDuration)
            throw new ArgumentOutOfRangeException(nameof(timeout), $"device timeout {t} must be positive and at most {PageReportingSettings.MaxDuration}");
        return Akka.Actor.Props.Create(() => new ReportingDeviceActor(handler, t));
    }

    /// <summary>A device actor whose messages <paramref name="interceptor"/> sees first (tests only).</summary>
    internal static Props PropsWithInterceptor(IPageReportHandler handler, IMessageInterceptor interceptor, TimeSpan? timeout = null)
    {
        Props(handler, timeout); // the same checks
        var t = timeout ?? DefaultTimeout;
        return FactoryProducer<ReportingDeviceActor>.Props(() => new ReportingDeviceActor(handler, t, interceptor));
    }

    private sealed record HandlerAnswered(long ReportId, ReportOutcome? Outcome, Exception? Fault) : INoSerializationVerificationNeeded;

    private sealed record HandlerTimedOut(long ReportId) : INoSerializationVerificationNeeded;

    /// <summary>Lets an interceptor take the message first (tests only: simulated faults).</summary>
    protected override bool AroundReceive(Receive receive, object message) =>
        (_interceptor is not null && _interceptor.Intercept(message, "device")) || base.AroundReceive(receive, message);

    /// <summary>A restarted device still reports for its reporter: the claim is told again, in the reporter's name.</summary>
    protected override void PreRestart(Exception reason, object message)
    {
        if (_owner is not null) Self.Tell(new DeviceOwner(_owner), _owner);
        base.PreRestart(reason, message);
    }

    /// <summary>Cancels a report the handler is still working on.</summary>
    protected override void PostStop()
    {
        _cancellation?.Cancel();
        _cancellation?.Dispose();
        base.PostStop();
    }

    private void HandleClaim(DeviceOwner m)
    {
        if (m.Reporter is null || !Sender.Equals(m.Reporter))
        {
            _log.Warning("Claim from {Sender} ignored: a reporter claims the device for itself only", Sender.Path);
            return;
        }
        if (_owner is not null && !_owner.Equals(m.Reporter))
        {
            _log.Warning("Claim from {Sender} ignored: the device reports for {Owner}", Sender.Path, _owner.Path);
            return;
        }
        _owner = m.Reporter;
        Context.Watch(_owner);
    }

    private void HandleReport(ReportPages m)
    {
        if (_owner is null || !Sender.Equals(_owner))
        {
            _log.Warning("Report {ReportId} from {Sender} rejected: it is not the reporter this device reports for", m.ReportId, Sender.Path);
            Sender.Tell(ReportCompleted.Failed(m.ReportId, ReportErrors.Invalid, $"{Sender.Path} is not the reporter this device reports for"));
            return;
        }
        if (_runningReport is not null)
        {
            _log.Warning("Report {ReportId} rejected: report {Running} is still running", m.ReportId, _runningReport);
            Sender.Tell(ReportCompleted.Failed(m.ReportId, ReportErrors.Busy, $"report {_runningReport} is still running"));
            return;
        }
        if (m.Pages is null || m.Pages.Entries.IsDefault || m.Pages.Count == 0 || !m.Pages.Entries[^1].IsEnd)
        {
            _log.Warning("Report {ReportId} rejected: the scatterlist is empty or has no end mark", m.ReportId);
            Sender.Tell(ReportCompleted.Failed(m.ReportId, ReportErrors.Invalid, "the scatterlist is empty or has no end mark"));
            return;
        }
        _runningReport = m.ReportId;
        _replyTo = Sender;
        _cancellation?.Dispose();
        _cancellation = new CancellationTokenSource();
        Timers.StartSingleTimer(TimeoutKey, new HandlerTimedOut(m.ReportId), _timeout);

        var reportId = m.ReportId;
        Task<ReportOutcome> task;
        try
        {
            task = _handler.ReportAsync(m.Pages, _cancellation.Token);
        }
        catch (Exception ex)
        {
            task = Task.FromException<ReportOutcome>(ex);
        }
        // Told straight from the continuation, on the thread that completed the handler's task, so a
        // host that completes handlers on its own thread (virtual time) keeps a deterministic order.
        var self = Self;
        task.ContinueWith(
            t => self.Tell(t.IsCompletedSuccessfully
                ? new HandlerAnswered(reportId, t.Result, null)
                : new HandlerAnswered(reportId, null, t.Exception?.GetBaseException() ?? new TaskCanceledException())),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void HandleAnswer(HandlerAnswered m)
    {
        if (_runningReport != m.ReportId)
        {
            _log.Warning("Late answer to report {ReportId} ignored: it already ended", m.ReportId);
            return;
        }
        Timers.Cancel(TimeoutKey);
        if (m.Fault is not null)
            Answer(ReportCompleted.Failed(m.ReportId, ReportErrors.Faulted, $"the handler threw {m.Fault.GetType().Name}: {m.Fault.Message}"));
        else if (m.Outcome!.Value.Succeeded)
            Answer(ReportCompleted.Ok(m.ReportId));
        else
            Answer(ReportCompleted.Failed(m.ReportId, m.Outcome.Value.ErrorCode, $"the handler answered error {m.Outcome.Value.ErrorCode}"));
    }

    private void Answer(ReportCompleted answer)
    {
        if (!answer.Success) _log.Warning("Report {ReportId} failed: {Detail}", answer.ReportId, answer.Detail);
        _replyTo?.Tell(answer);
        _runningReport = null;
        _replyTo = null;
    }
}
