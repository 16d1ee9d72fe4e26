using Akka.Event;
using PageReportingActors.Messages;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Actors;

/// <summary>
/// The pass lines as Akka's own logger prints them, with no Serilog: its default formatter fills each
/// placeholder with the value's ToString, so a list there would print as its type name.
/// </summary>
public class DefaultLoggerTests(ITestOutputHelper output) : ActorTestBase(output, """
    akka.loggers = ["Akka.TestKit.TestEventListener, Akka.TestKit"]
    akka.logger-formatter = "Akka.Event.SemanticLogMessageFormatter, Akka"
    """)
{
    [Fact]
    public void The_pass_line_names_the_zones_and_gives_the_size_in_MiB()
    {
        // Two 64 MiB zones of 16 free order-10 blocks; capacity 16 reports each in one report, of 15 blocks:
        // isolating the last would take the zone below its watermark.
        var guest = StartGuest([SmallZone("DMA", pages: 16384), SmallZone("Normal", startPfn: 16384, pages: 16384)],
            PageReportingSettings.Default with { Capacity = 16, ReportingOrder = null });
        var device = CreateTestProbe();
        var lines = CreateTestProbe();
        Sys.EventStream.Subscribe(lines.Ref, typeof(Info));
        Sys.EventStream.Subscribe(lines.Ref, typeof(Debug));
        Register(guest, device.Ref);

        Advance(guest, Delay);
        ProbeDevice.AnswerAll(device, guest.Reporter);

        var seen = new List<string>();
        while (lines.ReceiveOne(TimeSpan.FromMilliseconds(200)) is LogEvent e) seen.Add(e.Message.ToString()!);
        Assert.Equal(
            ["Reported 15 blocks (60.0 MiB) from DMA, report 1", "Reported 15 blocks (60.0 MiB) from Normal, report 2"],
            seen.Where(l => l.StartsWith("Reported", StringComparison.Ordinal)));
        Assert.Equal(
            "Pass 1 done: 2 zones visited (DMA, Normal), 2 reports, 120.0 MiB reported in 0 ms; failed False, requested again False",
            Assert.Single(seen, l => l.StartsWith("Pass ", StringComparison.Ordinal)));
    }
}
