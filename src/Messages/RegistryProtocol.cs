using PageReportingActors.Memory;
using Akka.Actor;

namespace PageReportingActors.Messages;

/// <summary>Commands an application sends the registry.</summary>
public interface IRegistryCommand { }

/// <summary>Questions an application asks the registry: they change nothing.</summary>
public interface IRegistryQuery { }

/// <summary>R17, R18: register <c>Device</c>; <c>DeviceOrder</c> is the order it asks for, if any.</summary>
public sealed record RegisterDevice(IActorRef Device, int? DeviceOrder = null) : IRegistryCommand;

public sealed record DeviceRegistered(IActorRef Device, int ReportingOrder);

public enum RegistrationRejection { Busy, InvalidDevice }

public sealed record RegistrationRejected(IActorRef? Device, RegistrationRejection Reason, string Detail);

/// <summary>R19: unregister <c>Device</c>; answered once no report can reach it any more.</summary>
public sealed record UnregisterDevice(IActorRef Device) : IRegistryCommand;

public sealed record DeviceUnregistered(IActorRef Device);

public sealed record UnregistrationRejected(IActorRef? Device, string Detail);

/// <summary>R20: change the reporting order at run time (0..10).</summary>
public sealed record SetReportingOrder(int Order) : IRegistryCommand;

public sealed record ReportingOrderSet(int Order);

public sealed record ReportingOrderRejected(int Order, string Detail);

public sealed record GetRegistration : IRegistryQuery
{
    public static readonly GetRegistration Instance = new();
    private GetRegistration() { }
}

public sealed record RegistrationStatus(IActorRef? Device, int? ReportingOrder);
