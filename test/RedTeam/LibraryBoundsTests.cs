using Akka.Actor;
using Akka.Configuration;
using PageReportingActors.Memory;
using PageReportingActors.Tests.Actors;
using PageReportingActors.Tests.Faults;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.RedTeam;

/// <summary>
/// Values that passed validation but could not be run with: each is refused where it enters, with an
/// <see cref="ArgumentException"/> naming the field, before any actor exists.
/// </summary>
public class LibraryBoundsTests(ITestOutputHelper output) : ActorTestBase(output)
{
    private static readonly Watermarks Marks = new(16, 32, 48);

    public static TheoryData<ZoneSpec, string> BadZones() => new()
    {
        // 2^52 as a pfn is an address of 2^64: it wrapped to 0-12 MiB in the scatterlist.
        { new ZoneSpec("Z", 1L << 52, 4096, 4096, Marks), "startPfn" },
        // The last pfn must be an address on 52 bits (x86-64's physical address width).
        { new ZoneSpec("Z", (1L << 40) - 1024, 4096, 4096, Marks), "startPfn" },
        { new ZoneSpec("Z", long.MaxValue - 10, 4096, 4096, Marks), "startPfn" },
        // 2^31 pages took 19 GB of arrays (out of memory); 2^28 + 1 is one page past the bound.
        { new ZoneSpec("Z", 0, 1L << 31, 1L << 31, Marks), "pages" },
        { new ZoneSpec("Z", 0, (1L << 28) + 1, 1024, Marks), "pages" },
        // Watermarks above the zone's size refused every allocation and overflowed the pass's gate.
        { new ZoneSpec("Z", 0, 4096, 4096, new Watermarks(16, 32, long.MaxValue)), "watermarks" },
        { new ZoneSpec("Z", 0, 4096, 4096, new Watermarks(long.MaxValue, long.MaxValue, long.MaxValue)), "watermarks" },
        { new ZoneSpec("Z", 0, 4096, 4096, new Watermarks(16, 32, 4097)), "watermarks" },
    };

    [Theory]
    [MemberData(nameof(BadZones))]
    public void A_zone_out_of_bounds_is_refused_up_front_naming_the_field(ZoneSpec spec, string field)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => PageReporting.ValidateZones([spec]));
        Assert.Contains(field, error.Message);
        Assert.ThrowsAny<ArgumentException>(() => PageReporting.StartAsync(Sys, [spec], name: "bad").GetAwaiter().GetResult());
    }

    [Fact]
    public void A_zone_at_the_bounds_is_accepted_and_its_last_address_fits()
    {
        var spec = new ZoneSpec("Z", (1L << 40) - 4096, 4096, 4096, new Watermarks(4096, 4096, 4096));
        PageReporting.ValidateZones([spec]);
        var area = new Allocator.ZoneFreeArea(spec);
        var list = Scatterlist.FromBlocks([new Block(area.EndPfn - 1024, 10)]);
        Assert.Equal(area.EndPfn - 1024, list.Entries[0].Pfn);
        Assert.Equal((1L << 52) - (1024L << 12), list.Entries[0].Address);
    }

    [Fact]
    public void The_pass_gate_with_the_highest_watermark_and_capacity_does_not_overflow()
    {
        // low = pages (the bound), capacity 1024, order 10: the gate is pages + 2^20, closed for a zone of any size.
        var spec = new ZoneSpec("Z", 0, 1L << 20, 1L << 20, new Watermarks(1L << 20, 1L << 20, 1L << 20));
        var area = new Allocator.ZoneFreeArea(spec);
        Assert.False(Reporting.ZoneReportingWalk.GateIsOpen(area, new Reporting.PassSettings(10, PageReportingSettings.MaxCapacity)));
    }

    public static TheoryData<PageReportingSettings, string> BadSettings() => new()
    {
        { PageReportingSettings.Default with { Delay = TimeSpan.MaxValue }, "page-reporting.delay" },
        { PageReportingSettings.Default with { Delay = TimeSpan.FromDays(1) + TimeSpan.FromTicks(1) }, "page-reporting.delay" },
        { PageReportingSettings.Default with { ReportTimeout = TimeSpan.MaxValue }, "page-reporting.report-timeout" },
        { PageReportingSettings.Default with { ReportTimeout = TimeSpan.FromDays(2) }, "page-reporting.report-timeout" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void A_duration_the_scheduler_cannot_hold_is_refused_naming_the_setting(PageReportingSettings settings, string field)
    {
        var error = Assert.Throws<PageReportingConfigException>(() => settings.Validated());
        Assert.Contains(field, error.Message);
    }

    [Theory]
    [InlineData("page-reporting.delay = 100000d", "page-reporting.delay")]
    [InlineData("page-reporting.report-timeout = 3d", "page-reporting.report-timeout")]
    public void A_HOCON_duration_beyond_the_bound_is_refused(string hocon, string field)
    {
        var error = Assert.Throws<PageReportingConfigException>(() => PageReportingSettings.FromConfig(ConfigurationFactory.ParseString(hocon)));
        Assert.Contains(field, error.Message);
    }

    [Fact]
    public void The_longest_delay_still_waits_on_virtual_time()
    {
        var settings = PageReportingSettings.Default with { Delay = PageReportingSettings.MaxDuration, Capacity = 4 };
        var guest = StartGuest([SmallZone(pages: 16384)], settings);
        var device = CreateTestProbe();
        Register(guest, device.Ref);
        Advance(guest, TimeSpan.FromHours(23));
        device.ExpectNoMsg(TimeSpan.FromMilliseconds(150));
        Advance(guest, TimeSpan.FromHours(1));
        Assert.Equal(4, device.ExpectMsg<Messages.ReportPages>().Pages.Count);
    }

    [Fact]
    public void A_device_timeout_beyond_the_bound_is_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => PageReporting.DeviceProps(new InstantHandler(), TimeSpan.MaxValue));
        Assert.Equal("timeout", error.ParamName);
    }

    [Fact]
    public void A_dispatcher_that_does_not_exist_is_refused_at_once_naming_it()
    {
        var settings = PageReportingSettings.Default with { Dispatcher = "no-such-dispatcher" };
        var started = DateTime.UtcNow;
        var error = Assert.ThrowsAny<ArgumentException>(() => PageReporting.StartAsync(Sys, [SmallZone()], settings, "no-dispatcher").GetAwaiter().GetResult());
        Assert.Contains("no-such-dispatcher", error.Message);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }
}
