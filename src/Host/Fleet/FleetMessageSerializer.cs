using System.Text;
using Akka.Actor;
using Akka.Serialization;

namespace PageReportingActors.Host.Fleet;

/// <summary>
/// The fleet's own wire format for <see cref="IFleetMessage"/>: a one-letter manifest and the
/// fields in order, little-endian, strings as UTF-8 with their length. The default JSON
/// serializer wrote each type name and every field name into every message, and needed the
/// remote frame raised for a guest's definition; this is a few bytes per sample.
/// Bound in <see cref="FleetNode.SerializationHocon"/>, as Sharding binds its own.
/// </summary>
internal sealed class FleetMessageSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Outside Akka's reserved range (0-100) and the ids its modules take.</summary>
    public const int Id = 7310;

    public override int Identifier => Id;

    private const string Advance = "A", Finish = "F", Advanced = "a", Finished = "f", Unknown = "u", Failed = "x";

    public override string Manifest(object o) => o switch
    {
        AdvanceGuest => Advance,
        FinishGuest => Finish,
        GuestAdvanced => Advanced,
        GuestFinished => Finished,
        GuestUnknown => Unknown,
        GuestFailed => Failed,
        _ => throw new ArgumentException($"{o.GetType()} is not a fleet message", nameof(o)),
    };

    public override byte[] ToBinary(object obj)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            switch (obj)
            {
                case AdvanceGuest m:
                    w.Write(m.Index);
                    w.Write(m.AtTicks);
                    w.Write(m.Definition is not null);
                    if (m.Definition is { } d) Write(w, d);
                    break;
                case FinishGuest m:
                    w.Write(m.Index);
                    Write(w, m.Definition);
                    break;
                case GuestAdvanced m:
                    w.Write(m.Index);
                    w.Write(m.AtTicks);
                    w.Write(m.Sample.Running);
                    w.Write(m.Sample.FreeBytes);
                    w.Write(m.Sample.ReportedBytes);
                    w.Write(m.Sample.HostResidentBytes);
                    w.Write(m.Sample.HostResidentWithoutReportingBytes);
                    w.Write(m.Node);
                    break;
                case GuestFinished m:
                    w.Write(m.Index);
                    Write(w, m.Result);
                    w.Write(m.Node);
                    break;
                case GuestUnknown m:
                    w.Write(m.Index);
                    break;
                case GuestFailed m:
                    w.Write(m.Index);
                    w.Write(m.Reason);
                    break;
                default:
                    throw new ArgumentException($"{obj.GetType()} is not a fleet message", nameof(obj));
            }
        }
        return stream.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        object message = manifest switch
        {
            Advance => new AdvanceGuest(r.ReadInt32(), r.ReadInt64(), r.ReadBoolean() ? ReadDefinition(r) : null),
            Finish => new FinishGuest(r.ReadInt32(), ReadDefinition(r)),
            Advanced => new GuestAdvanced(r.ReadInt32(), r.ReadInt64(),
                new GuestSample(r.ReadBoolean(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64()), r.ReadString()),
            Finished => new GuestFinished(r.ReadInt32(), ReadResult(r), r.ReadString()),
            Unknown => new GuestUnknown(r.ReadInt32()),
            Failed => new GuestFailed(r.ReadInt32(), r.ReadString()),
            _ => throw new System.Runtime.Serialization.SerializationException($"fleet message manifest \"{manifest}\" is not one this version knows"),
        };
        // A message with bytes left over was written by another layout: refuse it rather than guess.
        if (r.BaseStream.Position != bytes.Length)
            throw new System.Runtime.Serialization.SerializationException($"fleet message \"{manifest}\": {bytes.Length - r.BaseStream.Position} bytes left over");
        return message;
    }

    private static void Write(BinaryWriter w, GuestDefinition d)
    {
        w.Write(d.Index);
        w.Write(d.ScenarioName);
        w.Write(d.ScenarioJson);
        w.Write(d.Seed);
        w.Write(d.StartTicks);
        w.Write(d.StopTicks);
        w.Write(d.SampleTicks);
    }

    private static GuestDefinition ReadDefinition(BinaryReader r) =>
        new(r.ReadInt32(), r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64());

    private static void Write(BinaryWriter w, GuestResult g)
    {
        w.Write(g.Index);
        w.Write(g.Scenario);
        w.Write(g.Reports);
        w.Write(g.FailedReports);
        w.Write(g.ReportedBytes);
        w.Write(g.PeakResidentBytes);
        w.Write(g.EndResidentBytes);
        w.Write(g.VirtualSeconds);
        w.Write(g.HostFaults);
        w.Write(g.Refaults);
        w.Write(g.RefaultBytes);
        w.Write(g.IgnoredBytes);
        w.Write(g.HostCpuSeconds);
    }

    private static GuestResult ReadResult(BinaryReader r) =>
        new(r.ReadInt32(), r.ReadString(), r.ReadInt32(), r.ReadInt32(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadDouble())
        {
            HostFaults = r.ReadInt64(),
            Refaults = r.ReadInt64(),
            RefaultBytes = r.ReadInt64(),
            IgnoredBytes = r.ReadInt64(),
            HostCpuSeconds = r.ReadDouble(),
        };
}
