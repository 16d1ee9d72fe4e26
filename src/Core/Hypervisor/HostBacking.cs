namespace PageReportingActors.Hypervisor;

/// <summary>How the host backs guest memory (a scenario's <c>host.backing</c>).</summary>
public enum HostBacking
{
    /// <summary><c>4KiB</c>: anonymous memory on 4 KiB pages (the default).</summary>
    Pages4KiB,
    /// <summary><c>thp</c>: anonymous memory on transparent huge pages, 2 MiB frames that a partial discard splits.</summary>
    Thp,
    /// <summary><c>hugetlb-2MiB</c>: hugetlbfs with 2 MiB pages.</summary>
    Hugetlb2MiB,
    /// <summary><c>hugetlb-1GiB</c>: hugetlbfs with 1 GiB pages.</summary>
    Hugetlb1GiB,
}

/// <summary>The names and frame sizes of <see cref="HostBacking"/>.</summary>
public static class HostBackings
{
    /// <summary>Every backing by its scenario name, in the order the docs list them.</summary>
    public static IReadOnlyList<(string Name, HostBacking Backing)> All { get; } =
    [
        ("4KiB", HostBacking.Pages4KiB),
        ("thp", HostBacking.Thp),
        ("hugetlb-2MiB", HostBacking.Hugetlb2MiB),
        ("hugetlb-1GiB", HostBacking.Hugetlb1GiB),
    ];

    /// <summary>The scenario name of <paramref name="backing"/>.</summary>
    public static string Name(HostBacking backing) => All.First(b => b.Backing == backing).Name;

    /// <summary>The backing a scenario names, matched exactly; false for anything else.</summary>
    public static bool TryParse(string name, out HostBacking backing)
    {
        foreach (var (n, b) in All)
        {
            if (!string.Equals(n, name, StringComparison.Ordinal)) continue;
            backing = b;
            return true;
        }
        backing = default;
        return false;
    }

    /// <summary>log2 of the guest pages (4 KiB) in one host frame: 0, 9, 9 or 18.</summary>
    public static int FrameOrder(HostBacking backing) => backing switch
    {
        HostBacking.Pages4KiB => 0,
        HostBacking.Thp or HostBacking.Hugetlb2MiB => 9,
        HostBacking.Hugetlb1GiB => 18,
        _ => throw new ArgumentOutOfRangeException(nameof(backing), backing, "unknown backing"),
    };
}

/// <summary>
/// A scenario's <c>host</c>: how guest memory is backed, whether QEMU discards what is reported
/// (<c>discard: inhibited</c> while VFIO, postcopy or page poisoning is active), and the unit costs.
/// </summary>
/// <param name="Backing">The host's pages under guest memory.</param>
/// <param name="DiscardInhibited">Reports are acknowledged, nothing is discarded.</param>
/// <param name="Costs">Seconds of host CPU per fault and discard.</param>
public sealed record HostSettings(HostBacking Backing, bool DiscardInhibited, UnitCosts Costs)
{
    /// <summary>4 KiB pages, discards on, the reference machine's costs.</summary>
    public static HostSettings Default { get; } = new(HostBacking.Pages4KiB, false, UnitCosts.Defaults);
}
