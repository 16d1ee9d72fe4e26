using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Configs;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Actors;

/// <summary>
/// TestKit on virtual time: the TestScheduler drives every IWithTimers timer, and Akka logs go to
/// both the TestKit listener (for EventFilter) and Serilog.
/// </summary>
public abstract class ActorTestBase : Akka.TestKit.Xunit2.TestKit
{
    public const string LoggingConfig = """
        akka.loglevel = DEBUG
        akka.loggers = ["Akka.TestKit.TestEventListener, Akka.TestKit", "Akka.Logger.Serilog.SerilogLogger, Akka.Logger.Serilog"]
        akka.logger-formatter = "Akka.Logger.Serilog.SerilogLogMessageFormatter, Akka.Logger.Serilog"
        """;

    protected ActorTestBase(ITestOutputHelper output, string extraConfig = "")
        // The extra configuration last, so that a test can replace the loggers too.
        : base(ConfigurationFactory.ParseString(LoggingConfig + "\n" + extraConfig).WithFallback(TestConfigs.TestSchedulerConfig), output: output)
    {
    }

    protected TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    /// <summary>
    /// A probe that, when it plays a device, does not see the reporter's claim and release: those are for
    /// device actors, and a probe's tests expect the reports themselves.
    /// </summary>
    protected new TestProbe CreateTestProbe(string? name = null)
    {
        var probe = base.CreateTestProbe(name!);
        probe.IgnoreMessages(m => m is DeviceOwner || m is DeviceReleased);
        return probe;
    }

    protected static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);

    /// <summary>One 16 MiB zone (4096 pages, order-10 aligned) with the first <paramref name="allocatedPages"/> pages in use.</summary>
    protected static ZoneSpec SmallZone(string name = "Z", long startPfn = 0, long pages = 4096, long allocatedPages = 0, long min = 16, long low = 32, long high = 48) =>
        new(name, startPfn, pages, pages - allocatedPages, new Watermarks(min, low, high));

    protected PageReportingGuest StartGuest(IReadOnlyList<ZoneSpec> zones, PageReportingSettings? settings = null) =>
        FaultyGuests.StartAsync(Sys, zones, settings ?? PageReportingSettings.Default with { ReportingOrder = null }).GetAwaiter().GetResult();

    /// <summary>Registers <paramref name="device"/> and returns the resolved order.</summary>
    protected int Register(PageReportingGuest guest, IActorRef device, int? deviceOrder = null)
    {
        var registered = guest.Registry.Ask<object>(new RegisterDevice(device, deviceOrder), RemainingOrDefault).Result;
        return Assert.IsType<DeviceRegistered>(registered).ReportingOrder;
    }

    protected T AskFor<T>(IActorRef actor, object message) => Assert.IsType<T>(actor.Ask<object>(message, TimeSpan.FromSeconds(10)).Result);

    protected ZoneStatus Status(IActorRef zone) => AskFor<ZoneStatus>(zone, GetZoneStatus.Instance);

    protected ReporterStatus Reporter(PageReportingGuest guest) => AskFor<ReporterStatus>(guest.Reporter, GetReporterStatus.Instance);

    protected void AssertInvariants(PageReportingGuest guest)
    {
        foreach (var zone in guest.Zones)
            Assert.Null(AskFor<ZoneInvariantsChecked>(zone, CheckZoneInvariants.Instance).Violation);
    }

    /// <summary>Advances virtual time once the reporter has processed everything sent before (its timer is armed).</summary>
    protected void Advance(PageReportingGuest guest, TimeSpan by)
    {
        Reporter(guest);
        Clock.Advance(by);
    }

    /// <summary>Runs passes, answering a probe device, until the reporter is Idle; returns how many ran.</summary>
    protected int DrainPasses(PageReportingGuest guest, TestProbe device)
    {
        var passes = 0;
        while (Reporter(guest).State != ReporterState.Idle && passes < 50)
        {
            Advance(guest, Delay);
            ProbeDevice.AnswerAll(device, guest.Reporter);
            passes++;
        }
        return passes;
    }

    /// <summary>Subscribes a probe to the reporter's published pass and report events.</summary>
    protected TestProbe EventsProbe()
    {
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe(probe.Ref, typeof(PassStarted));
        Sys.EventStream.Subscribe(probe.Ref, typeof(PassFinished));
        Sys.EventStream.Subscribe(probe.Ref, typeof(ReportFinished));
        return probe;
    }

    protected PassFinished ExpectPassFinished(TestProbe events)
    {
        while (true)
        {
            var message = events.ExpectMsg<object>(TimeSpan.FromSeconds(20));
            if (message is PassFinished finished) return finished;
        }
    }

    protected Block AllocateBlock(IActorRef zone, int order, Migratetype type = Migratetype.Movable) =>
        AskFor<Allocated>(zone, new Allocate(order, type)).Block;

    protected Freed FreeBlock(IActorRef zone, Block block) => AskFor<Freed>(zone, new Free(block.Pfn, block.Order));
}
