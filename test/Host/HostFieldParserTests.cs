using PageReportingActors.Host.Scenarios;
using PageReportingActors.Hypervisor;
using Xunit;

namespace PageReportingActors.Tests.Host;

/// <summary>A scenario's <c>host</c>: backing, discard and unit costs, and the one-line errors for what is wrong.</summary>
public sealed class HostFieldParserTests
{
    private static string With(string host) => $$"""
        { "name": "h", "guest": { "memory": "256MiB" }, "host": {{host}}, "workload": [ { "at": "0s", "op": "register" } ] }
        """;

    private static string Problem(string host) => Assert.Throws<ScenarioException>(() => ScenarioParser.Parse(With(host))).Message;

    [Fact]
    public void Without_host_the_guest_is_on_4KiB_pages_with_discards_on_and_the_default_costs()
    {
        var scenario = ScenarioParser.Parse("""{ "name": "h", "guest": { "memory": "256MiB" }, "workload": [ { "at": "0s", "op": "register" } ] }""");
        Assert.Equal(HostSettings.Default, scenario.Host);
        Assert.Equal(HostBacking.Pages4KiB, ScenarioParser.Parse(With("{}")).Host.Backing);
    }

    [Theory]
    [InlineData("4KiB", HostBacking.Pages4KiB)]
    [InlineData("thp", HostBacking.Thp)]
    [InlineData("hugetlb-2MiB", HostBacking.Hugetlb2MiB)]
    [InlineData("hugetlb-1GiB", HostBacking.Hugetlb1GiB)]
    public void Each_backing_is_read_by_its_name(string name, HostBacking backing) =>
        Assert.Equal(backing, ScenarioParser.Parse(With($$"""{ "backing": "{{name}}" }""")).Host.Backing);

    [Fact]
    public void Discard_inhibited_is_read()
    {
        Assert.True(ScenarioParser.Parse(With("""{ "discard": "inhibited" }""")).Host.DiscardInhibited);
        Assert.False(ScenarioParser.Parse(With("""{ "discard": "on" }""")).Host.DiscardInhibited);
    }

    [Theory]
    [InlineData("""{ "backing": "2MiB" }""", "host.backing: \"2MiB\" is not a backing (known: 4KiB, thp, hugetlb-2MiB, hugetlb-1GiB)")]
    [InlineData("""{ "backing": "THP" }""", "host.backing: \"THP\" is not a backing (known: 4KiB, thp, hugetlb-2MiB, hugetlb-1GiB)")]
    [InlineData("""{ "backing": 9 }""", "host.backing: 9 is not a string")]
    [InlineData("""{ "discard": "off" }""", "host.discard: \"off\" is not on or inhibited")]
    [InlineData("""{ "hugepages": true }""", "host.hugepages: is not a known field (known: backing, discard, costs)")]
    [InlineData("""{ "costs": 3 }""", "host.costs: 3 is not a costs file's path nor an object of unit costs")]
    [InlineData("""{ "costs": "" }""", "host.costs: is empty")]
    [InlineData("\"thp\"", "host: \"thp\" is not an object")]
    public void A_wrong_host_field_is_one_line_naming_it(string host, string message) => Assert.Equal(message, Problem(host));

    [Fact]
    public void Costs_given_as_an_object_are_the_run_s_unit_costs()
    {
        var host = ScenarioParser.Parse(With("""
            { "backing": "thp", "costs": { "fault4KiBSeconds": 2e-6, "faultHuge2MiBSeconds": 2e-4, "discard128KiBSeconds": 1e-5, "discard2MiBSeconds": 5e-6 } }
            """)).Host;
        Assert.Equal(new UnitCosts(2e-6, 2e-4, 1e-5, 5e-6, "scenario"), host.Costs);
        var problem = Problem("""{ "costs": { "fault4KiBSeconds": -1, "faultHuge2MiBSeconds": 2e-4, "discard128KiBSeconds": 1e-5, "discard2MiBSeconds": 5e-6 } }""");
        Assert.StartsWith("host.costs.fault4KiBSeconds: ", problem);
    }

    [Fact]
    public void A_costs_path_is_read_relative_to_the_scenario_file()
    {
        var dir = Directory.CreateTempSubdirectory("host-costs-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "m"));
            File.WriteAllText(Path.Combine(dir, "m", "costs.json"), """
                { "source": "box 7", "fault4KiBSeconds": 3e-6, "faultHuge2MiBSeconds": 3e-4, "discard128KiBSeconds": 2e-5, "discard2MiBSeconds": 8e-6 }
                """);
            var scenario = Path.Combine(dir, "s.json");
            File.WriteAllText(scenario, With("""{ "costs": "m/costs.json" }"""));
            Assert.Equal(new UnitCosts(3e-6, 3e-4, 2e-5, 8e-6, "box 7"), ScenarioParser.ParseFile(scenario).Host.Costs);

            File.WriteAllText(scenario, With("""{ "costs": "m/missing.json" }"""));
            var problem = Assert.Throws<ScenarioException>(() => ScenarioParser.ParseFile(scenario)).Message;
            Assert.StartsWith("host.costs: ", problem);
            Assert.Contains("missing.json", problem);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
