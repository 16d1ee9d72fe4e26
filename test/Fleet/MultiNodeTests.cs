using System.Text.Json.Nodes;
using PageReportingActors.Host.Fleet;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Fleet;

/// <summary>
/// The fleet on three processes joined on loopback: guests are spread over the nodes, a node killed
/// mid-run loses no guest, and fleet.json is the one-node file except nodes, guests[].node and
/// wallSeconds. Each test is bounded at 60 s.
/// </summary>
public sealed class MultiNodeTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fleet-nodes-").FullName;

    public void Dispose()
    {
        _timeout.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private const string Fleet = """
        { "name": "spread", "seed": 21, "duration": "30s", "sample": "1s", "hostMemory": "4GiB",
          "guests": [ { "scenario": "default", "count": 6, "stagger": "1s" } ] }
        """;

    /// <summary>fleet.json with the fields that may differ between placements removed.</summary>
    private static string Comparable(FleetResult result)
    {
        var json = JsonNode.Parse(FleetOutput.ToJson(result))!.AsObject();
        json.Remove("nodes");
        foreach (var guest in json["guests"]!.AsArray()) guest!.AsObject().Remove("node");
        json["summary"]!.AsObject().Remove("wallSeconds");
        return json.ToJsonString();
    }

    /// <summary>Both runs of a test share it: a test that takes longer than 60 s fails.</summary>
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    private async Task<FleetResult> Run(FleetClusterOptions options)
    {
        var fleet = FleetParser.Parse(Fleet, _dir);
        var result = await FleetRunner.RunAsync(fleet, options, cancellationToken: _timeout.Token);
        output.WriteLine($"{options.Nodes} node(s): {result.Summary.WallSeconds:0.0} s, guests on {string.Join(", ", result.Guests.Select(g => g.Node))}");
        return result;
    }

    [Fact]
    public async Task Three_nodes_spread_the_guests_and_give_the_one_node_fleet_json()
    {
        var three = await Run(FleetRunTests.Bounded(3));
        var one = await Run(FleetRunTests.Bounded(1));

        Assert.Equal(3, three.Nodes);
        Assert.Equal(3, three.Guests.Select(g => g.Node).Distinct().Count());
        Assert.Single(one.Guests.Select(g => g.Node).Distinct());
        Assert.Equal(Comparable(one), Comparable(three));
        Assert.NotEqual(FleetOutput.ToJson(one), FleetOutput.ToJson(three));
        Assert.True(one.Guests.Sum(g => g.Result.Reports) > 0);
    }

    [Fact]
    public async Task A_node_killed_mid_run_loses_no_guest()
    {
        var one = await Run(FleetRunTests.Bounded(1));
        var killedAfter = -1;
        var options = FleetRunTests.Bounded(3) with
        {
            AfterSample = (k, children) =>
            {
                if (k != 5 || children is null) return;
                children.Processes[0].Kill();
                killedAfter = k;
            },
        };
        var disturbed = await Run(options);

        Assert.Equal(5, killedAfter);
        // The killed node's guests finished on the two that were left.
        Assert.Equal(2, disturbed.Guests.Select(g => g.Node).Distinct().Count());
        Assert.Equal(6, disturbed.Guests.Count);
        Assert.Equal(Comparable(one), Comparable(disturbed));
    }

    [Fact]
    public async Task Ctrl_C_on_a_two_node_fleet_exits_130_with_one_line_and_stops_its_node()
    {
        var path = Path.Combine(_dir, "long.json");
        File.WriteAllText(path, """
            { "name": "long", "seed": 1, "duration": "10min", "sample": "1s",
              "guests": [ { "scenario": "churn-10min", "count": 4 } ] }
            """);
        using var stop = new CancellationTokenSource();
        var stderr = new StringWriter();
        var run = PageReportingActors.Host.Cli.HostProgram.RunAsync(["fleet", path, "--out", Path.Combine(_dir, "out"), "--nodes", "2"],
            new StringWriter(), stderr, interactive: false, cancellationToken: stop.Token);
        while (ChildNodes().Count == 0 && !run.IsCompleted) await Task.Delay(100, _timeout.Token);
        Assert.False(run.IsCompleted, stderr.ToString());
        await Task.Delay(TimeSpan.FromSeconds(3), _timeout.Token);
        Assert.False(run.IsCompleted, stderr.ToString());

        stop.Cancel();
        var code = await run.WaitAsync(_timeout.Token);

        Assert.Equal(130, code);
        Assert.Equal(PageReportingActors.Host.Cli.HostProgram.InterruptedMessage + Environment.NewLine, stderr.ToString());
        Assert.Empty(ChildNodes());
    }

    /// <summary>The fleet-node processes this process started, from their command lines.</summary>
    private static List<int> ChildNodes()
    {
        var marker = $"--parent-pid\0{Environment.ProcessId}\0";
        var found = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (cmdline.Contains("fleet-node", StringComparison.Ordinal) && cmdline.Contains(marker, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }
}

/// <summary>A node started for a fleet never outlives the process that started it.</summary>
public sealed class FleetNodeLifetimeTests
{
    [Fact]
    public async Task A_fleet_node_exits_when_its_parent_does()
    {
        using var parent = System.Diagnostics.Process.Start("sleep", "2");
        var stderr = new StringWriter();
        var run = PageReportingActors.Host.Cli.HostProgram.RunAsync(
            ["fleet-node", "--join", "127.0.0.1:9", "--parent-pid", parent.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--stable-after", "2s"],
            new StringWriter(), stderr, interactive: false);
        // Nothing answers at the seed: only the parent's exit can end this node.
        Assert.False(run.IsCompleted);
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.Same(run, finished);
        Assert.True(parent.HasExited);
        Assert.Equal(1, await run);
    }

    [Fact]
    public async Task A_fleet_node_that_no_fleet_takes_gives_up_with_one_line()
    {
        // A port that was free a moment ago: nothing listens there.
        var port = FreePort();
        var stderr = new StringWriter();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var run = PageReportingActors.Host.Cli.HostProgram.RunAsync(
            ["fleet-node", "--join", $"127.0.0.1:{port}", "--join-timeout", "2s"], new StringWriter(), stderr, interactive: false);

        var code = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, code);
        Assert.Equal($"--join: no fleet at 127.0.0.1:{port} took this node within 2s (nothing listens there, or its fleet has finished)" + Environment.NewLine, stderr.ToString());
        // The 2 s, and the node's start and stop (at most 5 s) around them.
        Assert.InRange(waited.Elapsed.TotalSeconds, 2, 12);
    }

    [Fact]
    public async Task A_fleet_node_exits_when_the_fleets_own_node_goes_without_dismissing_it()
    {
        var fleet = await FleetNode.StartAsync(new FleetNodeOptions("127.0.0.1", 0, TimeSpan.FromSeconds(1), Coordinates: true));
        var stopped = false;
        try
        {
            fleet.Join(null);
            await fleet.WaitForMembersAsync(1, TimeSpan.FromSeconds(30), CancellationToken.None);
            var stderr = new StringWriter();
            var run = PageReportingActors.Host.Cli.HostProgram.RunAsync(
                ["fleet-node", "--join", fleet.Name, "--stable-after", "1s"], new StringWriter(), stderr, interactive: false);
            await fleet.WaitForMembersAsync(2, TimeSpan.FromSeconds(30), CancellationToken.None);
            // The node has seen itself Up too: it has seen the gossip that says so.
            while (fleet.Cluster.State.SeenBy.Count < 2) await Task.Delay(50);

            // As a stopped fleet does: its node goes without leaving or dismissing anyone.
            await fleet.StopNowAsync();
            stopped = true;
            var code = await run.WaitAsync(TimeSpan.FromSeconds(45));

            Assert.Equal(1, code);
            Assert.Equal($"the fleet at {fleet.Name} is gone (stopped or died) without dismissing this node" + Environment.NewLine, stderr.ToString());
        }
        finally
        {
            if (!stopped) await fleet.StopNowAsync();
            await fleet.DisposeAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Bad_cluster_arguments_exit_2()
    {
        foreach (var (args, message) in new[]
                 {
                     (new[] { "fleet-node", "--join", "nowhere" }, "\"nowhere\" is not HOST:PORT"),
                     (new[] { "fleet-node", "--join", "127.0.0.1:9", "--join-timeout", "0s" }, "--join-timeout: \"0s\" is not a duration in 1s..1440min"),
                     (new[] { "fleet", "x.json", "--expect", "3" }, "--expect: needs --listen HOST:PORT"),
                     (new[] { "fleet", "x.json", "--nodes", "2", "--listen", "127.0.0.1:4053" }, "--nodes: give either --nodes or --listen with --expect, not both"),
                 })
        {
            var stderr = new StringWriter();
            Assert.Equal(2, await PageReportingActors.Host.Cli.HostProgram.RunAsync(args, new StringWriter(), stderr, interactive: false));
            Assert.Equal(message + Environment.NewLine, stderr.ToString());
        }
    }
}
