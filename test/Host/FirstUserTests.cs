using System.Text.Json;
using System.Text.RegularExpressions;
using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Scenarios;
using Xunit;

namespace PageReportingActors.Tests.Host;

/// <summary>What a first user meets: templates, a run that reports nothing, the log's virtual time, quiet and log levels.</summary>
public sealed class FirstUserTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("first-user-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The host as a user runs it, with the real simulation.</summary>
    private static async Task<(int Code, string Out, string Err)> Host(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HostProgram.RunAsync(args, stdout, stderr, interactive: false);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string File(string json)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".json");
        System.IO.File.WriteAllText(path, json);
        return path;
    }

    private const string NoRegister = """
        { "name": "forgot to register", "guest": { "memory": "1GiB" },
          "workload": [
            { "at": "1s", "op": "allocate", "id": "a", "size": "256MiB" },
            { "at": "2s", "op": "free", "id": "a" },
            { "at": "8s", "op": "stop" } ] }
        """;

    [Fact]
    public async Task Scenarios_show_prints_the_built_in_file_which_runs_as_a_file()
    {
        var (code, output, err) = await Host("scenarios", "show", "order-change");
        Assert.Equal(0, code);
        Assert.Empty(err);
        Assert.Equal(BuiltInScenarios.GetJson("order-change").TrimEnd('\n') + "\n", output);
        var fromFile = ScenarioParser.Parse(output);
        var builtIn = BuiltInScenarios.Load("order-change");
        Assert.Equal(builtIn.Name, fromFile.Name);
        Assert.Equal(builtIn.Workload, fromFile.Workload);
        Assert.Equal(builtIn.Zones, fromFile.Zones);
    }

    [Theory]
    [InlineData("unknown scenario \"nope\"; known: default, qemu-1g-free512, idle-64g, churn-10min, failing-device, reregister-during-pass, order-change, retouch", "scenarios", "show", "nope")]
    [InlineData("scenarios show: name a built-in scenario (default, qemu-1g-free512, idle-64g, churn-10min, failing-device, reregister-during-pass, order-change, retouch)", "scenarios", "show")]
    [InlineData("scenarios: \"frob\" is not an action (show NAME, or nothing to list them)", "scenarios", "frob")]
    [InlineData("--log-level: \"loud\" is not a level (debug, info, warning, error)", "run", "default", "--log-level", "loud")]
    public async Task Mistakes_exit_2_with_one_line(string message, params string[] args)
    {
        var (code, output, err) = await Host(args);
        Assert.Equal(2, code);
        Assert.Equal(message + Environment.NewLine, err);
        Assert.Empty(output);
    }

    [Fact]
    public async Task A_run_in_which_no_device_registers_warns_and_says_so_in_the_report()
    {
        var outDir = Path.Combine(_dir, "out");
        var (code, output, err) = await Host("run", File(NoRegister), "--out", outDir, "--sample", "1s");
        Assert.True(code == 0, err);
        Assert.Contains("warning: no device registered during the run, so nothing was reported; add a step { \"at\": \"0s\", \"op\": \"register\" }", output);
        using var report = JsonDocument.Parse(System.IO.File.ReadAllText(Path.Combine(outDir, "report.json")));
        Assert.Equal(0, report.RootElement.GetProperty("summary").GetProperty("reportCalls").GetInt32());
        Assert.Single(report.RootElement.GetProperty("warnings").EnumerateArray());

        // The same guest with a registration: reports, and no warning.
        var registered = NoRegister.Replace("\"workload\": [", "\"workload\": [ { \"at\": \"0s\", \"op\": \"register\" },");
        var (code2, output2, err2) = await Host("run", File(registered), "--out", Path.Combine(_dir, "out2"), "--sample", "1s");
        Assert.True(code2 == 0, err2);
        Assert.DoesNotContain("warning:", output2);
        using var report2 = JsonDocument.Parse(System.IO.File.ReadAllText(Path.Combine(_dir, "out2", "report.json")));
        Assert.Empty(report2.RootElement.GetProperty("warnings").EnumerateArray());
        Assert.True(report2.RootElement.GetProperty("summary").GetProperty("reportCalls").GetInt32() > 0);
    }

    [Fact]
    public async Task Log_lines_start_with_the_virtual_time_they_happened_at()
    {
        var (code, output, err) = await Host("run", "default", "--out", Path.Combine(_dir, "out"), "--sample", "1s");
        Assert.True(code == 0, err);
        var lines = output.Split('\n');
        // Registration at 0 s; the first pass starts 2 s later (R18, R6) and ends after its reports at the device.
        Assert.Contains(lines, l => l.StartsWith("[    0.000s] [INF] Workload: device registered", StringComparison.Ordinal));
        var passes = lines.Where(l => l.Contains("[INF] Pass ", StringComparison.Ordinal)).ToList();
        Assert.Equal(6, passes.Count);
        var firstPassEnd = double.Parse(Regex.Match(passes[0], @"^\[\s*([0-9.]+)s\]").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(firstPassEnd, 2.0, 2.1);
    }

    [Fact]
    public async Task Quiet_prints_only_the_result_line_and_log_level_debug_adds_one_line_per_report()
    {
        var (code, quiet, err) = await Host("run", "default", "--out", Path.Combine(_dir, "q"), "--quiet");
        Assert.True(code == 0, err);
        var lines = quiet.TrimEnd('\n').Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("1 GiB guest frees 512 MiB: 12 reports (0 failed) in 6 passes", lines[0]);

        var (code2, debug, err2) = await Host("run", "default", "--out", Path.Combine(_dir, "d"), "--log-level", "debug", "--sample", "1s");
        Assert.True(code2 == 0, err2);
        Assert.Equal(12, debug.Split('\n').Count(l => l.Contains("[DBG] Reported ", StringComparison.Ordinal)));

        var (code3, errorsOnly, err3) = await Host("run", "default", "--out", Path.Combine(_dir, "e"), "--log-level", "error", "--sample", "1s");
        Assert.True(code3 == 0, err3);
        Assert.DoesNotContain("[INF]", errorsOnly);
        Assert.Contains("report calls", errorsOnly);
    }
}
