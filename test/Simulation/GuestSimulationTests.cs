using Akka.Actor;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;
using PageReportingActors.Hypervisor;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using Xunit;

namespace PageReportingActors.Tests.Simulation;

/// <summary>The simulation's parts: stepping a guest, a workload of timed actions, residency, the device's failure schedule.</summary>
public sealed class GuestSimulationTests
{
    [Fact]
    public async Task Two_guests_advanced_in_lockstep_give_the_timeline_of_a_whole_run()
    {
        var scenario = BuiltInScenarios.Load("default");
        var sample = TimeSpan.FromSeconds(1);
        var whole = await ScenarioRunner.RunAsync(scenario, new RunOptions(sample, Path.GetTempPath()));

        using var a = GuestSimulation.Start(scenario);
        using var b = GuestSimulation.Start(scenario);
        Assert.Equal(TimeSpan.FromSeconds(35), a.StopAt);
        for (var t = TimeSpan.Zero; t <= a.StopAt; t += sample)
        {
            a.AdvanceTo(t);
            b.AdvanceTo(t);
            Assert.Equal(t, a.Now);
            Assert.Equal(a.Sample(), b.Sample());
            Assert.Equal(a.CurrentSample, b.CurrentSample);
        }
        Assert.True(a.Finished);
        Assert.Equal(whole.Timeline, a.Timeline);
        var stepped = a.BuildResult(0);
        Assert.Equal(whole.Reports.Select(r => (r.T, r.Bytes, r.Ok)), stepped.Reports.Select(r => (r.T, r.Bytes, r.Ok)));
        Assert.Equal(whole.Passes, stepped.Passes);
        Assert.Equal(whole.Summary with { WallSeconds = 0 }, stepped.Summary);
    }

    [Fact]
    public void AdvanceTo_stops_at_the_stop_time()
    {
        using var simulation = GuestSimulation.Start(BuiltInScenarios.Load("default"), stopAt: TimeSpan.FromSeconds(3));
        simulation.AdvanceTo(TimeSpan.FromSeconds(100));
        Assert.Equal(TimeSpan.FromSeconds(3), simulation.Now);
        Assert.True(simulation.Finished);
        // Registered at 0 s, so one pass at 2 s and no more before 3 s.
        Assert.Equal([2.0], simulation.BuildResult(0).Passes.Select(p => Math.Round(p.Start, 3)));
    }

    /// <summary>A source of actions at given times, as a trace replay is: each applied straight to a zone by message.</summary>
    private sealed class TimedActions(params (TimeSpan At, Action<SimulatedGuest> Act)[] actions) : IWorkload
    {
        private int _next;
        public List<TimeSpan> RanAt { get; } = new();
        public TimeSpan? NextAt => _next < actions.Length ? actions[_next].At : null;

        public void RunNext(SimulatedGuest guest)
        {
            RanAt.Add(guest.Now);
            actions[_next++].Act(guest);
        }
    }

    [Fact]
    public void A_workload_of_timed_actions_runs_each_at_its_time_on_the_guests_clock()
    {
        var scenario = BuiltInScenarios.Load("default") with { Workload = [] };
        Block? held = null;
        var workload = new TimedActions(
            (TimeSpan.Zero, g => g.Register(null)),
            // Past the idle guest's reporting (passes at 2, 4, 6, 8 s), take one order-10 block and give it back.
            (TimeSpan.FromSeconds(12.25), g => held = g.Ask<Allocated>(g.Actors.Zones[1], new Allocate(10)).Block),
            (TimeSpan.FromSeconds(13.5), g => g.Ask<Freed>(g.Actors.Zones[1], new Free(held!.Value.Pfn, 10))));
        using var simulation = GuestSimulation.Start(scenario, workload, stopAt: TimeSpan.FromSeconds(20));
        simulation.AdvanceTo(TimeSpan.FromSeconds(20));

        Assert.Equal([0, 12.25, 13.5], workload.RanAt.Select(t => t.TotalSeconds));
        var passes = simulation.BuildResult(0).Passes;
        // The free at 13.5 s notifies (order 10 >= 9), so a pass starts 2 s later (R5, R6).
        Assert.Contains(passes, p => Math.Abs(p.Start - 15.5) < 1e-9);
        Assert.DoesNotContain(passes, p => p.Start > 8.5 && p.Start < 15.5);
        Assert.Equal(1, simulation.Guest.Log.Registrations);
    }

    [Fact]
    public void Balloon_device_fails_the_calls_the_scenario_names()
    {
        var device = new DeviceModel(null, TimeSpan.FromMilliseconds(1), new HashSet<int> { 2, 3 }, FailEvery: 10);
        var balloon = new BalloonDeviceModel(device, new HostMemory([new ZoneSpec("DMA", 0, 4096, 3808, new Watermarks(178, 222, 266))], HostSettings.Default),
            new VirtualTimeScheduler(Akka.Configuration.Config.Empty, Akka.Event.NoLogger.Instance));
        Assert.Equal([2, 3, 10, 20, 30], Enumerable.Range(1, 30).Where(balloon.Fails));
    }
}
