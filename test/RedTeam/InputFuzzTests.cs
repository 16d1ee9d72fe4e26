using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Fleet;
using PageReportingActors.Host.Scenarios;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.RedTeam;

/// <summary>
/// Fuzzed input files for <c>replay</c> (traces cut, corrupted, with long lines and contradictory
/// events, plain and gzip, and damaged snapshots) and <c>fleet</c> (fleet files with fields broken,
/// doubled, out of bounds, and scenarios that are not files). Every input ends in exit 0 with the
/// whole set of outputs, or exit 2 with one line naming the problem and nothing written: never
/// exit 1, never a stack trace. Bounded iteration counts (REDTEAM_INPUTS scales them).
/// </summary>
public sealed class InputFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("input-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static int Scaled(int n) =>
        int.TryParse(Environment.GetEnvironmentVariable("REDTEAM_INPUTS"), out var scale) && scale > 0 ? n * scale : n;

    // One zone of 144 MiB, 128 MiB of it free, with per-CPU lists: pfns 0x0..0x9000.
    private const string Guest = """
        {
          "name": "fuzzed traced guest",
          "guest": { "kernel": "6.12", "cpus": 2, "zones": [
            { "name": "Normal", "startPfn": 0, "pages": 36864, "freePages": 32768,
              "watermarks": { "min": 100, "low": 200, "high": 300 }, "pcp": { "high": 500, "batch": 63, "count": 0 } } ] },
          "reporting": { "order": 5, "delay": "2s", "capacity": 32 },
          "device": { "order": null, "latency": "1ms", "failReports": [] },
          "workload": [ { "at": "0s", "op": "register" }, { "at": "20s", "op": "stop" } ]
        }
        """;

    private static string Line(double seconds, string eventAndFields, int cpu = 0) =>
        string.Create(CultureInfo.InvariantCulture, $"{"hog-151",16}     [{cpu:000}] d..3. {seconds,12:0.000000}: {eventAndFields}\n");

    /// <summary>
    /// A trace of the five kmem events that contradicts itself on purpose: frees of pages never
    /// allocated, double frees, allocations of pages taken, events out of time order, pfns outside
    /// the guest, orders and migratetypes out of range.
    /// </summary>
    private static string Trace(Random r, int events)
    {
        var text = new StringBuilder("# tracer: nop\n#\n");
        var t = 1.0;
        var taken = new List<long>();
        var backwards = r.Next(4) == 0;
        for (var i = 0; i < events; i++)
        {
            t += backwards && r.Next(100) == 0 ? -r.NextDouble() : r.NextDouble() * 0.01;
            var pfn = r.Next(20) == 0 ? r.NextInt64(0, long.MaxValue) : r.Next(0x1000, 0x9000);
            var order = r.Next(30) == 0 ? r.Next(-3, 70) : r.Next(10) == 0 ? r.Next(1, 11) : 0;
            var type = r.Next(30) == 0 ? r.Next(-2, 300) : r.Next(3);
            var cpu = r.Next(40) == 0 ? r.Next(2, 5000) : r.Next(2);
            string e;
            switch (r.Next(8))
            {
                case 0 or 1 or 2:
                    taken.Add(pfn);
                    e = $"mm_page_alloc: page=0 pfn=0x{pfn:x} order={order} migratetype={type} gfp_flags=GFP_KERNEL";
                    break;
                case 3 or 4:
                    // A page taken before (maybe freed already), or one never taken.
                    var freed = taken.Count > 0 && r.Next(3) != 0 ? taken[r.Next(taken.Count)] : pfn;
                    e = $"mm_page_free: page=0 pfn=0x{freed:x} order={order}";
                    break;
                case 5:
                    e = $"mm_page_free_batched: page=0 pfn=0x{pfn:x} order=0";
                    break;
                case 6:
                    e = $"mm_page_alloc_zone_locked: page=0 pfn=0x{pfn:x} order={order} migratetype={type} percpu_refill={r.Next(2)}";
                    break;
                default:
                    e = $"mm_page_pcpu_drain: page=0 pfn=0x{pfn:x} order={order} migratetype={type}";
                    break;
            }
            text.Append(Line(t, e, cpu));
        }
        return text.ToString();
    }

    /// <summary>The bytes, damaged one of several ways, and what was done (for the failure message).</summary>
    private static (byte[] Bytes, string What) Damage(Random r, byte[] bytes)
    {
        switch (r.Next(9))
        {
            case 0:
                return (bytes, "whole");
            case 1:
                var cut = r.Next(bytes.Length + 1);
                return (bytes[..cut], $"cut at {cut}");
            case 2:
                var flipped = (byte[])bytes.Clone();
                var n = r.Next(1, 20);
                for (var i = 0; i < n && flipped.Length > 0; i++) flipped[r.Next(flipped.Length)] = (byte)r.Next(256);
                return (flipped, $"{n} bytes changed");
            case 3:
                var length = r.Next(2) == 0 ? r.Next(4000, 5000) : r.Next(100_000, 300_000);
                return (Insert(r, bytes, Encoding.ASCII.GetBytes(Line(5, "mm_page_alloc: pfn=0x1000 " + new string('x', length)))), $"a line of {length} bytes");
            case 4:
                var garbage = new byte[r.Next(1, 300)];
                r.NextBytes(garbage);
                return (Insert(r, bytes, garbage), $"{garbage.Length} random bytes");
            case 5:
                string[] extremes =
                [
                    "mm_page_alloc: page=0 pfn=0xffffffffffffffff order=0 migratetype=1 gfp_flags=X",
                    "mm_page_alloc: page=0 pfn=0x1fffffffffffffffffff order=0 migratetype=1 gfp_flags=X",
                    "mm_page_free: page=0 pfn=0x2000 order=2147483648",
                    "mm_page_free: page=0 pfn=0x2000 order=-2147483649",
                    "mm_page_alloc_zone_locked: page=0 pfn=0x2000 order=0 migratetype=99999999999 percpu_refill=7",
                    "mm_page_free: page=0 pfn= order=",
                    "mm_page_free:",
                    "mm_page_",
                ];
                var extreme = extremes[r.Next(extremes.Length)];
                double[] times = [0, -1, 1e300, 99999999999.999999, 5e-324, 18446744073.709551615];
                var at = times[r.Next(times.Length)];
                var line = r.Next(2) == 0
                    ? Line(at, extreme)
                    : string.Create(CultureInfo.InvariantCulture, $"{"x",16}     [{r.Next()}] d..3. {at:R}: {extreme}\n");
                // In time order: early ones before the first event (at 1 s), late ones after the last.
                var placed = at < 1 ? Insert(bytes, FirstEvent(bytes), Encoding.ASCII.GetBytes(line)) : [.. bytes, .. Encoding.ASCII.GetBytes(line)];
                return (placed, $"the line {line.TrimEnd()}");
            case 6:
                return (Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(bytes).Replace("\n", "\r\n")), "CRLF");
            case 7:
                return ([], "empty");
            default:
                var twice = new byte[bytes.Length * 2];
                bytes.CopyTo(twice, 0);
                bytes.CopyTo(twice, bytes.Length);
                return (twice, "every event twice, the second time earlier");
        }
    }

    /// <summary>Inserts at a line start, so the rest of the file still parses.</summary>
    private static byte[] Insert(Random r, byte[] bytes, byte[] inserted)
    {
        var at = bytes.Length == 0 ? 0 : Array.IndexOf(bytes, (byte)'\n', r.Next(bytes.Length)) + 1;
        return Insert(bytes, at <= 0 ? bytes.Length : at, inserted);
    }

    private static byte[] Insert(byte[] bytes, int at, byte[] inserted) => [.. bytes[..at], .. inserted, .. bytes[at..]];

    /// <summary>Where the first line that is not a comment starts.</summary>
    private static int FirstEvent(byte[] bytes)
    {
        var at = 0;
        while (at < bytes.Length && bytes[at] == (byte)'#')
        {
            var end = Array.IndexOf(bytes, (byte)'\n', at);
            at = end < 0 ? bytes.Length : end + 1;
        }
        return at;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(bytes);
        return buffer.ToArray();
    }

    /// <summary>What a run of the host gave; <paramref name="outDir"/> holds what it wrote.</summary>
    private static void AssertExit0or2(int code, string stderr, string outDir, string[] outputs, string what)
    {
        // A run that takes more than two seconds shows its progress on stderr first.
        stderr = string.Concat(stderr.Split('\n').Where(l => !l.StartsWith("progress: ", StringComparison.Ordinal)).Select(l => l + "\n")).TrimEnd('\n');
        if (stderr.Length > 0) stderr += "\n";
        Assert.True(code is 0 or 2, $"{what}: exit {code}: {stderr}");
        var written = Directory.Exists(outDir) ? Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName).Order().ToArray() : [];
        if (code == 0)
        {
            Assert.True(stderr.Length == 0, $"{what}: exit 0 with {stderr}");
            Assert.Equal(outputs.Order(), written);
            return;
        }
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"{what}: {lines.Length} lines: {stderr}");
        Assert.False(stderr.Contains("   at ", StringComparison.Ordinal) || stderr.Contains("Exception", StringComparison.Ordinal), $"{what}: {stderr}");
        Assert.True(written.Length == 0, $"{what}: exit 2 and wrote {string.Join(", ", written)}");
    }

    private static readonly string[] RunOutputs = ["report.html", "report.json", "timeline.csv", "timeline.png"];

    [Fact]
    public async Task Fuzzed_traces_and_snapshots_end_in_exit_0_or_2_with_one_line_and_no_partial_output()
    {
        var random = new Random(18);
        var guest = Path.Combine(_dir, "guest.json");
        File.WriteAllText(guest, Guest);
        var clock = Stopwatch.StartNew();
        var codes = new int[3];
        for (var i = 0; i < Scaled(16); i++)
        {
            var (bytes, what) = Damage(random, Encoding.ASCII.GetBytes(Trace(random, random.Next(0, 3000))));
            var gzip = random.Next(3) == 0;
            if (gzip)
            {
                var (packed, damage) = random.Next(2) == 0 ? (Gzip(bytes), "whole") : Damage(random, Gzip(bytes));
                bytes = packed;
                what += $", gzip {damage}";
            }
            var trace = Path.Combine(_dir, $"trace-{i}.txt" + (gzip ? ".gz" : ""));
            File.WriteAllBytes(trace, bytes);
            string[] extra = [];
            if (random.Next(4) == 0)
            {
                // A snapshot of 8 bytes a pfn: short, long, random flags, or cut gzip.
                var snapshot = new byte[8 * (random.Next(3) == 0 ? random.Next(30000, 40000) : 36864) + (random.Next(4) == 0 ? random.Next(1, 8) : 0)];
                random.NextBytes(snapshot);
                var snapshotGzip = random.Next(2) == 0;
                var name = Path.Combine(_dir, $"kpageflags-{i}.bin" + (snapshotGzip ? ".gz" : ""));
                File.WriteAllBytes(name, snapshotGzip ? random.Next(2) == 0 ? Gzip(snapshot) : Damage(random, Gzip(snapshot)).Bytes : snapshot);
                extra = ["--kpageflags", name];
                what += $", snapshot of {snapshot.Length} bytes{(snapshotGzip ? " gzip" : "")}";
            }
            var outDir = Path.Combine(_dir, $"out-{i}");
            var stderr = new StringWriter();
            var code = await HostProgram.RunAsync(["replay", trace, "--guest", guest, "--out", outDir, "--sample", "1s", .. extra],
                new StringWriter(), stderr, interactive: false);
            AssertExit0or2(code, stderr.ToString(), outDir, RunOutputs, $"trace {i} ({what})");
            codes[code]++;
        }
        output.WriteLine($"{codes[0]} replayed, {codes[2]} refused in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(codes[0] > 0 && codes[2] > 0, "the fuzz gives both outcomes");
    }

    private static readonly string[] FleetTemplates =
    [
        """{ "name": "f", "seed": 3, "duration": "30s", "sample": "1s", "hostMemory": "4GiB", "guests": [ { "scenario": "default", "count": 2, "stagger": "1s" } ] }""",
        """{ "name": "inline", "duration": "10min", "guests": [ { "scenario": { "name": "s", "guest": { "memory": "1GiB" }, "workload": [ { "at": "0s", "op": "register" }, { "at": "1s", "op": "allocate", "id": "a", "size": "64MiB", "order": 0 } ] } } ] }""",
        """{ "name": "files", "duration": "1min", "sample": "500ms", "guests": [ { "scenario": "s.json", "count": 3 }, { "scenario": "churn-10min", "count": 1, "stagger": "2s" } ] }""",
    ];

    private static readonly string[] Values =
    [
        "0", "-1", "1e309", "1e2", "100.0", "-0", "2147483648", "9223372036854775808", "100001", "null", "true", "[]", "{}",
        "\"\"", "\"\\ud800\"", "\"a\\nb\"", "\"8d\"", "\"1000000d\"", "\"0s\"", "\"-5s\"", "\"1ms\"", "\"12XB\"", "\"256TiB\"",
        "\"/dev/zero\"", "\"/proc/self/status\"", "\".\"", "\"..\"", "\"missing.json\"", "\"/\"", "\"s.json/\"",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    ];

    private static readonly string[] Fields = ["name", "seed", "duration", "sample", "hostMemory", "guests", "scenario", "count", "stagger", "memory", "at", "size"];

    /// <summary>A fleet file broken one of several ways.</summary>
    private static (string Text, string What) BreakFleet(Random r, string json)
    {
        switch (r.Next(6))
        {
            case 0:
                var cut = r.Next(json.Length);
                return (json[..cut], $"cut at {cut}");
            case 1:
                var chars = json.ToCharArray();
                var at = r.Next(chars.Length);
                chars[at] = "{}[]\":,0 \\\u0000\u00e9\u2028"[r.Next(13)];
                return (new string(chars), $"char {at} changed");
            case 2 or 3:
                // A field's value replaced.
                var field = Fields[r.Next(Fields.Length)];
                var key = $"\"{field}\": ";
                var start = json.IndexOf(key, StringComparison.Ordinal);
                if (start < 0) return (json, "whole");
                var valueStart = start + key.Length;
                var valueEnd = ValueEnd(json, valueStart);
                var value = Values[r.Next(Values.Length)];
                return (json[..valueStart] + value + json[valueEnd..], $"{field} = {value}");
            case 4:
                // A field given twice.
                var f = Fields[r.Next(Fields.Length)];
                var k = $"\"{f}\": ";
                var s = json.IndexOf(k, StringComparison.Ordinal);
                if (s < 0) return (json, "whole");
                var e = ValueEnd(json, s + k.Length);
                return (json[..e] + ", " + json[s..e] + json[e..], $"{f} twice");
            default:
                return (json, "whole");
        }
    }

    /// <summary>Where the JSON value starting at <paramref name="start"/> ends (a string, or up to the next comma or closing bracket at its depth).</summary>
    private static int ValueEnd(string json, int start)
    {
        var depth = 0;
        var inString = false;
        for (var i = start; i < json.Length; i++)
        {
            var c = json[i];
            if (inString)
            {
                if (c == '\\') i++;
                else if (c == '"')
                {
                    inString = false;
                    if (depth == 0) return i + 1;
                }
                continue;
            }
            switch (c)
            {
                case '"': inString = true; break;
                case '{' or '[': depth++; break;
                case '}' or ']':
                    if (depth == 0) return i;
                    depth--;
                    if (depth == 0) return i + 1;
                    break;
                case ',' when depth == 0: return i;
            }
        }
        return json.Length;
    }

    /// <summary>
    /// What <c>fleet</c> does with its file before anything runs, in process: the file parses, or is
    /// refused with the exceptions the host turns into exit 2 and one line. Fleets that parse are not
    /// run here (a fuzzed count or duration may be days of work); a few are run by the host below.
    /// </summary>
    [Fact]
    public void Fuzzed_fleet_files_parse_or_are_refused_with_one_line_naming_the_field()
    {
        var random = new Random(18);
        File.WriteAllText(Path.Combine(_dir, "s.json"), BuiltInScenarios.GetJson("default"));
        int parsed = 0, refused = 0;
        for (var i = 0; i < Scaled(400); i++)
        {
            var (text, what) = BreakFleet(random, FleetTemplates[random.Next(FleetTemplates.Length)]);
            if (random.Next(4) == 0) (text, what) = (BreakFleet(random, text).Text, what + " and more");
            var path = Path.Combine(_dir, "fleet.json");
            var bytes = Encoding.UTF8.GetBytes(text);
            if (random.Next(10) == 0)
            {
                // Bytes that are not UTF-8: a lone continuation byte, an overlong NUL, a byte order mark of UTF-16.
                byte[][] bad = [[0x80], [0xc0, 0x80], [0xff, 0xfe], [0xed, 0xa0, 0x80]];
                var at = random.Next(bytes.Length + 1);
                bytes = [.. bytes[..at], .. bad[random.Next(bad.Length)], .. bytes[at..]];
                what += $", bytes that are not UTF-8 at {at}";
            }
            File.WriteAllBytes(path, bytes);
            try
            {
                FleetParser.ParseFile(path);
                parsed++;
            }
            catch (Exception e) when (e is ScenarioException or UsageException)
            {
                var line = JsonInput.OneLine(e.Message);
                Assert.True(line.Length > 0 && !line.Contains('\n'), $"{what}: {e.Message}");
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"fleet file {i} ({what}): {e.GetType().Name}: {e.Message} (exit 1)\n{text}");
            }
        }
        output.WriteLine($"{parsed} parsed, {refused} refused");
        Assert.True(parsed > 0 && refused > 0, "the fuzz gives both outcomes");
    }

    /// <summary>The host as a process, on a few broken inputs: the same exit codes and one line as in process.</summary>
    [Fact]
    public async Task The_host_process_refuses_broken_inputs_with_exit_2_and_one_line()
    {
        var random = new Random(7);
        var guest = Path.Combine(_dir, "guest.json");
        File.WriteAllText(guest, Guest);
        var whole = Gzip(Encoding.ASCII.GetBytes(Trace(random, 2000)));
        var cutGzip = Path.Combine(_dir, "cut.txt.gz");
        File.WriteAllBytes(cutGzip, whole[..(whole.Length * 2 / 3)]);
        var doubled = Path.Combine(_dir, "fleet.json");
        File.WriteAllText(doubled, """{ "name": "f", "duration": "30s", "duration": "7d", "guests": [ { "scenario": "default" } ] }""");

        foreach (var args in new[]
                 {
                     new[] { "replay", cutGzip, "--guest", guest, "--out", Path.Combine(_dir, "o1") },
                     ["fleet", doubled, "--out", Path.Combine(_dir, "o2")],
                 })
        {
            var (code, stderr) = await HostAsync(args);
            output.WriteLine($"{string.Join(' ', args.Take(2))}: exit {code}: {stderr.TrimEnd()}");
            AssertExit0or2(code, stderr, args[^1], [], string.Join(' ', args));
            Assert.Equal(2, code);
        }
    }

    private static async Task<(int Code, string Stderr)> HostAsync(string[] args)
    {
        var host = Path.Combine(AppContext.BaseDirectory, "PageReportingActors.Host.dll");
        var dotnet = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { host }.Concat(args)) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        await stdout;
        return (process.ExitCode, await stderr);
    }
}
