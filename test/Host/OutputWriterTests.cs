using System.Buffers.Binary;
using System.Text.Json;
using PageReportingActors.Host.Output;
using PageReportingActors.Host.Simulation;
using Xunit;

namespace PageReportingActors.Tests.Host;

public class OutputWriterTests
{
    private static string[] Names(JsonElement o) => o.EnumerateObject().Select(p => p.Name).ToArray();

    [Fact]
    public void Report_json_has_the_contract_field_names_with_the_summary_first()
    {
        using var doc = JsonDocument.Parse(ReportJsonWriter.ToJson(FakeRuns.Result()));
        var root = doc.RootElement;
        Assert.Equal(["scenario", "seed", "summary", "settings", "reports", "passes", "timeline", "shortfalls", "warnings", "cost"], Names(root));
        Assert.Equal("1 GiB guest frees 512 MiB", root.GetProperty("scenario").GetString());
        Assert.Equal(1, root.GetProperty("seed").GetInt32());
        Assert.Equal(["reportingOrder", "delaySeconds", "capacity"], Names(root.GetProperty("settings")));

        var report = root.GetProperty("reports")[0];
        Assert.Equal(["t", "zone", "entries", "pages", "bytes", "orders", "ok"], Names(report));
        Assert.Equal(32, report.GetProperty("orders").GetProperty("10").GetInt32());
        Assert.True(report.GetProperty("ok").GetBoolean());
        Assert.False(root.GetProperty("reports")[1].GetProperty("ok").GetBoolean());

        Assert.Equal(["start", "end", "reports", "reportedBytes"], Names(root.GetProperty("passes")[0]));
        Assert.Equal(["t", "freeBytes", "pcpBytes", "reportedBytes", "isolatedBytes", "hostResidentBytes", "hostFaults", "refaults"],
            Names(root.GetProperty("timeline")[0]));
        Assert.Equal(0, root.GetProperty("timeline")[99].GetProperty("hostFaults").GetInt64());
        Assert.Equal(131_072, root.GetProperty("timeline")[100].GetProperty("hostFaults").GetInt64());
        Assert.Equal(60_000, root.GetProperty("timeline")[100].GetProperty("refaults").GetInt64());
        Assert.Equal(351, root.GetProperty("timeline").GetArrayLength());
        Assert.Equal(["t", "id", "requestedBytes", "allocatedBytes", "reason"], Names(root.GetProperty("shortfalls")[0]));
        Assert.Equal(
            ["reportCalls", "failedReports", "reportedBytes", "passes", "virtualSeconds", "wallSeconds",
             "hostResidentStartBytes", "hostResidentPeakBytes", "hostResidentEndBytes"],
            Names(root.GetProperty("summary")));
        Assert.Equal(1_600_000_000, root.GetProperty("summary").GetProperty("hostResidentPeakBytes").GetInt64());

        var cost = root.GetProperty("cost");
        Assert.Equal(
            ["backing", "discard", "hostPageBytes", "reportCalls", "entries", "discardedBytes", "ignoredEntries", "ignoredBytes",
             "hostFaults", "refaults", "refaultBytes", "splitFrames", "hostCpuSeconds", "unitCosts"],
            Names(cost));
        Assert.Equal("4KiB", cost.GetProperty("backing").GetString());
        Assert.Equal(245_760_000, cost.GetProperty("refaultBytes").GetInt64());
        Assert.Equal(0.5, cost.GetProperty("hostCpuSeconds").GetDouble());
        Assert.Equal(["source", "fault4KiBSeconds", "faultHuge2MiBSeconds", "discard128KiBSeconds", "discard2MiBSeconds"],
            Names(cost.GetProperty("unitCosts")));
        Assert.Equal(3.2e-6, cost.GetProperty("unitCosts").GetProperty("fault4KiBSeconds").GetDouble());
    }

    [Fact]
    public void Report_json_numbers_are_invariant_and_rounded_to_microseconds()
    {
        var json = ReportJsonWriter.ToJson(FakeRuns.Result());
        Assert.Contains("\"t\": 17.0,", json);
        Assert.Contains("\"t\": 17.001,", json);
        Assert.Contains("\"end\": 17.002,", json);
        Assert.Contains("\"delaySeconds\": 2.0,", json);
        Assert.Contains("\"wallSeconds\": 0.4123,", json);
        // Orders in ascending order whatever the dictionary's order.
        Assert.Matches("\"orders\": \\{\\s*\"9\": 2,\\s*\"10\": 1\\s*\\}", json);
        Assert.Equal(json, ReportJsonWriter.ToJson(FakeRuns.Result()));
    }

    [Theory]
    [InlineData(0.0, "0.0")]
    [InlineData(17.0, "17.0")]
    [InlineData(17.002, "17.002")]
    [InlineData(17.0020000004, "17.002")]
    [InlineData(0.1 + 0.2, "0.3")]
    [InlineData(35.0000005, "35.000001")]
    [InlineData(1234567.25, "1234567.25")]
    public void Seconds_format(double seconds, string text) => Assert.Equal(text, ReportJsonWriter.FormatSeconds(seconds));

    [Fact]
    public void Negative_zero_and_tiny_negatives_are_plain_zero()
    {
        Assert.Equal("0.0", ReportJsonWriter.FormatSeconds(-0.0));
        Assert.Equal("0.0", ReportJsonWriter.FormatSeconds(-1e-9));
    }

    [Fact]
    public void Timeline_csv_has_the_header_and_invariant_rows()
    {
        var writer = new StringWriter();
        TimelineCsvWriter.Write(
            [new TimelineRow(0, 1, 2, 3, 4) { PcpBytes = 9 }, new TimelineRow(17.0015, 10, 20, 30, 40) { PcpBytes = 90, Host = FakeRuns.Host(40) with { HostFaults = 7, Refaults = 3 } },
             new TimelineRow(600.1, 5, 6, 7, 8)], writer);
        Assert.Equal(
            "t,freeBytes,pcpBytes,reportedBytes,isolatedBytes,hostResidentBytes,hostFaults,refaults\n0.000,1,9,2,3,4,0,0\n17.002,10,90,20,30,40,7,3\n600.100,5,0,6,7,8,0,0\n",
            writer.ToString());
    }

    [Fact]
    public void Writes_all_four_files_and_a_1100x500_png()
    {
        var dir = Path.Combine(Path.GetTempPath(), "host-output-" + Guid.NewGuid().ToString("N"));
        try
        {
            var files = RunOutput.WriteAll(FakeRuns.Result(), dir);
            Assert.True(File.Exists(files.ReportJson));
            Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(files.ReportHtml));
            Assert.StartsWith(TimelineCsvWriter.Header + "\n", File.ReadAllText(files.TimelineCsv));
            var png = File.ReadAllBytes(files.TimelinePng);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
            // IHDR: width and height, big-endian, right after the signature and chunk header; the
            // legend takes the right-hand 100 pixels, outside the data.
            Assert.Equal(1100, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)));
            Assert.Equal(500, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4)));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_stop_while_the_last_file_is_written_leaves_the_old_set()
    {
        var dir = Directory.CreateTempSubdirectory("host-output-stop-").FullName;
        try
        {
            var a = Path.Combine(dir, "a.txt");
            var b = Path.Combine(dir, "b.txt");
            RunOutput.WriteSet([(a, p => File.WriteAllText(p, "old a")), (b, p => File.WriteAllText(p, "old b"))]);
            using var stop = new CancellationTokenSource();

            Assert.ThrowsAny<OperationCanceledException>(() => RunOutput.WriteSet([
                (a, p => File.WriteAllText(p, "new a")),
                (b, p =>
                {
                    File.WriteAllText(p, "new b");
                    stop.Cancel();
                }),
            ], stop.Token));

            Assert.Equal("old a", File.ReadAllText(a));
            Assert.Equal("old b", File.ReadAllText(b));
            Assert.Equal(2, Directory.GetFileSystemEntries(dir).Length);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void An_empty_timeline_still_gives_a_png()
    {
        var path = Path.Combine(Path.GetTempPath(), "host-empty-" + Guid.NewGuid().ToString("N") + ".png");
        try
        {
            TimelinePlotWriter.WritePng([], "empty", path);
            Assert.True(new FileInfo(path).Length > 0);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
