using Akka.Actor;
using PageReportingActors.Hypervisor;
using PageReportingActors.Messages;

namespace PageReportingActors.Host.Simulation;

/// <summary>
/// What a workload acts on: the guest's actors on virtual time, its device, the hypervisor's view,
/// and the run's log. Registry commands are sent with the recorder as sender, so their answers
/// (and rejections) land in the run's log.
/// </summary>
internal sealed class SimulatedGuest(VirtualTimeRuntime runtime, IActorRef device, IActorRef recorder, HostMemory hypervisor, RunLog log)
{
    public VirtualTimeRuntime Runtime { get; } = runtime;

    /// <summary>The guest's zone, reporter and registry actors.</summary>
    public PageReportingGuest Actors => Runtime.Guest;

    /// <summary>The device actor that hosts the <see cref="BalloonDeviceModel"/>.</summary>
    public IActorRef Device { get; } = device;

    /// <summary>Collects published passes and reports and the registry's answers.</summary>
    public IActorRef Recorder { get; } = recorder;

    /// <summary>The host's view of the guest's memory and what it cost.</summary>
    public HostMemory Hypervisor { get; } = hypervisor;

    public RunLog Log { get; } = log;

    public TimeSpan Now => Runtime.Now;

    /// <summary>Asks and lets the actors run until the answer is there.</summary>
    public T Ask<T>(IActorRef actor, object message) => Runtime.Ask<T>(actor, message);

    /// <summary>Sends to the registry (answers go to the run's log) and lets the actors run.</summary>
    public void TellRegistry(object message) => Runtime.Tell(Actors.Registry, message, Recorder);

    public void Register(int? deviceOrder) => TellRegistry(new RegisterDevice(Device, deviceOrder));

    public void Unregister() => TellRegistry(new UnregisterDevice(Device));
}
