using Akka.Cluster.Sharding;

namespace PageReportingActors.Host.Fleet;

/// <summary>
/// A message between a fleet's coordinator and its guest entities, on any node: bound to
/// <see cref="FleetMessageSerializer"/> in the fleet node's HOCON.
/// </summary>
internal interface IFleetMessage;

/// <summary>What the fleet's coordinator asks of a guest entity; routed by Sharding on <see cref="Index"/>.</summary>
internal interface IGuestCommand : IFleetMessage
{
    int Index { get; }
}

/// <summary>
/// The guest's sample at fleet time <c>AtTicks</c>. <c>Definition</c> may be left out once the
/// entity has it; an entity that has none (new, or made again on another node) answers
/// <see cref="GuestUnknown"/> and the coordinator asks again with it.
/// </summary>
internal sealed record AdvanceGuest(int Index, long AtTicks, GuestDefinition? Definition) : IGuestCommand;

/// <summary>The guest's totals, once it has reached its stop.</summary>
internal sealed record FinishGuest(int Index, GuestDefinition Definition) : IGuestCommand;

internal sealed record GuestAdvanced(int Index, long AtTicks, GuestSample Sample, string Node) : IFleetMessage;

internal sealed record GuestFinished(int Index, GuestResult Result, string Node) : IFleetMessage;

/// <summary>The entity does not know this guest yet: send the definition.</summary>
internal sealed record GuestUnknown(int Index) : IFleetMessage;

/// <summary>The guest's simulation failed; the fleet cannot be completed.</summary>
internal sealed record GuestFailed(int Index, string Reason) : IFleetMessage;

/// <summary>Guest i is entity "i" in shard i mod <see cref="Shards"/>: shards spread evenly over the nodes.</summary>
internal sealed class GuestMessageExtractor : IMessageExtractor
{
    public const int Shards = 100;

    public string EntityId(object message) => message is IGuestCommand c ? Id(c.Index) : null!;

    public object EntityMessage(object message) => message;

    public string ShardId(object message) => message switch
    {
        IGuestCommand c => Shard(c.Index),
        _ => null!,
    };

    public string ShardId(string entityId, object? messageHint = null) => Shard(int.Parse(entityId, System.Globalization.CultureInfo.InvariantCulture));

    private static string Id(int index) => index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Shard(int index) => (index % Shards).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
