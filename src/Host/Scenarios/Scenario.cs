using PageReportingActors.Memory;
using PageReportingActors.Messages;

namespace PageReportingActors.Host.Scenarios;

/// <summary>A scenario as docs/scenario-format.md describes it, parsed and validated. Times are virtual.</summary>
public sealed record Scenario(
    string Name,
    int Seed,
    IReadOnlyList<ZoneSpec> Zones,
    ReportingPolicy Reporting,
    DeviceModel Device,
    IReadOnlyList<WorkloadStep> Workload);

/// <summary><c>reporting</c>: the configured order (null: unset, R18), the delay and the capacity.</summary>
public sealed record ReportingPolicy(int? Order, TimeSpan Delay, int Capacity);

/// <summary><c>device</c>: the order the device asks for, how long a report takes, which report calls fail (1-based).</summary>
public sealed record DeviceModel(int? Order, TimeSpan Latency, IReadOnlySet<int> FailReports, int? FailEvery = null);

public enum FreePattern { All, EveryOther, Random }

/// <summary>One workload step at a virtual time.</summary>
public abstract record WorkloadStep(TimeSpan At);

public sealed record RegisterStep(TimeSpan At) : WorkloadStep(At);
public sealed record UnregisterStep(TimeSpan At) : WorkloadStep(At);
public sealed record AllocateStep(TimeSpan At, string Id, long SizeBytes, int Order, Migratetype Migratetype) : WorkloadStep(At);
public sealed record FreeStep(TimeSpan At, string Id, double Fraction, FreePattern Pattern) : WorkloadStep(At);
public sealed record ChurnStep(TimeSpan At, string Id, long SizeBytes, int Order, TimeSpan Period, TimeSpan Until) : WorkloadStep(At);
public sealed record SetOrderStep(TimeSpan At, int Value) : WorkloadStep(At);
public sealed record StopStep(TimeSpan At) : WorkloadStep(At);
