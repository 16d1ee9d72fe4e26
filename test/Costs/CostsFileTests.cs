using System.Text.Json;
using PageReportingActors.Host.Costs;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Hypervisor;
using Xunit;

namespace PageReportingActors.Tests.Costs;

public sealed class CostsFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("costs-file-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string FileWith(string text)
    {
        var path = Path.Combine(_directory, "costs.json");
        File.WriteAllText(path, text);
        return path;
    }

    private const string Valid =
        """{"source": "bench box", "fault4KiBSeconds": 2.9e-6, "faultHuge2MiBSeconds": 3.1e-4, "discard128KiBSeconds": 1.8e-5, "discard2MiBSeconds": 8e-6}""";

    [Fact]
    public void Round_trip_keeps_every_figure_bit_for_bit_and_the_spread()
    {
        var costs = new UnitCosts(2.9123456789e-6, 3.1e-4, 1.8e-5, 8.000000001e-6, "calibrate on ci-1");
        var spread = new Dictionary<string, CostSpread>
        {
            ["fault4KiBSeconds"] = new(2.5e-6, 2.6e-6, 2.9123456789e-6, 3.4e-6, 4.1e-6, 212),
            ["discard2MiBSeconds"] = new(7e-6, 7.5e-6, 8.000000001e-6, 9e-6, 1.2e-5, 40),
        };
        var path = Path.Combine(_directory, "out.json");
        CostsFile.Write(path, new CostsFileContent(costs, spread));

        var read = CostsFile.ReadContent(path);
        Assert.Equal(costs, read.Costs);
        Assert.Equal(2, read.Spread.Count);
        Assert.Equal(spread["fault4KiBSeconds"], read.Spread["fault4KiBSeconds"]);
        Assert.Equal(spread["discard2MiBSeconds"], read.Spread["discard2MiBSeconds"]);
        // Only the file is left: the temporary it was written through is gone.
        Assert.Equal(["out.json"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void The_file_names_the_figures_as_UnitCosts_does_in_its_order()
    {
        using var doc = JsonDocument.Parse(CostsFile.ToJson(new CostsFileContent(UnitCosts.Defaults, new Dictionary<string, CostSpread>())));
        Assert.Equal(["source", "fault4KiBSeconds", "faultHuge2MiBSeconds", "discard128KiBSeconds", "discard2MiBSeconds"],
            doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(3.2e-6, doc.RootElement.GetProperty("fault4KiBSeconds").GetDouble());
    }

    [Fact]
    public void Spread_is_optional_and_source_defaults_to_the_file_name()
    {
        var read = CostsFile.ReadContent(FileWith(Valid.Replace("\"source\": \"bench box\", ", "", StringComparison.Ordinal)));
        Assert.Equal("costs.json", read.Costs.Source);
        Assert.Equal(3.1e-4, read.Costs.FaultHuge2MiBSeconds);
        Assert.Empty(read.Spread);
    }

    [Theory]
    [InlineData("\"fault4KiBSeconds\": 2.9e-6", "\"fault4KiBSeconds\": 0", "fault4KiBSeconds: 0 must be positive")]
    [InlineData("\"fault4KiBSeconds\": 2.9e-6", "\"fault4KiBSeconds\": -1e-6", "fault4KiBSeconds: -1E-06 must be positive")]
    [InlineData("\"discard2MiBSeconds\": 8e-6", "\"discard2MiBSeconds\": 2", "discard2MiBSeconds: 2 is over 1 s")]
    [InlineData("\"discard2MiBSeconds\": 8e-6", "\"discard2MiBSeconds\": \"8us\"", "discard2MiBSeconds: \"8us\" is not a number of seconds")]
    [InlineData("\"discard2MiBSeconds\": 8e-6", "\"discard2MiBSeconds\": 1e999", "discard2MiBSeconds: 1e999 is not a number of seconds")]
    [InlineData(", \"discard2MiBSeconds\": 8e-6", "", "discard2MiBSeconds: is missing")]
    [InlineData("\"source\": \"bench box\"", "\"sorce\": \"bench box\"", "sorce: is not a known field")]
    [InlineData("\"source\": \"bench box\"", "\"source\": 3", "source: 3 is not a string")]
    [InlineData("\"source\": \"bench box\"", "\"source\": \"bench box\", \"source\": \"again\"", "source: is given twice")]
    public void A_bad_field_is_one_line_naming_the_file_and_the_field(string from, string to, string expected)
    {
        var path = FileWith(Valid.Replace(from, to, StringComparison.Ordinal));
        var e = Assert.Throws<ScenarioException>(() => CostsFile.Read(path));
        Assert.StartsWith($"{path}: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("""{"fault4KiBSeconds": {"min": 1e-6, "p10": 1e-6, "median": 2e-6, "p90": 3e-6, "max": 4e-6}}""", "spread.fault4KiBSeconds.samples: is missing")]
    [InlineData("""{"fault4KiBSeconds": {"min": 1e-6, "p10": 3e-6, "median": 2e-6, "p90": 3e-6, "max": 4e-6, "samples": 9}}""", "spread.fault4KiBSeconds: min, p10, median, p90 and max must not decrease")]
    [InlineData("""{"fault4KiBSeconds": {"min": 0, "p10": 1e-6, "median": 2e-6, "p90": 3e-6, "max": 4e-6, "samples": 9}}""", "spread.fault4KiBSeconds.min: 0 must be positive")]
    [InlineData("""{"fault4KiBSeconds": {"min": 1e-6, "p10": 1e-6, "median": 2e-6, "p90": 3e-6, "max": 4e-6, "samples": 0}}""", "spread.fault4KiBSeconds.samples: 0 must be in 1..")]
    [InlineData("""{"faultSeconds": {}}""", "spread.faultSeconds: is not a known field")]
    public void A_bad_spread_names_its_field(string spread, string expected)
    {
        var path = FileWith(Valid.TrimEnd('}') + ", \"spread\": " + spread + "}");
        var e = Assert.Throws<ScenarioException>(() => CostsFile.Read(path));
        Assert.Equal($"{path}: {expected}", e.Message[..Math.Min(e.Message.Length, path.Length + 2 + expected.Length)]);
    }

    [Fact]
    public void Not_json_too_large_or_missing_is_refused_with_the_file_named()
    {
        var notJson = FileWith("{\"source\": ");
        Assert.StartsWith($"{notJson}: invalid JSON at line 1", Assert.Throws<ScenarioException>(() => CostsFile.Read(notJson)).Message, StringComparison.Ordinal);

        var large = FileWith(Valid.TrimEnd('}') + ", \"source2\": \"" + new string('x', (int)CostsFile.MaxFileBytes) + "\"}");
        Assert.Contains("a costs file is at most 64KiB", Assert.Throws<ScenarioException>(() => CostsFile.Read(large)).Message, StringComparison.Ordinal);

        var missing = Path.Combine(_directory, "none.json");
        Assert.Equal($"{missing}: costs file not found", Assert.Throws<ScenarioException>(() => CostsFile.Read(missing)).Message);
    }

    [Fact]
    public void The_object_form_names_the_path_it_sits_at()
    {
        using var doc = JsonDocument.Parse("""{"host": {"costs": {"fault4KiBSeconds": 1e-6, "faultHuge2MiBSeconds": 2e-4, "discard128KiBSeconds": 1e-5, "discard2MiBSeconds": -5e-6}}}""");
        var costs = doc.RootElement.GetProperty("host").GetProperty("costs");
        var e = Assert.Throws<ScenarioException>(() => CostsFile.Parse(costs, "host.costs", "scenario"));
        Assert.Equal("host.costs.discard2MiBSeconds", e.Path);

        using var good = JsonDocument.Parse(Valid);
        Assert.Equal(new UnitCosts(2.9e-6, 3.1e-4, 1.8e-5, 8e-6, "bench box"), CostsFile.Parse(good.RootElement, "host.costs", "scenario").Costs);
    }

    [Fact]
    public void Writing_invalid_figures_is_refused_and_leaves_no_file()
    {
        var path = Path.Combine(_directory, "bad.json");
        Assert.Throws<ArgumentException>(() =>
            CostsFile.Write(path, new CostsFileContent(UnitCosts.Defaults with { Discard128KiBSeconds = 0 }, new Dictionary<string, CostSpread>())));
        Assert.Empty(Directory.GetFiles(_directory));
    }
}
