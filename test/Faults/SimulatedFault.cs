using Akka.Actor;
using PageReportingActors.Memory;

namespace PageReportingActors.Tests;

/// <summary>
/// Makes an actor throw, now or on the next message of a given type, the way a bug would; only
/// actors started with a <see cref="FaultInjector"/> take it.
/// </summary>
internal sealed record SimulatedFault(Type? OnNext = null) : INoSerializationVerificationNeeded;

/// <summary>The exception a <see cref="SimulatedFault"/> throws.</summary>
internal sealed class SimulatedFaultException(string message) : Exception(message);

/// <summary>
/// Arms and fires simulated faults for one actor, as its <see cref="IMessageInterceptor"/>.
/// </summary>
internal sealed class FaultInjector : IMessageInterceptor
{
    private Type? _armed;

    /// <summary>
    /// Throws when the message is a fault or of the armed type; true when it was an arming fault the
    /// actor must not see, false for anything else.
    /// </summary>
    public bool Intercept(object message, string actor)
    {
        if (_armed is null && message is not SimulatedFault) return false;
        if (message is SimulatedFault fault)
        {
            if (fault.OnNext is null) throw new SimulatedFaultException($"simulated fault in {actor}");
            _armed = fault.OnNext;
            return true;
        }
        if (_armed is not null && _armed.IsInstanceOfType(message))
        {
            _armed = null;
            throw new SimulatedFaultException($"simulated fault in {actor} on {message.GetType().Name}");
        }
        return false;
    }
}

/// <summary>Guests and devices whose actors take <see cref="SimulatedFault"/>s.</summary>
internal static class FaultyGuests
{
    public static Task<PageReportingGuest> StartAsync(ActorSystem system, IReadOnlyList<ZoneSpec> zones, PageReportingSettings? settings = null,
        string name = PageReporting.DefaultName) =>
        PageReporting.StartWithInterceptorsAsync(system, zones, () => new FaultInjector(), settings, name);

    public static Props DeviceProps(Devices.IPageReportHandler handler, TimeSpan? timeout = null) =>
        PageReporting.DevicePropsWithInterceptor(handler, new FaultInjector(), timeout);

    public static Props GuardianProps(IReadOnlyList<Allocator.ZoneFreeArea> areas, PageReportingSettings settings, TaskCompletionSource<PageReportingGuest> started) =>
        PageReportingGuardianActor.PropsWithInterceptors(areas, settings, started, () => new FaultInjector());
}
