using Akka.Actor;

namespace PageReportingActors;

/// <summary>
/// Sees every message before the actor does, and may take it or throw as a bug would. Null in every
/// actor production starts; the tests pass one (simulated faults) through the internal factories
/// (<c>PageReporting.StartWithInterceptorsAsync</c>, <c>DevicePropsWithInterceptor</c>).
/// </summary>
internal interface IMessageInterceptor
{
    /// <summary>True when the message was the interceptor's own and the actor must not see it.</summary>
    bool Intercept(object message, string actor);
}

/// <summary>
/// Props for an actor built by a factory, so an internal constructor (one that takes an
/// <see cref="IMessageInterceptor"/>) can be used: Akka's own Props.Create needs a public one.
/// </summary>
internal sealed class FactoryProducer<TActor>(Func<TActor> factory) : IIndirectActorProducer where TActor : ActorBase
{
    public Type ActorType => typeof(TActor);

    public ActorBase Produce() => factory();

    public void Release(ActorBase actor) { }

    public static Props Props(Func<TActor> factory) => Akka.Actor.Props.CreateBy(new FactoryProducer<TActor>(factory));
}
