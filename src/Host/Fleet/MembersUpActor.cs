using Akka.Actor;
using Akka.Cluster;

namespace PageReportingActors.Host.Fleet;

/// <summary>
/// Completes when the cluster has at least <c>members</c> members Up, from the cluster's own
/// membership events (subscribed with the current state as events), so a fleet starts the moment
/// its last node is Up instead of when a poll next looks. Stops itself once it has answered.
/// </summary>
internal sealed class MembersUpActor : ReceiveActor
{
    private readonly int _members;
    private readonly TaskCompletionSource _done;
    private readonly HashSet<Address> _up = [];

    public MembersUpActor(int members, TaskCompletionSource done)
    {
        _members = members;
        _done = done;
        Receive<ClusterEvent.MemberUp>(m => Count(m.Member.Address, up: true));
        Receive<ClusterEvent.MemberRemoved>(m => Count(m.Member.Address, up: false));
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
    }

    public static Props Props(int members, TaskCompletionSource done) =>
        Akka.Actor.Props.Create(() => new MembersUpActor(members, done));

    protected override void PreStart() =>
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.MemberUp), typeof(ClusterEvent.MemberRemoved));

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    private void Count(Address member, bool up)
    {
        if (up) _up.Add(member);
        else _up.Remove(member);
        if (_up.Count < _members) return;
        _done.TrySetResult();
        Context.Stop(Self);
    }
}
