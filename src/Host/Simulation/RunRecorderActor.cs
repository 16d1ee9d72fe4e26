using Akka.Actor;
using Akka.Event;
using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors.Host.Simulation;

/// <summary>
/// Collects what the guest's reporter publishes (passes and reports) and the registry's answers to
/// the workload's commands, on the simulation's dispatcher so the order is the run's own.
/// </summary>
internal sealed class RunRecorderActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RunLog _runLog;

    public RunRecorderActor(RunLog runLog)
    {
        _runLog = runLog;
        Receive<PassStarted>(_ => { });
        Receive<PassFinished>(m => _runLog.Passes.Add(m));
        Receive<ReportFinished>(m => _runLog.Reports.Add(m));
        Receive<RegistrationRejected>(m => _runLog.Notes.Add($"registration rejected: {m.Reason}: {m.Detail}"));
        Receive<UnregistrationRejected>(m => _runLog.Notes.Add($"unregistration rejected: {m.Detail}"));
        Receive<ReportingOrderRejected>(m => _runLog.Notes.Add($"order change rejected: {m.Detail}"));
        Receive<DeviceRegistered>(m =>
        {
            _runLog.Registrations++;
            _log.Info("Workload: device registered with reporting order {Order}", m.ReportingOrder);
        });
        Receive<DeviceUnregistered>(_ => _log.Info("Workload: device unregistered"));
        Receive<ReportingOrderSet>(m => _log.Info("Workload: reporting order is now {Order}", m.Order));
    }

    public static Props Props(RunLog runLog) => Akka.Actor.Props.Create(() => new RunRecorderActor(runLog));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(PassFinished));
        Context.System.EventStream.Subscribe(Self, typeof(ReportFinished));
    }
}

/// <summary>
/// What a run recorded: the recorder's passes, reports and rejected commands, and the workload's
/// shortfalls. Read by the driver once the actors are idle.
/// </summary>
internal sealed class RunLog
{
    public List<PassFinished> Passes { get; } = new();
    public List<ReportFinished> Reports { get; } = new();
    public List<string> Notes { get; } = new();
    public List<AllocationShortfall> Shortfalls { get; } = new();

    /// <summary>How many registrations the registry accepted.</summary>
    public int Registrations { get; set; }
}
