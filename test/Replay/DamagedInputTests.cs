using System.IO.Compression;
using System.Text;
using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Replay;
using PageReportingActors.Replay;
using Xunit;

namespace PageReportingActors.Tests.Replay;

/// <summary>
/// A damaged trace or snapshot is refused before anything is written: a gzip file cut short (which
/// GZipStream would end quietly) and corrupt gzip or xz data exit 2 with one line naming the file,
/// and a line longer than <see cref="TraceReader.MaxLineBytes"/> is counted malformed in bounded memory.
/// </summary>
public sealed class DamagedInputTests : IDisposable
{
    private const string Guest = """
        {
          "name": "small traced guest",
          "guest": { "kernel": "6.12", "cpus": 1, "zones": [
            { "name": "Normal", "startPfn": 0, "pages": 36864, "freePages": 32768,
              "watermarks": { "min": 100, "low": 200, "high": 300 }, "pcp": { "high": 500, "batch": 63, "count": 0 } } ] },
          "reporting": { "order": 9, "delay": "2s", "capacity": 32 },
          "device": { "order": null, "latency": "1ms", "failReports": [] },
          "workload": [ { "at": "0s", "op": "register" }, { "at": "10s", "op": "stop" } ]
        }
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("damaged-input-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string OutDir => Path.Combine(_dir, "out");

    /// <summary>2,000 pages taken and given back one by one from 1 s: 4,000 events, about 400 KB of text.</summary>
    private static string Trace()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 2000; i++)
        {
            var pfn = 0x1000 + i;
            text.Append(ReplayKit.Line(1 + i * 1e-4, $"mm_page_alloc: page=0 pfn=0x{pfn:x} order=0 migratetype=1 gfp_flags=GFP_KERNEL"));
            text.Append(ReplayKit.Line(1 + i * 1e-4 + 5e-5, $"mm_page_free: page=0 pfn=0x{pfn:x} order=0"));
        }
        return text.ToString();
    }

    private static byte[] Gzip(string text)
    {
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(Encoding.ASCII.GetBytes(text));
        return buffer.ToArray();
    }

    private async Task<(int Code, string Err)> Replay(string tracePath, params string[] extra)
    {
        var guestPath = Path.Combine(_dir, "guest.json");
        File.WriteAllText(guestPath, Guest);
        var stderr = new StringWriter();
        var code = await HostProgram.RunAsync(["replay", tracePath, "--guest", guestPath, "--out", OutDir, "--sample", "1s", .. extra],
            new StringWriter(), stderr, interactive: false);
        return (code, stderr.ToString());
    }

    [Fact]
    public async Task A_whole_gzip_trace_replays_all_its_events()
    {
        var path = Path.Combine(_dir, "trace.txt.gz");
        File.WriteAllBytes(path, Gzip(Trace()));
        var (code, err) = await Replay(path);
        Assert.True(code == 0, err);
        Assert.True(File.Exists(Path.Combine(OutDir, "report.json")));
    }

    [Fact]
    public async Task A_gzip_trace_cut_in_half_exits_2_naming_the_file_and_writes_nothing()
    {
        var whole = Gzip(Trace());
        var path = Path.Combine(_dir, "trace.txt.gz");
        File.WriteAllBytes(path, whole[..(whole.Length / 2)]);

        var (code, err) = await Replay(path);

        Assert.Equal(2, code);
        Assert.Contains("trace.txt.gz", err);
        Assert.Contains("cut short", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(Directory.Exists(OutDir) && Directory.EnumerateFileSystemEntries(OutDir).Any(), "nothing written");
    }

    [Fact]
    public async Task A_corrupt_gzip_trace_exits_2_with_one_line_naming_the_file()
    {
        var bytes = Gzip(Trace());
        // The deflate data's first bytes after the 10-byte header: a block type of 3 is invalid.
        for (var i = 10; i < 40; i++) bytes[i] = 0xff;
        var path = Path.Combine(_dir, "trace.txt.gz");
        File.WriteAllBytes(path, bytes);

        var (code, err) = await Replay(path);

        Assert.Equal(2, code);
        Assert.StartsWith("trace.txt.gz: not valid gzip data", err.Trim().Split('\n')[0].Replace("error: ", ""));
        Assert.False(File.Exists(Path.Combine(OutDir, "report.json")));
    }

    [Fact]
    public async Task A_corrupt_xz_snapshot_exits_2_with_one_line_naming_the_file()
    {
        var trace = Path.Combine(_dir, "trace.txt");
        File.WriteAllText(trace, Trace());
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", "replay", "kpageflags.bin.xz"));
        for (var i = bytes.Length / 2; i < bytes.Length / 2 + 64; i++) bytes[i] ^= 0x5a;
        var snapshot = Path.Combine(_dir, "kpageflags.bin.xz");
        File.WriteAllBytes(snapshot, bytes);

        var (code, err) = await Replay(trace, "--kpageflags", snapshot);

        Assert.Equal(2, code);
        Assert.Contains("kpageflags.bin.xz", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(OutDir, "report.json")));
    }

    [Fact]
    public void A_line_of_64_MiB_is_one_malformed_line_and_the_reader_keeps_its_buffer()
    {
        string Events(double t) => ReplayKit.Line(t, "mm_page_alloc: page=0 pfn=0x1000 order=0 migratetype=1 gfp_flags=GFP_KERNEL")
                                   + ReplayKit.Line(t + 0.1, "mm_page_free: page=0 pfn=0x1000 order=0");
        using var stream = new ConcatenatedStream(Encoding.ASCII.GetBytes(Events(1.0)), 64L << 20, Encoding.ASCII.GetBytes("\n" + Events(2.0)));
        using var reader = new TraceReader(stream);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var read = 0;
        while (reader.TryRead(out _)) read++;

        Assert.Equal(4, read);
        Assert.Equal(1, reader.Counts.Malformed);
        Assert.Equal(3, reader.Counts.FirstMalformedLine);
        // Bounded: far less than the line itself (64 MiB), whatever the reader needed.
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 4L << 20);
    }

    /// <summary>A head, then <c>fill</c> bytes of 'x' made up as they are read, then a tail.</summary>
    private sealed class ConcatenatedStream(byte[] head, long fill, byte[] tail) : Stream
    {
        private long _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var total = head.Length + fill + tail.Length;
            var n = (int)Math.Min(count, total - _position);
            for (var i = 0; i < n; i++, _position++)
                buffer[offset + i] = _position < head.Length ? head[_position]
                    : _position < head.Length + fill ? (byte)'x' : tail[_position - head.Length - fill];
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
