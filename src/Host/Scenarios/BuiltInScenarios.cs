namespace PageReportingActors.Host.Scenarios;

/// <summary>A scenario shipped inside the host, runnable by name.</summary>
internal sealed record BuiltInScenario(string Name, string Description);

/// <summary>
/// The scenarios embedded from Scenarios/BuiltIn/*.json. Descriptions live here, not in the JSON,
/// so that qemu-1g-free512 stays a byte-for-byte copy of the reference scenario.
/// </summary>
internal static class BuiltInScenarios
{
    public const string DefaultName = "default";

    private const string ResourcePrefix = "BuiltIn.";
    private const string ResourceSuffix = ".json";

    /// <summary>In the order <c>scenarios</c> lists them.</summary>
    public static IReadOnlyList<BuiltInScenario> All { get; } =
    [
        new(DefaultName, "1 GiB guest touches 512 MiB at 10 s and frees it at 15 s"),
        new("qemu-1g-free512", "the QEMU reference run: 1 GiB Linux 6.1 guest allocates 512 MiB at 11 s, unmaps it over 0.2 s from 16 s"),
        new("idle-64g", "idle 64 GiB guest: the initial passes report its free memory"),
        new("churn-10min", "4 GiB guest keeps 1 GiB base and churns 1 GiB of order-0 pages every 5 s for 10 min"),
        new("failing-device", "4 GiB guest frees GiBs while every 10th report call fails"),
        new("reregister-during-pass", "16 GiB guest unregisters and registers the device again right after a pass starts"),
        new("order-change", "4 GiB guest frees order-5 blocks, then lowers the reporting order to 5 at run time"),
        new("retouch", "1 GiB 6.12 guest touches 512 MiB, frees it, and 20 s later touches 256 MiB again: what the host pays to give memory back"),
    ];

    public static IReadOnlyList<string> Names { get; } = All.Select(s => s.Name).ToArray();

    public static bool Exists(string name) => Names.Contains(name, StringComparer.Ordinal);

    /// <summary>The scenario's JSON text as shipped.</summary>
    public static string GetJson(string name)
    {
        if (!Exists(name)) throw new ArgumentException($"unknown scenario \"{name}\"; known: {string.Join(", ", Names)}", nameof(name));
        using var stream = typeof(BuiltInScenarios).Assembly.GetManifestResourceStream(ResourcePrefix + name + ResourceSuffix)
            ?? throw new InvalidOperationException($"built-in scenario \"{name}\" is not embedded in {typeof(BuiltInScenarios).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static Scenario Load(string name) => ScenarioParser.Parse(GetJson(name));

    /// <summary>Names of the embedded resources, to check them against <see cref="All"/>.</summary>
    public static IReadOnlyList<string> EmbeddedNames() =>
        typeof(BuiltInScenarios).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(ResourceSuffix, StringComparison.Ordinal))
            .Select(n => n[ResourcePrefix.Length..^ResourceSuffix.Length])
            .Order(StringComparer.Ordinal)
            .ToArray();
}
