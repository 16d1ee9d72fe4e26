using Akka.Actor;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using PageReportingActors.Tests.Actors;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Metrics;

/// <summary>
/// The library's metrics, read with MetricCollector from known runs on virtual time. Every
/// measurement is filtered by the run's own guest tag: other tests' guests may still be stopping.
/// </summary>
public sealed class MetricsTests(ITestOutputHelper output) : ActorTestBase(output)
{
    private const string Meter = PageReportingMetrics.MeterName;
    private const long MiB = 1L << 20;

    /// <summary>One 128 MiB zone, all free: 32 order-10 blocks of 4 MiB, watermarks far below the gate.</summary>
    private static ZoneSpec IdleZone(string name = "Normal") => SmallZone(name, pages: 32768);

    private static IReadOnlyList<CollectedMeasurement<T>> Of<T>(MetricCollector<T> collector, string guest) where T : struct =>
        collector.GetMeasurementSnapshot().Where(m => Equals(m.Tags[PageReportingMetrics.GuestTag], guest)).ToList();

    private PageReportingGuest StartNamed(string guest, IReadOnlyList<ZoneSpec> zones, string name) =>
        PageReporting.StartAsync(Sys, zones, PageReportingSettings.Default with { ReportingOrder = null, GuestName = guest }, name).GetAwaiter().GetResult();

    /// <summary>Runs passes one delay apart until the reporter is Idle; an instant device answers within each.</summary>
    private int RunToIdle(PageReportingGuest guest, TestEvents events)
    {
        var passes = 0;
        do
        {
            Advance(guest, Delay);
            events.NextPass();
            passes++;
        } while (Reporter(guest).State != ReporterState.Idle && passes < 50);
        return passes;
    }

    /// <summary>Waits for PassFinished events so the metrics actor, subscribed before the probe, has seen them.</summary>
    private sealed class TestEvents(MetricsTests test)
    {
        private readonly Akka.TestKit.TestProbe _probe = test.EventsProbe();
        public PassFinished NextPass() => test.ExpectPassFinished(_probe);
    }

    /// <summary>The gauge's values now, by zone and state, for one guest.</summary>
    private static Dictionary<(string Zone, string State), long> Usage(MetricCollector<long> usage, string guest)
    {
        usage.Clear();
        usage.RecordObservableInstruments();
        return Of(usage, guest).ToDictionary(m => ((string)m.Tags[PageReportingMetrics.ZoneTag]!, (string)m.Tags[PageReportingMetrics.StateTag]!), m => m.Value);
    }

    private static void AssertUsage(Dictionary<(string Zone, string State), long> usage, string zone, long free, long reported, long isolated, long pcp)
    {
        Assert.Equal(free, usage[(zone, "free")]);
        Assert.Equal(reported, usage[(zone, "reported")]);
        Assert.Equal(isolated, usage[(zone, "isolated")]);
        Assert.Equal(pcp, usage[(zone, "pcp")]);
    }

    // 32 free order-10 blocks; isolating a block must leave the min watermark (16 pages) free, so the
    // 32nd cannot go: one pass hands one report of 31 blocks, 124 MiB, and finds nothing more.
    [Fact]
    public void Idle_128MiB_guest_with_an_instant_device_counts_one_pass_one_report_of_31_blocks_and_124MiB()
    {
        using var reports = new MetricCollector<long>(null, Meter, PageReportingMetrics.Reports);
        using var failed = new MetricCollector<long>(null, Meter, PageReportingMetrics.ReportsFailed);
        using var reported = new MetricCollector<long>(null, Meter, PageReportingMetrics.MemoryReported);
        using var passes = new MetricCollector<long>(null, Meter, PageReportingMetrics.Passes);
        using var duration = new MetricCollector<double>(null, Meter, PageReportingMetrics.PassDuration);
        using var entries = new MetricCollector<int>(null, Meter, PageReportingMetrics.ReportEntries);
        using var usage = new MetricCollector<long>(null, Meter, PageReportingMetrics.MemoryUsage);

        var guest = StartNamed("idle-a", [IdleZone()], "idle-a");
        AwaitAssert(() => AssertUsage(Usage(usage, "idle-a"), "Normal", free: 128 * MiB, reported: 0, isolated: 0, pcp: 0));
        var events = new TestEvents(this);
        Register(guest, Sys.ActorOf(PageReporting.DeviceProps(new InstantHandler())));
        Assert.Equal(1, RunToIdle(guest, events));
        AwaitCondition(() => Of(passes, "idle-a").Count == 1, TimeSpan.FromSeconds(10));

        var report = Assert.Single(Of(reports, "idle-a"));
        Assert.Equal(1, report.Value);
        Assert.Equal("Normal", report.Tags[PageReportingMetrics.ZoneTag]);
        Assert.Empty(Of(failed, "idle-a"));
        Assert.Equal(124 * MiB, Assert.Single(Of(reported, "idle-a")).Value);
        Assert.Equal(1, Assert.Single(Of(passes, "idle-a")).Value);
        Assert.Equal(31, Assert.Single(Of(entries, "idle-a")).Value);
        // An instant device answers without virtual time passing.
        Assert.Equal(0.0, Assert.Single(Of(duration, "idle-a")).Value);
        Assert.Equal(124 * MiB, Reporter(guest).ReportedBytes);
        AwaitAssert(() => AssertUsage(Usage(usage, "idle-a"), "Normal", free: 4 * MiB, reported: 124 * MiB, isolated: 0, pcp: 0));

        var instruments = new[] { reports.Instrument, failed.Instrument, reported.Instrument, passes.Instrument }
            .Select(i => (i!.Name, i.Unit)).ToList();
        Assert.Equal([(PageReportingMetrics.Reports, "{report}"), (PageReportingMetrics.ReportsFailed, "{report}"),
            (PageReportingMetrics.MemoryReported, "By"), (PageReportingMetrics.Passes, "{pass}")], instruments);
        Assert.Equal("s", duration.Instrument!.Unit);
        Assert.Equal("{block}", entries.Instrument!.Unit);
        Assert.Equal("By", usage.Instrument!.Unit);
    }

    [Fact]
    public void A_failed_report_counts_as_a_report_and_a_failure_and_reports_no_bytes()
    {
        using var reports = new MetricCollector<long>(null, Meter, PageReportingMetrics.Reports);
        using var failed = new MetricCollector<long>(null, Meter, PageReportingMetrics.ReportsFailed);
        using var reported = new MetricCollector<long>(null, Meter, PageReportingMetrics.MemoryReported);
        using var entries = new MetricCollector<int>(null, Meter, PageReportingMetrics.ReportEntries);
        using var usage = new MetricCollector<long>(null, Meter, PageReportingMetrics.MemoryUsage);

        var guest = StartNamed("failing-b", [IdleZone()], "failing-b");
        var events = new TestEvents(this);
        Register(guest, Sys.ActorOf(PageReporting.DeviceProps(new InstantHandler(failing: 1))));
        RunToIdle(guest, events);
        AwaitCondition(() => Of(failed, "failing-b").Count == 1, TimeSpan.FromSeconds(10));

        Assert.Equal(1, Of(reports, "failing-b").Sum(m => m.Value));
        Assert.Equal(1, Assert.Single(Of(failed, "failing-b")).Value);
        Assert.Empty(Of(reported, "failing-b"));
        Assert.Equal(31, Assert.Single(Of(entries, "failing-b")).Value);
        // The batch went back unflagged.
        AwaitAssert(() => AssertUsage(Usage(usage, "failing-b"), "Normal", free: 128 * MiB, reported: 0, isolated: 0, pcp: 0));
    }

    [Fact]
    public void Pass_duration_is_in_seconds_of_the_scheduler_clock_and_the_gauge_shows_the_batch_at_the_device()
    {
        using var duration = new MetricCollector<double>(null, Meter, PageReportingMetrics.PassDuration);
        using var usage = new MetricCollector<long>(null, Meter, PageReportingMetrics.MemoryUsage);
        var guest = StartNamed("slow-c", [IdleZone()], "slow-c");
        var device = CreateTestProbe();
        Register(guest, device.Ref);
        var events = new TestEvents(this);

        Advance(guest, Delay);
        var report = device.ExpectMsg<ReportPages>();
        AwaitAssert(() => AssertUsage(Usage(usage, "slow-c"), "Normal", free: 4 * MiB, reported: 0, isolated: 124 * MiB, pcp: 0));
        Clock.Advance(TimeSpan.FromMilliseconds(1500));
        device.Reply(ReportCompleted.Ok(report.ReportId));
        events.NextPass();

        AwaitCondition(() => Of(duration, "slow-c").Count == 1, TimeSpan.FromSeconds(10));
        Assert.Equal(1.5, Assert.Single(Of(duration, "slow-c")).Value);
    }

    [Fact]
    public void Two_guests_in_one_actor_system_are_told_apart_by_the_guest_tag()
    {
        using var reports = new MetricCollector<long>(null, Meter, PageReportingMetrics.Reports);
        using var passes = new MetricCollector<long>(null, Meter, PageReportingMetrics.Passes);
        using var usage = new MetricCollector<long>(null, Meter, PageReportingMetrics.MemoryUsage);
        var busy = StartNamed("busy-d", [IdleZone()], "busy-d");
        var quiet = StartNamed("quiet-d", [SmallZone("DMA"), SmallZone("DMA32", startPfn: 4096, pages: 8192)], "quiet-d");
        var events = new TestEvents(this);
        Register(busy, Sys.ActorOf(PageReporting.DeviceProps(new InstantHandler())));
        Assert.Equal(1, RunToIdle(busy, events));
        AwaitCondition(() => Of(passes, "busy-d").Count == 1, TimeSpan.FromSeconds(10));

        // The event stream is shared: each guest's metrics actor counts only its own reporter's events.
        Assert.Equal(1, Assert.Single(Of(reports, "busy-d")).Value);
        Assert.Empty(Of(reports, "quiet-d"));
        Assert.Empty(Of(passes, "quiet-d"));
        AwaitAssert(() =>
        {
            var quietUsage = Usage(usage, "quiet-d");
            Assert.Equal(8, quietUsage.Count);
            AssertUsage(quietUsage, "DMA", free: 16 * MiB, reported: 0, isolated: 0, pcp: 0);
            AssertUsage(quietUsage, "DMA32", free: 32 * MiB, reported: 0, isolated: 0, pcp: 0);
        });
        Assert.Equal(4, Usage(usage, "busy-d").Count);
    }

    [Fact]
    public void The_usage_gauge_counts_pages_on_per_CPU_lists_as_pcp()
    {
        using var usage = new MetricCollector<long>(null, Meter, PageReportingMetrics.MemoryUsage);
        var zone = IdleZone() with { Kernel = new ZoneKernelSpec(KernelProfile.Linux6_1, 1, new PerCpuSizing(4, 1024, 1024, 1024)) };
        var guest = StartNamed("pcp-d", [zone], "pcp-d");
        var blocks = AskFor<AllocatedMany>(guest.Zones[0], new AllocateMany(0, 100)).Blocks;
        AskFor<FreedMany>(guest.Zones[0], new FreeMany(blocks));
        var status = Status(guest.Zones[0]);
        // The refill's leftovers and the 100 freed pages sit on the list, below high: none reached the buddy lists.
        Assert.True(status.PerCpuPages >= 100, $"{status.PerCpuPages} pages on the list");
        AwaitAssert(() => AssertUsage(Usage(usage, "pcp-d"), "Normal", free: status.FreePages * 4096, reported: 0, isolated: 0,
            pcp: status.PerCpuPages * 4096));
    }

    [Fact]
    public void Guest_name_defaults_to_guest_and_comes_from_hocon()
    {
        Assert.Equal("guest", PageReportingSettings.Default.GuestName);
        var config = Akka.Configuration.ConfigurationFactory.ParseString("page-reporting.guest-name = vm-17");
        Assert.Equal("vm-17", PageReportingSettings.FromConfig(config).GuestName);
        var empty = Akka.Configuration.ConfigurationFactory.ParseString("page-reporting.guest-name = \"\"");
        var error = Assert.Throws<PageReportingConfigException>(() => PageReportingSettings.FromConfig(empty));
        Assert.Contains("guest-name", error.Message);
    }
}
