using PageReportingActors.Memory;
using Akka.Actor;

namespace PageReportingActors.Messages;

/// <summary>Commands an application sends the registry.</summary>
public interface IRegistryCommand { }

/// <summary>Questions an application asks the registry: they change nothing.</summary>
public interface IRegistryQuery { }

/// <summary>R17, R18: register <c>Device</c>; <c>DeviceOrder</c> is the order it asks for, if any.</summary>
public sealed record RegisterDevice(IActorRef Device, int? DeviceOrder = null) : IRegistryCommand;

/// <summary>The answer to <see cref="RegisterDevice"/>: <c>Device</c> is registered and reports start after the delay (R18).</summary>
/// <param name="Device">The device now registered.</param>
/// <param name="ReportingOrder">The reporting order resolved by R18: the lowest order that notifies and is reported.</param>
public sealed record DeviceRegistered(IActorRef Device, int ReportingOrder);

/// <summary>Why a registration was refused.</summary>
public enum RegistrationRejection
{
    /// <summary>R17: another device is registered already.</summary>
    Busy,
    /// <summary>The request named no device.</summary>
    InvalidDevice,
}

/// <summary>The answer to a refused <see cref="RegisterDevice"/>; nothing changed (R17).</summary>
/// <param name="Device">The device that asked, as given (may be null).</param>
/// <param name="Reason">Why it was refused.</param>
/// <param name="Detail">A sentence naming what was wrong.</param>
public sealed record RegistrationRejected(IActorRef? Device, RegistrationRejection Reason, string Detail);

/// <summary>R19: unregister <c>Device</c>; answered once no report can reach it any more.</summary>
public sealed record UnregisterDevice(IActorRef Device) : IRegistryCommand;

/// <summary>The answer to <see cref="UnregisterDevice"/>: the pass that was running has drained, and no report reaches <c>Device</c> any more (R19).</summary>
/// <param name="Device">The device that was registered.</param>
public sealed record DeviceUnregistered(IActorRef Device);

/// <summary>The answer to an <see cref="UnregisterDevice"/> that named no device or not the registered one; nothing changed.</summary>
/// <param name="Device">The device named in the request (may be null).</param>
/// <param name="Detail">A sentence naming what was wrong.</param>
public sealed record UnregistrationRejected(IActorRef? Device, string Detail);

/// <summary>R20: change the reporting order at run time (0..10).</summary>
public sealed record SetReportingOrder(int Order) : IRegistryCommand;

/// <summary>The answer to <see cref="SetReportingOrder"/>: the order is in effect from the next notification and pass (R20).</summary>
/// <param name="Order">The new reporting order.</param>
public sealed record ReportingOrderSet(int Order);

/// <summary>The answer to a <see cref="SetReportingOrder"/> outside 0..10; nothing changed (R20).</summary>
/// <param name="Order">The order that was asked for.</param>
/// <param name="Detail">A sentence naming what was wrong.</param>
public sealed record ReportingOrderRejected(int Order, string Detail);

/// <summary>Ask the registry which device is registered and the resolved reporting order; answered with <see cref="RegistrationStatus"/>.</summary>
public sealed record GetRegistration : IRegistryQuery
{
    /// <summary>The one instance.</summary>
    public static readonly GetRegistration Instance = new();
    private GetRegistration() { }
}

/// <summary>The answer to <see cref="GetRegistration"/>.</summary>
/// <param name="Device">The registered device, or null when none is.</param>
/// <param name="ReportingOrder">The reporting order: configured, resolved at the first registration (R18, kept by R19), or set since (R20); null while none is.</param>
public sealed record RegistrationStatus(IActorRef? Device, int? ReportingOrder);
