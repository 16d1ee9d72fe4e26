using System.Globalization;
using System.Text.Json;
using PageReportingActors.Host.Cli;
using Xunit;

namespace PageReportingActors.Tests.Replay;

/// <summary>
/// The <c>replay</c> command on small traces written here: events reach the zone actors on virtual
/// time, events that touch a lent block wait for it, a notification counts from its free's own
/// time, and malformed input is counted and skipped or refused with exit 2, never a crash.
/// </summary>
public sealed class ReplayCommandTests : IDisposable
{
    // One zone of 36,864 pages: the first 4,096 in use, then 32 free blocks of order 10, all of
    // which the first pass (2 s after registering at 0 s) lends to the device in one report for 1 s.
    internal const string Guest = """
        {
          "name": "small traced guest",
          "guest": { "kernel": "6.12", "cpus": 2, "zones": [
            { "name": "Normal", "startPfn": 0, "pages": 36864, "freePages": 32768,
              "watermarks": { "min": 100, "low": 200, "high": 300 }, "pcp": { "high": 500, "batch": 63, "count": 0 } } ] },
          "reporting": { "order": 9, "delay": "2s", "capacity": 32 },
          "device": { "order": null, "latency": "1s", "failReports": [] },
          "workload": [ { "at": "0s", "op": "register" }, { "at": "10s", "op": "stop" } ]
        }
        """;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "replay-cmd-" + Guid.NewGuid().ToString("N"));

    public ReplayCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Line(double t, string e, int cpu = 0) => ReplayKit.Line(t, e, cpu);

    private async Task<(int Code, string Out, string Err)> Replay(string trace, string guest = Guest, params string[] extra)
    {
        var tracePath = Path.Combine(_dir, "trace.txt");
        var guestPath = Path.Combine(_dir, "guest.json");
        File.WriteAllText(tracePath, trace);
        File.WriteAllText(guestPath, guest);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HostProgram.RunAsync(["replay", tracePath, "--guest", guestPath, "--out", Path.Combine(_dir, "out"), "--sample", "1s", .. extra],
            stdout, stderr, interactive: false);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private JsonElement Report() => JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "out", "report.json"))).RootElement;

    [Fact]
    public async Task Events_that_touch_a_lent_block_wait_for_it_and_a_notification_counts_from_its_free()
    {
        var trace =
            // During the first report (2 s to 3 s) the guest takes a page of a lent block.
            Line(2.5, "mm_page_alloc_zone_locked: page=0 pfn=0x1000 order=0 migratetype=1 percpu_refill=0") +
            Line(2.6, "mm_page_alloc: page=0 pfn=0x1000 order=0 migratetype=1 gfp_flags=GFP_KERNEL") +
            // One batch (the clock at 5.05 s) holds a page's trip to a user, its CPU's list and back to the buddy lists at 5.3 s.
            Line(5.05, "mm_page_alloc_zone_locked: page=0 pfn=0x2000 order=0 migratetype=1 percpu_refill=1", cpu: 1) +
            Line(5.06, "mm_page_alloc: page=0 pfn=0x2000 order=0 migratetype=1 gfp_flags=GFP_KERNEL", cpu: 1) +
            Line(5.2, "mm_page_free: page=0 pfn=0x2000 order=0", cpu: 1) +
            Line(5.3, "mm_page_pcpu_drain: page=0 pfn=0x2000 order=0 migratetype=1", cpu: 1);

        var (code, _, err) = await Replay(trace);

        Assert.True(code == 0, err);
        var report = Report();
        var replay = report.GetProperty("replay");
        Assert.Equal(6, replay.GetProperty("applied").GetInt64());
        Assert.Equal(1, replay.GetProperty("waitedForDevice").GetInt64());
        Assert.Equal(1, replay.GetProperty("conflicts").GetProperty("heldByDevice").GetInt64());
        var reports = report.GetProperty("reports").EnumerateArray().Select(r => r.GetProperty("t").GetDouble()).ToList();
        // The first pass at 2 s, then the merged block's pass 2 s after the drain at 5.3 s, not after the batch's 5.05 s.
        Assert.Equal(2.0, reports[0], 6);
        Assert.Equal(7.3, reports[1], 6);
        Assert.Equal(2, reports.Count);
        var rows = File.ReadAllLines(Path.Combine(_dir, "out", "timeline.csv"));
        Assert.Equal("t,freeBytes,pcpBytes,reportedBytes,isolatedBytes,hostResidentBytes,hostFaults,refaults", rows[0]);
        long Resident(int second) => long.Parse(rows[1 + second].Split(',')[5], CultureInfo.InvariantCulture);
        // The page taken while lent becomes resident when its batch came back at 3 s; the other one once its user had it.
        Assert.Equal(4096L * 4096, Resident(2));
        Assert.Equal(4097L * 4096, Resident(3));
        Assert.Equal(4098L * 4096, Resident(6));
        // Reported and discarded again at 8.3 s with its merged block; the page the guest still holds stays.
        Assert.Equal(4097L * 4096, Resident(9));
    }

    [Fact]
    public async Task Bad_lines_unknown_events_and_pfns_outside_the_guest_are_counted_and_skipped()
    {
        var trace =
            "# tracer: nop\n" +
            Line(1.0, "mm_page_alloc_zone_locked: page=0 pfn=0x1000 order=0 migratetype=1 percpu_refill=0") +
            Line(1.1, "kmalloc: call_site=foo ptr=0 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL") +
            Line(1.2, "mm_page_alloc: page=0 pfn=0x100000 order=0 migratetype=1 gfp_flags=GFP_KERNEL") +
            Line(1.3, "mm_page_alloc: page=0 pfn=0x1001 order=1 migratetype=1 gfp_flags=GFP_KERNEL") +
            Line(1.4, "mm_page_alloc: page=0 pfn= order=0 migratetype=1") +
            Line(1.5, "mm_page_alloc: page=0 pfn=0x1000 order=0 migratetype=1 gfp_flags=GFP_KERNEL") +
            Line(1.6, "mm_page_free: page=0 pfn=0x1000 order=0")[..30];

        var (code, _, err) = await Replay(trace);

        Assert.True(code == 0, err);
        var replay = Report().GetProperty("replay");
        var skipped = replay.GetProperty("skippedBy");
        Assert.Equal(1, skipped.GetProperty("otherLines").GetInt64());
        Assert.Equal(1, skipped.GetProperty("otherEvents").GetInt64());
        Assert.Equal(2, skipped.GetProperty("malformed").GetInt64());
        Assert.Equal(6, skipped.GetProperty("firstMalformedLine").GetInt64());
        Assert.Equal(1, skipped.GetProperty("outsideGuest").GetInt64());
        Assert.Equal(1, skipped.GetProperty("misaligned").GetInt64());
        Assert.Equal(6, replay.GetProperty("skipped").GetInt64());
        Assert.Equal(2, replay.GetProperty("applied").GetInt64());
        Assert.Equal(1, replay.GetProperty("events").GetProperty("mm_page_alloc_zone_locked").GetInt64());
        Assert.Equal(3, replay.GetProperty("events").GetProperty("mm_page_alloc").GetInt64());
    }

    [Fact]
    public async Task A_timestamp_that_goes_back_is_refused_with_its_line()
    {
        var trace =
            Line(1.0, "mm_page_alloc_zone_locked: page=0 pfn=0x1000 order=0 migratetype=1 percpu_refill=0") +
            Line(0.5, "mm_page_alloc: page=0 pfn=0x1000 order=0 migratetype=1 gfp_flags=GFP_KERNEL");

        var (code, _, err) = await Replay(trace);

        Assert.Equal(HostProgram.ExitUsage, code);
        Assert.Contains("line 2: timestamp 0.500000 is earlier than 1.000000", err);
        Assert.False(File.Exists(Path.Combine(_dir, "out", "report.json")));
    }

    [Fact]
    public async Task A_trace_with_none_of_the_five_events_is_refused()
    {
        var (code, _, err) = await Replay("# tracer: nop\n" + Line(1.0, "kmalloc: call_site=foo ptr=0 bytes_req=8"));

        Assert.Equal(HostProgram.ExitUsage, code);
        Assert.Contains("none of the events mm_page_alloc", err);
    }

    [Fact]
    public async Task A_snapshot_of_the_wrong_size_is_refused()
    {
        var flags = Path.Combine(_dir, "kpageflags.bin");
        File.WriteAllBytes(flags, new byte[8 * 1000]);

        var (code, _, err) = await Replay(Line(1.0, "mm_page_free: page=0 pfn=0x10 order=0"), Guest, "--kpageflags", flags);

        Assert.Equal(HostProgram.ExitUsage, code);
        Assert.Contains("holds 1000 pfns", err);
        Assert.Contains("end at pfn 36864", err);
    }

    [Fact]
    public async Task A_snapshot_lays_out_the_zone_and_the_host_residency()
    {
        // Pages 4096..36863 free in the snapshot except 8192..8703 (in use when it was read).
        var bytes = new byte[8 * 36864];
        for (var pfn = 4096; pfn < 36864; pfn++)
            if (pfn is < 8192 or >= 8704) bytes[pfn * 8 + 1] = 1 << (10 - 8);
        var flags = Path.Combine(_dir, "kpageflags.bin");
        File.WriteAllBytes(flags, bytes);

        var (code, _, err) = await Replay(Line(9.0, "mm_page_free: page=0 pfn=0x2000 order=9"), Guest, "--kpageflags", flags);

        Assert.True(code == 0, err);
        var report = Report();
        Assert.Equal((4096L + 512) * 4096, report.GetProperty("summary").GetProperty("hostResidentStartBytes").GetInt64());
        var first = report.GetProperty("timeline")[0];
        Assert.Equal((32768L - 512) * 4096, first.GetProperty("freeBytes").GetInt64());
        Assert.True(report.GetProperty("replay").GetProperty("fromSnapshot").GetBoolean());
    }

    [Fact]
    public async Task Missing_files_and_a_guest_with_workload_steps_are_refused()
    {
        var missing = await HostProgram.RunAsync(["replay", Path.Combine(_dir, "nope.txt"), "--guest", "g.json"], new StringWriter(), new StringWriter(), interactive: false);
        Assert.Equal(HostProgram.ExitUsage, missing);

        var guest = Guest.Replace("""{ "at": "10s", "op": "stop" }""", """{ "at": "1s", "op": "allocate", "id": "a", "size": "4KiB" }, { "at": "10s", "op": "stop" }""");
        var (code, _, err) = await Replay(Line(1.0, "mm_page_free: page=0 pfn=0x10 order=0"), guest);
        Assert.Equal(HostProgram.ExitUsage, code);
        Assert.Contains("workload[1].op", err);
        Assert.Contains("\"allocate\" is not allowed", err);
    }
}
