using Akka.Actor;
using PageReportingActors.Host.Fleet;
using Xunit;

namespace PageReportingActors.Tests.Fleet;

/// <summary>Everything the coordinator and the guest entities say to each other crosses the wire between nodes unchanged.</summary>
public sealed class FleetMessageSerializationTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("fleet-serialization");

    public void Dispose() => _system.Dispose();

    public static TheoryData<object> Messages()
    {
        var definition = GuestRunTests.Definition("default", 7, 18, TimeSpan.FromSeconds(21), TimeSpan.FromSeconds(1));
        return new TheoryData<object>
        {
            new AdvanceGuest(7, TimeSpan.FromSeconds(30).Ticks, definition),
            new AdvanceGuest(7, TimeSpan.FromSeconds(31).Ticks, null),
            new FinishGuest(7, definition with { Seed = 19 }),
            new GuestAdvanced(7, 42, new GuestSample(true, 1L << 30, 1L << 29, 123456789, 987654321), "127.0.0.1:4053"),
            new GuestAdvanced(7, 42, GuestSample.Absent, "127.0.0.1:4053"),
            new GuestFinished(7, new GuestResult(7, "1 GiB guest frees 512 MiB", 13, 2, 1484783616, 645054464, 110149632, 35.0), "127.0.0.1:4053"),
            new GuestUnknown(7),
            new GuestFailed(7, "zone DMA32 refused 3 frees"),
        };
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void A_fleet_message_survives_serialization(object message)
    {
        var serializer = _system.Serialization.FindSerializerFor(message);
        var bytes = serializer.ToBinary(message);
        var back = serializer is Akka.Serialization.SerializerWithStringManifest manifested
            ? manifested.FromBinary(bytes, manifested.Manifest(message))
            : serializer.FromBinary(bytes, message.GetType());
        Assert.Equal(message, back);
    }
}
