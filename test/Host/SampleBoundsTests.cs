using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Scenarios;
using Xunit;

namespace PageReportingActors.Tests.Host;

/// <summary>
/// What replay, sweep and fleet keep of a run is bounded before they run, as run bounds its timeline:
/// a replay's timeline at most <see cref="ScenarioBounds.MaxTimelineRows"/> rows, a sweep's and a
/// fleet's samples (runs times instants) at most <see cref="ScenarioBounds.MaxSampleCells"/>. Each
/// over the bound exits 2 at once with one line naming the smallest sample that fits, nothing written.
/// </summary>
public sealed class SampleBoundsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sample-bounds-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string OutDir => Path.Combine(_dir, "out");

    private async Task<(int Code, string Err)> Host(params string[] args)
    {
        var stderr = new StringWriter();
        // Refused at once: a run that starts instead would take minutes and gigabytes.
        var code = await HostProgram.RunAsync([.. args, "--out", OutDir], new StringWriter(), stderr, interactive: false)
            .WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(Directory.Exists(OutDir), "nothing written");
        return (code, stderr.ToString());
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A 10-hour replay sampled every millisecond: 36 million rows, which ran on, in ever more memory, instead.</summary>
    [Fact]
    public async Task A_replay_whose_timeline_is_over_the_bound_exits_2_naming_the_sample_that_fits()
    {
        var guest = Write("guest.json", """
            { "name": "long traced guest",
              "guest": { "kernel": "6.12", "cpus": 1, "zones": [
                { "name": "Normal", "startPfn": 0, "pages": 36864, "freePages": 32768,
                  "watermarks": { "min": 100, "low": 200, "high": 300 }, "pcp": { "high": 500, "batch": 63, "count": 0 } } ] },
              "workload": [ { "at": "0s", "op": "register" }, { "at": "600min", "op": "stop" } ] }
            """);
        var trace = Write("trace.txt", "            hog-1     [000] d..3.     1.000000: mm_page_alloc: page=0 pfn=0x1000 order=0 migratetype=1 gfp_flags=GFP_KERNEL\n");

        var (code, err) = await Host("replay", trace, "--guest", guest, "--sample", "1ms");

        Assert.Equal(2, code);
        Assert.Equal("--sample: 1ms gives 36000001 timeline rows over 600min; at most 2000000: use --sample 19ms or more" + Environment.NewLine, err);
    }

    /// <summary>64 combinations of a 10-minute scenario every millisecond: 610,001 samples each, 39 million in all.</summary>
    [Fact]
    public async Task A_sweep_over_the_bound_exits_2_naming_the_sample_that_fits()
    {
        var (code, err) = await Host("sweep", "churn-10min", "--order", "5,6,7,8", "--delay", "1s,2s,3s,4s", "--capacity", "8,16,32,64", "--sample", "1ms");

        Assert.Equal(2, code);
        Assert.Equal("--sample: 1ms gives 610001 samples for each of 64 combinations (39040064 in all); at most 20000000: use --sample 2ms or more" + Environment.NewLine, err);
    }

    [Fact]
    public async Task A_fleet_over_the_bound_exits_2_naming_the_sample_that_fits()
    {
        var fleet = Write("fleet.json", """
            { "name": "a week of 500 guests", "duration": "10080min", "sample": "1s",
              "guests": [ { "scenario": "default", "count": 500 } ] }
            """);

        var (code, err) = await Host("fleet", fleet);

        Assert.Equal(2, code);
        Assert.Equal("sample: 1s gives 604801 samples for each of 500 guests (302400500 in all); at most 20000000: use sample 15.121s or more" + Environment.NewLine, err);
    }
}
