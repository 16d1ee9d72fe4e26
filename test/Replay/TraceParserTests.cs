using System.IO.Compression;
using System.Text;
using PageReportingActors.Host.Replay;
using PageReportingActors.Replay;
using Xunit;

namespace PageReportingActors.Tests.Replay;

/// <summary>The ftrace text parser: real lines of each event, other lines, malformed ones, compression.</summary>
public sealed class TraceParserTests
{
    private static TraceEvent ParseOne(string line)
    {
        Assert.Equal(TraceLineKind.Event, TraceLineParser.Parse(Encoding.UTF8.GetBytes(line), 7, out var ev));
        return ev;
    }

    [Fact]
    public void Mm_page_alloc_line_from_the_reference_trace()
    {
        var ev = ParseOne("              dd-145     [000] .....    12.314926: mm_page_alloc: page=000000009acc1ec6 pfn=0xb7d0 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP");
        Assert.Equal(new TraceEvent(TraceEventKind.Alloc, 12_314_926_000, 0, 0xb7d0, 0, 1, false, 7), ev);
    }

    [Fact]
    public void Mm_page_free_line_from_the_reference_trace()
    {
        var ev = ParseOne("            init-1       [000] ...1.    63.460136: mm_page_free: page=00000000cc18e132 pfn=0x1ab2 order=1");
        Assert.Equal(new TraceEvent(TraceEventKind.Free, 63_460_136_000, 0, 0x1ab2, 1, -1, false, 7), ev);
    }

    [Fact]
    public void Mm_page_free_batched_line_from_the_reference_trace()
    {
        var ev = ParseOne("              dd-145     [000] ...2.    12.502843: mm_page_free_batched: page=00000000c1e3b984 pfn=0x5d10 order=0");
        Assert.Equal(new TraceEvent(TraceEventKind.FreeBatched, 12_502_843_000, 0, 0x5d10, 0, -1, false, 7), ev);
    }

    [Fact]
    public void Mm_page_pcpu_drain_line_from_the_reference_trace()
    {
        var ev = ParseOne("            hog2-151     [000] d..3.    22.657807: mm_page_pcpu_drain: page=00000000ba36d0cb pfn=0x27bab order=0 migratetype=1");
        Assert.Equal(new TraceEvent(TraceEventKind.PcpuDrain, 22_657_807_000, 0, 0x27bab, 0, 1, false, 7), ev);
    }

    [Fact]
    public void Mm_page_alloc_zone_locked_line_from_the_reference_trace()
    {
        var ev = ParseOne("            hog2-151     [000] d..3.    12.628585: mm_page_alloc_zone_locked: page=0000000061b14daa pfn=0x16ad order=0 migratetype=1 percpu_refill=1");
        Assert.Equal(new TraceEvent(TraceEventKind.AllocZoneLocked, 12_628_585_000, 0, 0x16ad, 0, 1, true, 7), ev);
        var noRefill = ParseOne("            hog2-151     [002] d..3.    12.628585: mm_page_alloc_zone_locked: page=0000000061b14daa pfn=0x16ae order=1 migratetype=0 percpu_refill=0");
        Assert.False(noRefill.PercpuRefill);
        Assert.Equal(2, noRefill.Cpu);
        Assert.Equal(1, noRefill.Order);
    }

    [Fact]
    public void Task_names_with_spaces_and_brackets_and_lines_without_flags_are_read()
    {
        var ev = ParseOne("  kworker/u8:2 [ev]-4711  [013] ..s1. 1234.5: mm_page_free: page=0000000000000000 pfn=0x10 order=3");
        Assert.Equal((13, 1_234_500_000_000L, 0x10L, 3), (ev.Cpu, ev.TimestampNanos, ev.Pfn, ev.Order));
        var noFlags = ParseOne("           <...>-99    [001]    99.000001234: mm_page_free: page=0 pfn=0x20 order=0");
        Assert.Equal((1, 99_000_001_234L, 0x20L), (noFlags.Cpu, noFlags.TimestampNanos, noFlags.Pfn));
    }

    [Theory]
    [InlineData("# tracer: nop", nameof(TraceLineKind.Other))]
    [InlineData("", nameof(TraceLineKind.Other))]
    [InlineData("CPU:0 [LOST 1234 EVENTS]", nameof(TraceLineKind.Other))]
    [InlineData("##### CPU 1 buffer started ####", nameof(TraceLineKind.Other))]
    [InlineData("            hog2-151     [000] d..3.    22.657807: mm_page_alloc_extfrag: page=0 pfn=0x27bab alloc_order=0", nameof(TraceLineKind.OtherEvent))]
    [InlineData("          <idle>-0       [000] d..2.    22.657807: sched_switch: prev_comm=swapper/0", nameof(TraceLineKind.OtherEvent))]
    [InlineData("              dd-145     [000] .....    12.502660: mm_page_free: page=00000000c1e3b984 pfn=0x5d", nameof(TraceLineKind.Malformed))]
    [InlineData("              dd-145     [000] .....    12.502660: mm_page_free: page=00000000c1e3b984 pfn=0x5d10 order=", nameof(TraceLineKind.Malformed))]
    [InlineData("              dd-145     [000] .....    12.502660: mm_page_alloc: page=0 pfn=0x5d10 order=0 gfp_flags=GFP_KERNEL", nameof(TraceLineKind.Malformed))]
    [InlineData("              dd-145     [000] .....    12.502660: mm_page_pcpu_drain: page=0 pfn=0xzz order=0 migratetype=1", nameof(TraceLineKind.Malformed))]
    [InlineData("              dd-145     [000] .....    12.502660: mm_page_free: page=0 pfn=0x10 order=11", nameof(TraceLineKind.Malformed))]
    [InlineData("              dd-145     [000] .....    12.502660: mm_page_alloc_zone_locked: page=0 pfn=0x10 order=0 migratetype=1", nameof(TraceLineKind.Malformed))]
    [InlineData("              dd-145           .....    12.502660: mm_page_free: page=0 pfn=0x10 order=0", nameof(TraceLineKind.Malformed))]
    [InlineData("              dd-145     [8192] .....    12.502660: mm_page_free: page=0 pfn=0x10 order=0", nameof(TraceLineKind.Malformed))]
    // The kind by name: TraceLineKind is the host's, internal, and a public test method cannot take it.
    public void Other_and_malformed_lines_are_told_apart(string line, string expected) =>
        Assert.Equal(expected, TraceLineParser.Parse(Encoding.UTF8.GetBytes(line), 1, out _).ToString());

    [Fact]
    public void A_reader_counts_what_it_skips_and_a_cut_off_last_line_is_malformed()
    {
        var text = "# tracer: nop\n" +
            ReplayKit.Line(1.0, "mm_page_free: page=0 pfn=0x10 order=0") +
            ReplayKit.Line(1.1, "sched_wakeup: comm=x") +
            ReplayKit.Line(1.2, "mm_page_free: page=0 pfn=0x11 ord") +
            ReplayKit.Line(1.3, "mm_page_pcpu_drain: page=0 pfn=0x10 order=0 migratetype=1") +
            ReplayKit.Line(1.4, "mm_page_pcpu_drain: page=0 pfn=0x12 order=0 migratetype=1").TrimEnd('\n');
        using var reader = ReplayKit.ReaderOf(text);
        var events = new List<TraceEvent>();
        while (reader.TryRead(out var e)) events.Add(e);
        Assert.Equal([0x10L, 0x10L], events.Select(e => e.Pfn));
        Assert.Equal([2L, 5L], events.Select(e => e.Line));
        Assert.Equal((6L, 1L, 1L, 2L, 4L), (reader.Counts.Lines, reader.Counts.OtherLines, reader.Counts.OtherEvents, reader.Counts.Malformed, reader.Counts.FirstMalformedLine));
    }

    [Fact]
    public void A_timestamp_going_back_is_an_error_naming_both_lines()
    {
        var text = ReplayKit.Line(2.0, "mm_page_free: page=0 pfn=0x10 order=0") +
                   ReplayKit.Line(2.0, "mm_page_free: page=0 pfn=0x11 order=0") +
                   ReplayKit.Line(1.5, "mm_page_free: page=0 pfn=0x12 order=0");
        using var reader = ReplayKit.ReaderOf(text);
        Assert.True(reader.TryRead(out _));
        Assert.True(reader.TryRead(out _));
        var error = Assert.Throws<ReplayInputException>(() => reader.TryRead(out _));
        Assert.Contains("line 3", error.Message);
        Assert.Contains("1.500000", error.Message);
        Assert.Contains("2.000000 on line 2", error.Message);
    }

    [Fact]
    public void A_trace_without_any_of_the_five_events_is_an_error()
    {
        using var reader = ReplayKit.ReaderOf("# tracer: nop\n" + ReplayKit.Line(1.0, "sched_switch: prev_comm=a"));
        Assert.False(reader.TryRead(out _));
        var error = Assert.Throws<ReplayInputException>(reader.EnsureHadEvents);
        Assert.Contains("none of the events", error.Message);
        Assert.Contains("2 lines", error.Message);
    }

    [Fact]
    public void Gzip_and_plain_traces_read_the_same()
    {
        var text = ReplayKit.Line(1.0, "mm_page_free: page=0 pfn=0x10 order=0") +
                   ReplayKit.Line(1.5, "mm_page_alloc: page=0 pfn=0x10 order=0 migratetype=1 gfp_flags=GFP_KERNEL");
        var gz = new MemoryStream();
        using (var zip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
            zip.Write(Encoding.UTF8.GetBytes(text));
        gz.Position = 0;
        using var plain = ReplayKit.ReaderOf(text);
        using var zipped = new TraceReader(CompressedInput.Wrap(gz));
        while (plain.TryRead(out var a))
        {
            Assert.True(zipped.TryRead(out var b));
            Assert.Equal(a, b);
        }
        Assert.False(zipped.TryRead(out _));
        Assert.Equal(2, zipped.Counts.TotalEvents);
    }
}
