using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Replay;
using PageReportingActors.Host.Scenarios;
using Xunit;

namespace PageReportingActors.Tests.Host;

/// <summary>Every JSON input (scenario, fleet, replay guest) goes through one reader with one set of bounds.</summary>
public sealed class JsonInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("json-input-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Run_refuses_dev_zero_after_16MiB_instead_of_reading_it_to_no_end()
    {
        if (!File.Exists("/dev/zero")) return;
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HostProgram.RunAsync(["run", "/dev/zero", "--out", Path.Combine(_dir, "out")], stdout, stderr, interactive: false);
        Assert.Equal(2, code);
        Assert.Equal("/dev/zero: holds more than 16MiB; a scenario file is at most 16MiB" + Environment.NewLine, stderr.ToString());
    }

    private const string Guest = """
        { "name": "g", "guest": { "memory": "1GiB" }, "workload": [ { "at": "0s", "op": "register" } ] }
        """;

    [Fact]
    public void A_replay_guest_with_a_field_twice_is_refused_naming_it()
    {
        var e = Assert.Throws<ScenarioException>(() => ReplayGuest.Parse(Guest.Replace("\"name\": \"g\",", "\"name\": \"g\", \"seed\": 1, \"seed\": 2,", StringComparison.Ordinal)));
        Assert.Equal("seed: is given twice", e.Message);
    }

    [Fact]
    public void A_replay_guest_nested_past_64_levels_is_refused_as_a_scenario_is()
    {
        var deep = new string('[', 70) + new string(']', 70);
        var e = Assert.Throws<ScenarioException>(() => ReplayGuest.Parse(Guest.Replace("\"name\": \"g\",", $"\"name\": \"g\", \"description\": {deep},", StringComparison.Ordinal)));
        Assert.StartsWith("invalid JSON at line 1, position ", e.Message, StringComparison.Ordinal);
        Assert.Contains("depth", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_replay_guest_syntax_error_is_one_line_naming_where()
    {
        var e = Assert.Throws<ScenarioException>(() => ReplayGuest.Parse("{ \"name\": \"g\",\n  \"guest\": }"));
        Assert.Equal("invalid JSON at line 2, position 12: '}' is an invalid start of a value.", e.Message);
    }
}
