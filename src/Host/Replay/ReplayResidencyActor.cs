using Akka.Actor;
using PageReportingActors.Hypervisor;
using PageReportingActors.Messages;

namespace PageReportingActors.Host.Replay;

/// <summary>
/// The sender of a replay's event batches: blocks the zones hand to their users are written by the
/// guest, so they are the guest's writes on the host (faults, refaults); a zone's refusal is kept for the driver to raise.
/// </summary>
internal sealed class ReplayResidencyActor : ReceiveActor
{
    public ReplayResidencyActor(HostMemory hypervisor, ReplayTally tally)
    {
        Receive<TraceEventsApplied>(m =>
        {
            foreach (var block in m.GivenToUser) hypervisor.Touch(block);
            tally.Applied += m.Applied;
            tally.Deferred += m.Deferred;
        });
        Receive<TraceReplayRejected>(m => tally.Refusals.Add($"zone {m.Zone}: {m.Reason}"));
    }

    public static Props Props(HostMemory hypervisor, ReplayTally tally) =>
        Akka.Actor.Props.Create(() => new ReplayResidencyActor(hypervisor, tally));
}

/// <summary>What the zones answered to a replay's batches; read by the driver between pumps on its own thread.</summary>
internal sealed class ReplayTally
{
    public long Applied { get; set; }
    public long Deferred { get; set; }
    public List<string> Refusals { get; } = [];
}
