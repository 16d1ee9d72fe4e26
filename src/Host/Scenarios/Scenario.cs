using PageReportingActors.Hypervisor;
using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors.Host.Scenarios;

/// <summary>A scenario as docs/scenario-format.md describes it, parsed and validated. Times are virtual.</summary>
internal sealed record Scenario(
    string Name,
    int Seed,
    IReadOnlyList<ZoneSpec> Zones,
    ReportingPolicy Reporting,
    DeviceModel Device,
    IReadOnlyList<WorkloadStep> Workload)
{
    /// <summary><c>guest.kernel</c>: whose rules apply where Linux changed them (per-CPU lists, R23).</summary>
    public KernelProfile Kernel { get; init; } = KernelProfile.Linux6_12;

    /// <summary><c>guest.cpus</c>: vCPUs, each with its own per-CPU lists.</summary>
    public int Cpus { get; init; } = 1;

    /// <summary>
    /// Per zone, its lowmem_reserve against an allocation whose highest zone is the column's index
    /// (zoneinfo's <c>protection</c>); empty: the kernel's default sizing from the zones' managed pages.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<long>> Protection { get; init; } = [];

    /// <summary><c>host</c>: how the host backs guest memory, whether it discards, what its operations cost.</summary>
    public HostSettings Host { get; init; } = HostSettings.Default;

    /// <summary>Whether the workload ends with a <c>stop</c> of its own (false: the parser added one, 10 s after the last step).</summary>
    public bool StopGiven { get; init; }
}

/// <summary><c>reporting</c>: the configured order (null: unset, R18), the delay and the capacity.</summary>
internal sealed record ReportingPolicy(int? Order, TimeSpan Delay, int Capacity);

/// <summary><c>device</c>: the order the device asks for, how long a report takes, which report calls fail (1-based).</summary>
internal sealed record DeviceModel(int? Order, TimeSpan Latency, IReadOnlySet<int> FailReports, int? FailEvery = null);

internal enum FreePattern { All, EveryOther, Random }

/// <summary>One workload step at a virtual time, run on vCPU <see cref="Cpu"/>.</summary>
internal abstract record WorkloadStep(TimeSpan At)
{
    /// <summary><c>cpu</c>: whose per-CPU lists the step's frees and allocations use (default 0).</summary>
    public int Cpu { get; init; }
}

internal sealed record RegisterStep(TimeSpan At) : WorkloadStep(At);
internal sealed record UnregisterStep(TimeSpan At) : WorkloadStep(At);
/// <summary><c>Over</c>: the blocks are taken evenly spread over this time from <c>At</c>.</summary>
internal sealed record AllocateStep(TimeSpan At, string Id, long SizeBytes, int Order, Migratetype Migratetype) : WorkloadStep(At)
{
    public TimeSpan Over { get; init; }
}

/// <summary><c>Over</c>: the frees are spread evenly over this time; <c>ChunkBytes</c>: the pattern chooses among runs of this size (0: single blocks).</summary>
internal sealed record FreeStep(TimeSpan At, string Id, double Fraction, FreePattern Pattern) : WorkloadStep(At)
{
    public TimeSpan Over { get; init; }
    public long ChunkBytes { get; init; }
}
internal sealed record ChurnStep(TimeSpan At, string Id, long SizeBytes, int Order, TimeSpan Period, TimeSpan Until) : WorkloadStep(At);
internal sealed record SetOrderStep(TimeSpan At, int Value) : WorkloadStep(At);
internal sealed record StopStep(TimeSpan At) : WorkloadStep(At);
