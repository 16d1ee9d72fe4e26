using Akka.Actor;
using PageReportingActors.Host.Fleet;
using Xunit;

namespace PageReportingActors.Tests.Fleet;

/// <summary>
/// Everything the coordinator and the guest entities say to each other crosses the wire between
/// nodes unchanged, through the fleet's own serializer as the fleet node's HOCON binds it.
/// </summary>
public sealed class FleetMessageSerializationTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("fleet-serialization", FleetNode.SerializationHocon);

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
            new GuestFinished(7, new GuestResult(7, "retouch \u00e9", 13, 2, 1484783616, 645054464, 110149632, 35.0)
                { HostFaults = 50_688, Refaults = 1_536, RefaultBytes = 6_291_456, IgnoredBytes = 4096, HostCpuSeconds = 0.162 }, "127.0.0.1:4053"),
            new GuestUnknown(7),
            new GuestFailed(7, "zone DMA32 refused 3 frees"),
        };
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void A_fleet_message_survives_serialization(object message)
    {
        var serializer = _system.Serialization.FindSerializerFor(message);
        Assert.IsType<FleetMessageSerializer>(serializer);
        Assert.Equal(FleetMessageSerializer.Id, serializer.Identifier);
        var bytes = serializer.ToBinary(message);
        var back = serializer is Akka.Serialization.SerializerWithStringManifest manifested
            ? manifested.FromBinary(bytes, manifested.Manifest(message))
            : serializer.FromBinary(bytes, message.GetType());
        Assert.Equal(message, back);
    }

    [Fact]
    public void A_sample_is_a_few_dozen_bytes_on_the_wire()
    {
        var sample = new GuestAdvanced(7, 42, new GuestSample(true, 1L << 30, 1L << 29, 123456789, 987654321), "127.0.0.1:4053");
        // 4 + 8 + 1 + 4 x 8 + the node's 14 characters with their length: 60 bytes.
        Assert.Equal(60, _system.Serialization.FindSerializerFor(sample).ToBinary(sample).Length);
    }

    [Theory]
    [InlineData("z", "fleet message manifest \"z\" is not one this version knows")]
    [InlineData("u+", "fleet message \"u\": 1 bytes left over")]
    public void A_message_this_version_cannot_read_is_refused_not_guessed(string manifest, string expected)
    {
        var serializer = (FleetMessageSerializer)_system.Serialization.FindSerializerFor(new GuestUnknown(1));
        var bytes = serializer.ToBinary(new GuestUnknown(1));
        if (manifest == "u+") { bytes = [.. bytes, 0]; manifest = "u"; }
        var e = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bytes, manifest));
        Assert.Equal(expected, e.Message);
    }
}
