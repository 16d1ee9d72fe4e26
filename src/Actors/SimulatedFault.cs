using Akka.Actor;

namespace PageReportingActors;

/// <summary>
/// Test hook: makes an actor throw, now or on the next message of a given type, the way a bug
/// would. Internal: only the tests send it.
/// </summary>
internal sealed record SimulatedFault(Type? OnNext = null) : INoSerializationVerificationNeeded;

/// <summary>The exception a <see cref="SimulatedFault"/> throws.</summary>
internal sealed class SimulatedFaultException(string message) : Exception(message);

/// <summary>
/// Arms and fires simulated faults for one actor. Production actors have none (null); only actors a test
/// starts through the internal factories (<c>PageReporting.StartWithFaults</c>, <c>DevicePropsWithFaults</c>) do.
/// </summary>
internal sealed class FaultInjector
{
    private Type? _armed;

    /// <summary>
    /// Call first thing for every message. Throws when the message is a fault or of the armed type;
    /// returns true when it was an arming fault the actor must not see, false for anything else.
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

/// <summary>
/// Props for an actor built by a factory, so an internal constructor (one that takes a
/// <see cref="FaultInjector"/>) can be used: Akka's own Props.Create needs a public one.
/// </summary>
internal sealed class FactoryProducer<TActor>(Func<TActor> factory) : IIndirectActorProducer where TActor : ActorBase
{
    public Type ActorType => typeof(TActor);

    public ActorBase Produce() => factory();

    public void Release(ActorBase actor) { }

    public static Props Props(Func<TActor> factory) => Akka.Actor.Props.CreateBy(new FactoryProducer<TActor>(factory));
}
