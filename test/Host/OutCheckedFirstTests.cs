using PageReportingActors.Host.Cli;
using Xunit;

namespace PageReportingActors.Tests.Host;

/// <summary>
/// fleet, sweep and replay check <c>--out</c> before they run, as <c>run</c> does: a file in the
/// way, a directory where one of their files goes, or a place that takes no files (/proc, /sys)
/// exits 2 with one line, before any guest runs, and leaves what is there as it was.
/// </summary>
public sealed class OutCheckedFirstTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("out-first-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Out, string Err)> Host(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HostProgram.RunAsync(args, stdout, stderr, interactive: false);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string Fleet()
    {
        var path = Path.Combine(_dir, "fleet.json");
        File.WriteAllText(path, """{ "name": "f", "duration": "10min", "guests": [ { "scenario": "default", "count": 2 } ] }""");
        return path;
    }

    [Fact]
    public async Task A_fleet_whose_out_is_a_file_exits_2_before_it_runs()
    {
        var file = Path.Combine(_dir, "taken");
        File.WriteAllText(file, "mine");

        var (code, stdout, err) = await Host("fleet", Fleet(), "--out", file);

        Assert.Equal(2, code);
        Assert.Contains("--out:", err);
        Assert.Contains("is a file, not a directory", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.DoesNotContain("guests,", stdout);
        Assert.Equal("mine", File.ReadAllText(file));
    }

    [Theory]
    [InlineData("/proc/page-reporting-out")]
    [InlineData("/sys/page-reporting-out")]
    public async Task A_fleet_out_where_no_file_can_be_made_exits_2_before_it_runs(string outDir)
    {
        var (code, stdout, err) = await Host("fleet", Fleet(), "--out", outDir);

        Assert.Equal(2, code);
        Assert.Contains("--out:", err);
        Assert.Contains("cannot write in", err);
        Assert.DoesNotContain("guests,", stdout);
    }

    [Fact]
    public async Task A_sweep_with_a_directory_in_the_way_of_sweep_png_exits_2_and_keeps_the_old_csv()
    {
        var outDir = Path.Combine(_dir, "sweep");
        Directory.CreateDirectory(Path.Combine(outDir, "sweep.png"));
        File.WriteAllText(Path.Combine(outDir, "sweep.csv"), "old");

        var (code, stdout, err) = await Host("sweep", "default", "--order", "9", "--delay", "2s", "--out", outDir);

        Assert.Equal(2, code);
        Assert.Contains("sweep.png is a directory", err);
        Assert.DoesNotContain("combinations", stdout);
        Assert.Equal("old", File.ReadAllText(Path.Combine(outDir, "sweep.csv")));
    }

    [Fact]
    public async Task A_replay_whose_out_is_under_proc_exits_2_before_it_reads_the_trace()
    {
        var guest = Path.Combine(AppContext.BaseDirectory, "Data", "replay", "guest.json");
        var trace = Path.Combine(AppContext.BaseDirectory, "Data", "replay", "trace.txt.xz");

        var (code, stdout, err) = await Host("replay", trace, "--guest", guest, "--out", "/proc/page-reporting-out");

        Assert.Equal(2, code);
        Assert.Contains("--out:", err);
        Assert.DoesNotContain("replaying", stdout);
    }
}
