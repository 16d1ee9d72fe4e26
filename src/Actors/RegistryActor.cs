using Akka.Actor;
using Akka.Event;
using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors;

/// <summary>
/// Holds the one registered device (R17), resolves the reporting order on first registration (R18),
/// unregisters only once no report can reach the old device (R19), and validates run-time order
/// changes (R20). While an unregistration waits for a running pass, other commands wait too.
/// </summary>
public sealed class RegistryActor : ReceiveActor, IWithUnboundedStash, IWithTimers
{
    private const string DetachRetryKey = "detach-retry";
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _reporter;
    private readonly IReadOnlyList<IActorRef> _zones;
    private readonly IMessageInterceptor? _interceptor;
    private readonly TimeSpan _detachRetry;
    private readonly KernelProfile? _kernel;
    private IActorRef? _device;
    private int? _reportingOrder;

    /// <summary>A registry for the guest's <paramref name="reporter"/> and <paramref name="zones"/>.</summary>
    /// <param name="reporter">The guest's reporter.</param>
    /// <param name="zones">The guest's zone actors.</param>
    /// <param name="configuredOrder">The configured reporting order, or null to let registration resolve it (R18).</param>
    /// <param name="detachRetry">How long to wait for the reporter to acknowledge a detach before asking again.</param>
    public RegistryActor(IActorRef reporter, IReadOnlyList<IActorRef> zones, int? configuredOrder, TimeSpan? detachRetry = null)
        : this(reporter, zones, configuredOrder, detachRetry, interceptor: null)
    {
    }

    internal RegistryActor(IActorRef reporter, IReadOnlyList<IActorRef> zones, int? configuredOrder, TimeSpan? detachRetry, IMessageInterceptor? interceptor,
        KernelProfile? kernel = null)
    {
        _interceptor = interceptor;
        _kernel = kernel;
        _detachRetry = detachRetry is { } retry && retry > TimeSpan.Zero ? retry : PageReportingSettings.DefaultReportTimeout;
        _reporter = reporter;
        _zones = zones;
        _reportingOrder = configuredOrder;
        Ready();
    }

    /// <summary>Holds commands that arrive while an unregistration waits.</summary>
    public IStash Stash { get; set; } = null!;

    /// <summary>The actor's timers (the detach retry).</summary>
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// <paramref name="detachRetry"/>: while an unregistration waits, how often the reporter is asked again
    /// (its answer may be lost to a fault; asking again is harmless). Default: the default report timeout.
    /// </summary>
    public static Props Props(IActorRef reporter, IReadOnlyList<IActorRef> zones, int? configuredOrder, TimeSpan? detachRetry = null) =>
        Akka.Actor.Props.Create(() => new RegistryActor(reporter, zones, configuredOrder, detachRetry));

    internal static Props PropsWithInterceptor(IActorRef reporter, IReadOnlyList<IActorRef> zones, int? configuredOrder, TimeSpan? detachRetry, IMessageInterceptor interceptor,
        KernelProfile? kernel = null) =>
        FactoryProducer<RegistryActor>.Props(() => new RegistryActor(reporter, zones, configuredOrder, detachRetry, interceptor, kernel));

    /// <summary>As <see cref="Props(IActorRef, IReadOnlyList{IActorRef}, int?, TimeSpan?)"/>, resolving the order by <paramref name="kernel"/>'s registration rule (R23).</summary>
    public static Props Props(IActorRef reporter, IReadOnlyList<IActorRef> zones, int? configuredOrder, TimeSpan? detachRetry, KernelProfile? kernel) =>
        FactoryProducer<RegistryActor>.Props(() => new RegistryActor(reporter, zones, configuredOrder, detachRetry, null, kernel));

    /// <summary>Fires while an unregistration waits: ask the reporter again.</summary>
    private sealed record RetryDetach(IActorRef Device) : INoSerializationVerificationNeeded;

    /// <summary>Lets an interceptor take the message first (tests only: simulated faults).</summary>
    protected override bool AroundReceive(Receive receive, object message) =>
        (_interceptor is not null && _interceptor.Intercept(message, "registry")) || base.AroundReceive(receive, message);

    private void Ready()
    {
        Receive<RegisterDevice>(HandleRegister);
        Receive<UnregisterDevice>(m =>
        {
            if (m.Device is null || _device is null || !_device.Equals(m.Device))
            {
                var detail = m.Device is null ? "no device was named" : $"{m.Device.Path} is not the registered device";
                _log.Warning("Unregistration rejected: {Detail}", detail);
                Sender.Tell(new UnregistrationRejected(m.Device, detail));
                return;
            }
            BeginUnregister(m.Device, Sender);
        });
        Receive<SetReportingOrder>(HandleSetOrder);
        Receive<GetRegistration>(_ => Sender.Tell(new RegistrationStatus(_device, _reportingOrder)));
        Receive<Terminated>(m =>
        {
            if (_device is null || !m.ActorRef.Equals(_device)) return;
            _log.Warning("Registered device {Device} stopped: unregistering it", m.ActorRef.Path);
            BeginUnregister(m.ActorRef, ActorRefs.Nobody);
        });
        Receive<DeviceDetached>(_ => { });
        Receive<RetryDetach>(_ => { });
        Receive<DeviceAttached>(_ => { });
        Receive<ReportingOrderChanged>(_ => { });
    }

    // kernel: page_reporting_register (R17, R18)
    private void HandleRegister(RegisterDevice m)
    {
        if (m.Device is null || m.Device.IsNobody())
        {
            _log.Warning("Registration rejected: no device was named");
            Sender.Tell(new RegistrationRejected(m.Device, RegistrationRejection.InvalidDevice, "no device was named"));
            return;
        }
        if (_device is not null)
        {
            var detail = $"{_device.Path} is already registered";
            _log.Warning("Registration of {Device} rejected: Busy, {Detail}", m.Device.Path, detail);
            Sender.Tell(new RegistrationRejected(m.Device, RegistrationRejection.Busy, detail));
            return;
        }
        // R18: resolve once; a later device keeps what was resolved (R19). R23: a 6.1 kernel
        // resolves at every registration and overwrites whatever was set.
        if (_kernel is not null) _reportingOrder = _kernel.ResolveReportingOrder(_reportingOrder, m.DeviceOrder);
        else _reportingOrder ??= m.DeviceOrder is >= 1 and <= PageGeometry.MaxOrder ? m.DeviceOrder.Value : PageGeometry.PageblockOrder;
        _device = m.Device;
        Context.Watch(m.Device);
        foreach (var zone in _zones) zone.Tell(new EnableNotification(_reporter, _reportingOrder.Value));
        _reporter.Tell(new AttachDevice(m.Device, _reportingOrder.Value));
        _log.Info("Device {Device} registered, reporting order {Order}", m.Device.Path, _reportingOrder.Value);
        Sender.Tell(new DeviceRegistered(m.Device, _reportingOrder.Value));
    }

    // kernel: page_reporting_unregister (R19)
    private void BeginUnregister(IActorRef device, IActorRef replyTo)
    {
        // R19: stop notifications first, then wait for the reporter to finish any pass.
        foreach (var zone in _zones) zone.Tell(DisableNotification.Instance);
        _reporter.Tell(new DetachDevice(device));
        Timers.StartPeriodicTimer(DetachRetryKey, new RetryDetach(device), _detachRetry);
        Become(() =>
        {
            Receive<RetryDetach>(m =>
            {
                _log.Warning("Unregistration of {Device} still waits for the reporter; asking again", m.Device.Path);
                _reporter.Tell(new DetachDevice(m.Device));
            });
            Receive<DeviceDetached>(m =>
            {
                // Only the reporter knows when no report can reach the device any more (R19).
                if (!Sender.Equals(_reporter))
                {
                    _log.Warning("Detach answer from {Sender} ignored: it is not the guest's reporter", Sender.Path);
                    return;
                }
                if (!m.Device.Equals(device)) return;
                Timers.Cancel(DetachRetryKey);
                Context.Unwatch(device);
                _device = null;
                _log.Info("Device {Device} unregistered", device.Path);
                if (!replyTo.IsNobody()) replyTo.Tell(new DeviceUnregistered(device));
                Become(Ready);
                Stash.UnstashAll();
            });
            Receive<GetRegistration>(_ => Sender.Tell(new RegistrationStatus(_device, _reportingOrder)));
            Receive<Terminated>(_ => { });
            ReceiveAny(_ => Stash.Stash());
        });
    }

    // kernel: the page_reporting_order module parameter (R20)
    private void HandleSetOrder(SetReportingOrder m)
    {
        if (!PageGeometry.IsValidOrder(m.Order))
        {
            var detail = $"reporting order {m.Order} is outside 0..{PageGeometry.MaxOrder}";
            _log.Warning("Order change rejected: {Detail}", detail);
            Sender.Tell(new ReportingOrderRejected(m.Order, detail));
            return;
        }
        _reportingOrder = m.Order;
        if (_device is not null)
            foreach (var zone in _zones) zone.Tell(new EnableNotification(_reporter, m.Order));
        _reporter.Tell(new ChangeReportingOrder(m.Order));
        _log.Info("Reporting order set to {Order}", m.Order);
        Sender.Tell(new ReportingOrderSet(m.Order));
    }
}
