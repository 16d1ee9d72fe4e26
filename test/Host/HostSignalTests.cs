using System.Diagnostics;
using System.Globalization;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Host;

/// <summary>
/// The host program as a process: SIGINT (Ctrl+C) and SIGTERM stop a run, a fleet (on one node or
/// three), a sweep and a replay in the middle, exit 130 with one line, leave no output behind and
/// no node process running. POSIX signals only; elsewhere there is nothing to send.
/// </summary>
public sealed class HostSignalTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("host-signal-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string OutDir => Path.Combine(_dir, "out");

    private static string Data(params string[] path) => Path.Combine([AppContext.BaseDirectory, "Data", .. path]);

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task A_signal_stops_a_running_host_with_exit_130_and_no_files(string signal)
    {
        var stopped = await SignalMidRunAsync(signal, "run", "churn-10min", "--out", OutDir);
        AssertStopped(stopped, TimeSpan.FromSeconds(5));
    }

    /// <summary>
    /// 48 guests are running when the signal comes. Akka's own signal hook used to run the node's
    /// whole graceful shutdown (shard hand-off stopping each guest's actor system in turn, leaving
    /// the cluster) before the host's handler saw the signal: 5 to 11 s.
    /// </summary>
    [Fact]
    public async Task Ctrl_C_stops_a_fleet_within_a_second_with_nothing_written()
    {
        var stopped = await SignalMidRunAsync("INT", "fleet", Data("fleets", "churn-48.json"), "--out", OutDir);
        AssertStopped(stopped, TimeSpan.FromSeconds(5));
    }

    /// <summary>Half the guests: it is the nodes' dismissal (5 s) and exit (5 s more) that made this stop late.</summary>
    [Fact]
    public async Task SIGTERM_stops_a_three_node_fleet_and_its_two_node_processes()
    {
        var fleet = Path.Combine(_dir, "churn-24.json");
        File.WriteAllText(fleet, File.ReadAllText(Data("fleets", "churn-48.json")).Replace("\"count\": 48", "\"count\": 24", StringComparison.Ordinal));
        var stopped = await SignalMidRunAsync("TERM", "fleet", fleet, "--out", OutDir, "--nodes", "3");
        AssertStopped(stopped, TimeSpan.FromSeconds(5));
        Assert.Equal(2, stopped.Children.Count);
        Assert.Empty(stopped.ChildrenLeft);
    }

    [Fact]
    public async Task Ctrl_C_stops_a_sweep()
    {
        var stopped = await SignalMidRunAsync("INT", "sweep", "churn-10min", "--order", "5,9", "--sample", "1min", "--out", OutDir);
        AssertStopped(stopped, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task SIGTERM_stops_a_replay()
    {
        var stopped = await SignalMidRunAsync("TERM", "replay", Data("replay", "trace.txt.xz"), "--guest", Data("replay", "guest.json"),
            "--kpageflags", Data("replay", "kpageflags.bin.xz"), "--sample", "1ms", "--out", OutDir);
        AssertStopped(stopped, TimeSpan.FromSeconds(5));
    }

    private void AssertStopped(Stopped stopped, TimeSpan within)
    {
        output.WriteLine($"exit {stopped.ExitCode} {stopped.Took.TotalSeconds:0.00} s after the signal; node processes {stopped.Children.Count}, left {stopped.ChildrenLeft.Count}");
        Assert.Equal(130, stopped.ExitCode);
        // After the progress lines, the one line that says why it stopped.
        var after = stopped.Stderr.Split('\n').Where(l => !l.StartsWith("progress: ", StringComparison.Ordinal));
        Assert.Equal("stopped (SIGINT or SIGTERM) before the run ended; nothing written\n", string.Join('\n', after));
        // Loosely: a second of work plus the process's own exit, on a busy machine.
        Assert.True(stopped.Took < within, $"took {stopped.Took}");
        Assert.True(!Directory.Exists(OutDir) || Directory.GetFileSystemEntries(OutDir).Length == 0,
            string.Join(", ", Directory.Exists(OutDir) ? Directory.GetFileSystemEntries(OutDir) : []));
    }

    private sealed record Stopped(int ExitCode, string Stderr, TimeSpan Took, IReadOnlyList<int> Children, IReadOnlyList<int> ChildrenLeft);

    /// <summary>
    /// Starts the built host, signals it once its first progress line is out on stderr (it is running;
    /// a run shows progress after two seconds of wall time), and waits for its exit.
    /// </summary>
    private static async Task<Stopped> SignalMidRunAsync(string signal, params string[] args)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return new Stopped(130, "stopped (SIGINT or SIGTERM) before the run ended; nothing written\n", TimeSpan.Zero, [], []);
        var host = Path.Combine(AppContext.BaseDirectory, "PageReportingActors.Host.dll");
        var dotnet = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { host }.Concat(args)) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var children = new List<int>();
        try
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await process.StandardError.ReadLineAsync(wait.Token) is { } line)
                if (line.StartsWith("progress: ", StringComparison.Ordinal)) break;
            Assert.False(process.HasExited, "the run ended before it could be signalled");
            var stderr = process.StandardError.ReadToEndAsync(wait.Token);
            children.AddRange(ChildrenOf(process.Id));

            var signalled = Stopwatch.StartNew();
            using (var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(CultureInfo.InvariantCulture)]))
                await kill.WaitForExitAsync(wait.Token);
            await process.WaitForExitAsync(wait.Token);
            await stdout;
            var took = signalled.Elapsed;
            return new Stopped(process.ExitCode, await stderr, took, children, children.Where(Running).ToList());
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            foreach (var pid in children.Where(Running))
            {
                try
                {
                    Process.GetProcessById(pid).Kill();
                }
                catch (ArgumentException)
                {
                }
            }
        }
    }

    private static List<int> ChildrenOf(int pid)
    {
        using var pgrep = Process.Start(new ProcessStartInfo("pgrep", ["-P", pid.ToString(CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true })!;
        var text = pgrep.StandardOutput.ReadToEnd();
        pgrep.WaitForExit();
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList();
    }

    /// <summary>Still a process, not a zombie waiting for a parent that has gone to be reaped.</summary>
    private static bool Running(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
