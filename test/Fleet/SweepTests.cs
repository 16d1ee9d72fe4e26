using System.Globalization;
using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Sweep;
using PageReportingActors.Memory;
using Xunit;

namespace PageReportingActors.Tests.Fleet;

public sealed class SweepTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sweep-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_27_combination_sweep_writes_every_row_and_marks_the_pareto_front()
    {
        var outDir = Path.Combine(_dir, "out");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HostProgram.RunAsync(
            ["sweep", "default", "--order", "5,7,9", "--delay", "500ms,2s,8s", "--capacity", "16,32,64", "--sample", "500ms", "--out", outDir],
            stdout, stderr, interactive: false);
        Assert.True(code == 0, stderr.ToString());

        var lines = File.ReadAllLines(Path.Combine(outDir, SweepOutput.CsvName));
        Assert.Equal(SweepOutput.CsvHeader, lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(27, rows.Count);
        Assert.Equal(27, rows.Select(r => (r[0], r[1], r[2])).Distinct().Count());
        Assert.Equal(["5", "7", "9"], rows.Select(r => r[0]).Distinct().Order());
        Assert.Equal(["0.5", "2", "8"], rows.Select(r => r[1]).Distinct().Order());

        Assert.Equal(["4KiB"], rows.Select(r => r[3]).Distinct());
        var cpu = rows.Select(r => double.Parse(r[9], CultureInfo.InvariantCulture)).ToList();
        var mean = rows.Select(r => long.Parse(r[11], CultureInfo.InvariantCulture)).ToList();
        var pareto = rows.Select(r => bool.Parse(r[14])).ToList();
        Assert.All(cpu, c => Assert.True(c > 0));
        for (var i = 0; i < rows.Count; i++)
        {
            var beaten = Enumerable.Range(0, rows.Count).Any(j => cpu[j] <= cpu[i] && mean[j] <= mean[i] && (cpu[j] < cpu[i] || mean[j] < mean[i]));
            Assert.Equal(!beaten, pareto[i]);
        }
        Assert.Contains(true, pareto);
        // The policies really differ: a 500 ms delay returns the freed 512 MiB sooner than 8 s does.
        var to90 = rows.Where(r => r[0] == "9" && r[2] == "32").ToDictionary(r => r[1], r => double.Parse(r[13], CultureInfo.InvariantCulture));
        Assert.True(to90["0.5"] < to90["8"], $"{to90["0.5"]} vs {to90["8"]}");
        Assert.True(File.ReadAllBytes(Path.Combine(outDir, SweepOutput.PngName)).Length > 1000);
    }

    [Fact]
    public void A_sweep_policy_is_written_into_the_scenario_as_the_configured_order()
    {
        var plan = SweepPlan.Create(BuiltInScenarios.GetJson("default"), "5", "250ms", "8", TimeSpan.FromSeconds(1));
        var scenario = plan.Guests.Single().ToScenario();
        Assert.Equal(new ReportingPolicy(5, TimeSpan.FromMilliseconds(250), 8), scenario.Reporting);
        Assert.Equal(36, plan.Times().Count);
        var kept = SweepPlan.Create(BuiltInScenarios.GetJson("default"), null, null, "8,16", TimeSpan.FromSeconds(1));
        Assert.Equal([null, null], kept.Policies.Select(p => p.Order));
    }

    [Fact]
    public void R23_a_sweep_over_order_on_a_6_1_guest_sets_each_order_right_after_registration()
    {
        var plan = SweepPlan.Create(BuiltInScenarios.GetJson("qemu-1g-free512"), "5,7", null, null, TimeSpan.FromSeconds(1));
        Assert.True(plan.SetsOrderAfterRegistration);
        foreach (var (guest, order) in plan.Guests.Zip([5, 7]))
        {
            var steps = guest.ToScenario().Workload;
            Assert.IsType<RegisterStep>(steps[0]);
            Assert.Equal(new SetOrderStep(steps[0].At, order), steps[1]);
        }
        // On 6.12 the configured order holds at registration: nothing is added.
        var later = SweepPlan.Create(BuiltInScenarios.GetJson("default"), "5", null, null, TimeSpan.FromSeconds(1));
        Assert.False(later.SetsOrderAfterRegistration);
        Assert.DoesNotContain(later.Guests.Single().ToScenario().Workload, s => s is SetOrderStep);
    }

    [Fact]
    public async Task Bad_sweep_values_exit_2_naming_the_option()
    {
        foreach (var (args, message) in new[]
                 {
                     (new[] { "sweep", "default", "--order", "5,11" }, "--order: \"11\" is not an order in 0..10"),
                     (new[] { "sweep", "default", "--delay", "2s,0s" }, "--delay: \"0s\" is not a positive duration up to 1h"),
                     (new[] { "sweep", "default", "--capacity", "16,16" }, "--capacity: \"16\" is listed twice"),
                 })
        {
            var stderr = new StringWriter();
            var code = await HostProgram.RunAsync([.. args, "--out", Path.Combine(_dir, "bad")], new StringWriter(), stderr, interactive: false);
            Assert.Equal(2, code);
            Assert.Equal(message + Environment.NewLine, stderr.ToString());
            Assert.False(Directory.Exists(Path.Combine(_dir, "bad")));
        }
    }
}
