using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using PageReportingActors.Tests.Actors;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Faults;

/// <summary>
/// Bad input at every entry point gets an exception naming the setting or zone (before any actor
/// exists) or an explicit reply, and changes nothing.
/// </summary>
public class BadInputTests(ITestOutputHelper output) : FaultTestBase(output)
{
    private static readonly Watermarks W = new(16, 32, 48);

    [Theory]
    [InlineData("page-reporting.order = 11", "page-reporting.order")]
    [InlineData("page-reporting.order = -1", "page-reporting.order")]
    [InlineData("page-reporting.order = nine", "page-reporting.order")]
    [InlineData("page-reporting.capacity = 0", "page-reporting.capacity")]
    [InlineData("page-reporting.capacity = -4", "page-reporting.capacity")]
    [InlineData("page-reporting.capacity = 100000", "page-reporting.capacity")]
    [InlineData("page-reporting.capacity = \"x\"", "page-reporting.capacity")]
    [InlineData("page-reporting.capacity = 3.5", "page-reporting.capacity")]
    [InlineData("page-reporting.delay = \"soon\"", "page-reporting.delay")]
    [InlineData("page-reporting.delay = 0s", "page-reporting.delay")]
    [InlineData("page-reporting.delay = -2s", "page-reporting.delay")]
    [InlineData("page-reporting.report-timeout = 0s", "page-reporting.report-timeout")]
    [InlineData("page-reporting.report-timeout = \"never\"", "page-reporting.report-timeout")]
    public void Bad_HOCON_setting_throws_PageReportingConfigException_naming_it(string hocon, string setting)
    {
        var config = ConfigurationFactory.ParseString(hocon);
        var ex = Assert.Throws<PageReportingConfigException>(() => PageReportingSettings.FromConfig(config));
        Assert.StartsWith(setting + ":", ex.Message);
    }

    [Fact]
    public void Good_HOCON_settings_are_read()
    {
        var settings = PageReportingSettings.FromConfig(ConfigurationFactory.ParseString(
            "page-reporting { order = 7, capacity = 16, delay = 500ms, report-timeout = 5s }"));
        Assert.Equal(new PageReportingSettings(7, TimeSpan.FromMilliseconds(500), 16, TimeSpan.FromSeconds(5)), settings);
        Assert.Equal(PageReportingSettings.Default, PageReportingSettings.FromConfig(ConfigurationFactory.Empty));
    }

    [Fact]
    public async Task Start_in_a_system_configured_with_a_bad_setting_throws_and_creates_no_actor()
    {
        var system = ActorSystem.Create("bad-config", ConfigurationFactory.ParseString("page-reporting.capacity = 0"));
        try
        {
            var ex = Assert.Throws<PageReportingConfigException>(() => { _ = PageReporting.StartAsync(system, [SmallZone()]); });
            Assert.Contains("page-reporting.capacity", ex.Message);
            var identity = await system.ActorSelection("/user/" + PageReporting.DefaultName).Ask<ActorIdentity>(new Identify(1), TimeSpan.FromSeconds(5));
            Assert.Null(identity.Subject);
        }
        finally
        {
            await system.Terminate();
        }
    }

    public static TheoryData<string, ZoneSpec[], string> BadZones => new()
    {
        { "overlapping", [new("A", 0, 4096, 4096, W), new("B", 2048, 4096, 4096, W)], "zones[1] (B) starts at pfn 2048, inside or before zones[0] (A)" },
        { "out of order", [new("A", 8192, 4096, 4096, W), new("B", 0, 4096, 4096, W)], "zones[1] (B) starts at pfn 0" },
        { "duplicate name", [new("A", 0, 4096, 4096, W), new("A", 4096, 4096, 4096, W)], "the name \"A\" is used twice" },
        { "empty", [], "at least one zone" },
        { "no pages", [new("A", 0, 0, 0, W)], "zones[0] (A): pages 0 must be positive" },
        { "more free than pages", [new("A", 0, 4096, 5000, W)], "zones[0] (A): freePages 5000" },
        { "negative start", [new("A", -1024, 4096, 4096, W)], "zones[0] (A): startPfn -1024 is negative" },
        { "watermarks upside down", [new("A", 0, 4096, 4096, new Watermarks(48, 32, 16))], "zones[0] (A): watermarks" },
        { "unnamed", [new("", 0, 4096, 4096, W)], "zones[0] (): name is empty" },
    };

    [Theory]
    [MemberData(nameof(BadZones))]
    public async Task Start_with_bad_zones_throws_ArgumentException_naming_the_zone_and_creates_no_actor(string why, ZoneSpec[] zones, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => { _ = PageReporting.StartAsync(Sys, zones, Cap4); });
        Assert.Contains(expected, ex.Message);
        Assert.Equal("zones", ex.ParamName);
        var identity = await Sys.ActorSelection("/user/" + PageReporting.DefaultName).Ask<ActorIdentity>(new Identify(why), TimeSpan.FromSeconds(5));
        Assert.Null(identity.Subject);
        // The name is still free: a good guest starts under it.
        var guest = StartGuest([SmallZone()]);
        Assert.Equal(PageReporting.DefaultName, guest.Guardian.Path.Name);
    }

    [Fact]
    public void Zone_answers_bad_allocations_and_frees_explicitly_and_changes_nothing()
    {
        var guest = StartGuest([SmallZone(startPfn: 4096)], Cap4);
        var zone = guest.Zones[0];
        var before = Status(zone);

        Assert.Equal(AllocationFailureReason.InvalidOrder, AskFor<AllocationFailed>(zone, new Allocate(11)).Reason);
        Assert.Equal(AllocationFailureReason.InvalidOrder, AskFor<AllocationFailed>(zone, new Allocate(-1)).Reason);
        Assert.Equal(AllocationFailureReason.InvalidOrder, AskFor<AllocationFailed>(zone, new Allocate(int.MinValue)).Reason);
        Assert.Equal(AllocationFailureReason.InvalidMigratetype, AskFor<AllocationFailed>(zone, new Allocate(0, Migratetype.Isolate)).Reason);
        Assert.Equal(AllocationFailureReason.InvalidMigratetype, AskFor<AllocationFailed>(zone, new Allocate(0, (Migratetype)99)).Reason);

        (long Pfn, int Order, FreeRejectionReason Reason)[] frees =
        [
            (4096, 11, FreeRejectionReason.InvalidOrder),
            (4096, -1, FreeRejectionReason.InvalidOrder),
            (0, 0, FreeRejectionReason.OutsideZone),
            (-1, 0, FreeRejectionReason.OutsideZone),
            (long.MinValue, 0, FreeRejectionReason.OutsideZone),
            (long.MaxValue, 0, FreeRejectionReason.OutsideZone),
            (long.MaxValue - 1023, 10, FreeRejectionReason.OutsideZone),
            (8192 - 512, 10, FreeRejectionReason.OutsideZone), // runs past the end
            (4096 + 1, 1, FreeRejectionReason.Misaligned),
            (4096, 0, FreeRejectionReason.AlreadyFree),
        ];
        foreach (var (pfn, order, reason) in frees)
        {
            var rejected = AskFor<FreeRejected>(zone, new Free(pfn, order));
            Assert.Equal(reason, rejected.Reason);
            Assert.False(string.IsNullOrWhiteSpace(rejected.Detail));
        }

        var many = AskFor<FreedMany>(zone, new FreeMany([new Block(4096, 11), new Block(0, 0), new Block(4097, 1)]));
        Assert.Equal(0, many.Freed);
        Assert.Equal([FreeRejectionReason.InvalidOrder, FreeRejectionReason.OutsideZone, FreeRejectionReason.Misaligned],
            many.Rejected.Select(r => r.Reason).ToArray());
        Assert.Equal(0, AskFor<FreedMany>(zone, new FreeMany(default)).Freed);
        Assert.Equal(0, AskFor<FreedMany>(zone, new FreeMany(ImmutableArray<Block>.Empty)).Freed);

        var negative = AskFor<AllocationFailed>(zone, new AllocateMany(0, -1));
        Assert.Contains("count -1 is negative", negative.Detail);
        var badOrder = AskFor<AllocatedMany>(zone, new AllocateMany(11, 3));
        Assert.Empty(badOrder.Blocks);
        Assert.Equal(AllocationFailureReason.InvalidOrder, badOrder.StoppedBecause);
        Assert.Empty(AskFor<AllocatedMany>(zone, new AllocateMany(0, 0)).Blocks);

        var stranger = CreateTestProbe();
        // Sent in the reporter's name, as only the reporter's walk commands are looked at.
        EventFilter.Warning(contains: "walk command rejected").ExpectOne(
            () => zone.Tell(new BeginZoneWalk(1, 11, 4), guest.Reporter));
        EventFilter.Warning(contains: "walk command rejected").ExpectOne(
            () => zone.Tell(new BeginZoneWalk(1, 9, 0), guest.Reporter));
        EventFilter.Warning(contains: "notification order 11 rejected").ExpectOne(
            () => zone.Tell(new EnableNotification(stranger.Ref, 11), guest.Registry));

        AssertSameStatus(before, Status(zone));
        AssertInvariants(guest);
        // The zone still serves good requests.
        var block = AllocateBlock(zone, 10);
        FreeBlock(zone, block);
        AssertSameStatus(before, Status(zone));
    }

    [Fact]
    public void Registry_rejects_a_device_that_is_Nobody_or_null_and_changes_nothing()
    {
        var guest = StartGuest([SmallZone()], Cap4);
        Assert.Equal(RegistrationRejection.InvalidDevice, AskFor<RegistrationRejected>(guest.Registry, new RegisterDevice(ActorRefs.Nobody)).Reason);
        Assert.Equal(RegistrationRejection.InvalidDevice, AskFor<RegistrationRejected>(guest.Registry, new RegisterDevice(null!, 3)).Reason);
        Assert.Equal("no device was named", AskFor<UnregistrationRejected>(guest.Registry, new UnregisterDevice(null!)).Detail);
        Assert.Equal(new RegistrationStatus(null, null), AskFor<RegistrationStatus>(guest.Registry, GetRegistration.Instance));
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Device_props_with_a_timeout_that_is_not_positive_throw_ArgumentOutOfRange(int milliseconds)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => PageReporting.DeviceProps(new InstantHandler(), TimeSpan.FromMilliseconds(milliseconds)));
        Assert.Equal("timeout", ex.ParamName);
        Assert.Throws<ArgumentNullException>(() => PageReporting.DeviceProps(null!));
    }

    [Fact]
    public void Device_actor_rejects_a_report_without_pages_explicitly()
    {
        var device = DeviceActor(new InstantHandler());
        device.Tell(new DeviceOwner(TestActor));
        device.Tell(new ReportPages(1, null!));
        var answer = ExpectMsg<ReportCompleted>();
        Assert.False(answer.Success);
        Assert.Equal(ReportErrors.Invalid, answer.ErrorCode);
    }
}
