using System.Globalization;
using System.Text.Json;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Host.Scenarios;

/// <summary>
/// Reads a scenario's <c>workload</c>: its steps in time order, each checked against the guest
/// (its CPUs) and the steps before it (ids held, one stop at the end).
/// </summary>
internal static class WorkloadParser
{
    /// <summary>The operations a step may name.</summary>
    public static readonly IReadOnlyList<string> Operations =
        ["register", "unregister", "allocate", "free", "churn", "setOrder", "stop"];

    /// <summary>When a workload has no <c>stop</c>, the run ends this long after its last step.</summary>
    public static readonly TimeSpan ImplicitStopAfter = TimeSpan.FromSeconds(10);

    /// <summary>The steps of <paramref name="array"/>, ending with a stop (its own, or one 10 s after the last step); <paramref name="stopGiven"/> says which.</summary>
    public static IReadOnlyList<WorkloadStep> Parse(JsonElement array, int cpus, out bool stopGiven)
    {
        const string path = "workload";
        if (array.ValueKind != JsonValueKind.Array) throw new ScenarioException(path, $"{JsonInput.Show(array)} is not an array");
        if (array.GetArrayLength() == 0) throw new ScenarioException(path, "is empty");
        ScenarioBounds.CheckCount(array.GetArrayLength(), path, ScenarioBounds.MaxSteps, "steps");

        var steps = new List<WorkloadStep>();
        // Which step first holds each id, so a free can name an earlier allocation and ids stay unique.
        var holders = new Dictionary<string, int>(StringComparer.Ordinal);
        int? stopIndex = null;
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            var stepPath = $"{path}[{index}]";
            var s = Fields.Of(element, stepPath);
            var at = ScenarioBounds.CheckTime(s.RequiredDuration("at"), s.PathOf("at"));
            var opPath = s.PathOf("op");
            var opElement = s.Required("op");
            if (opElement.ValueKind != JsonValueKind.String)
                throw new ScenarioException(opPath, $"{JsonInput.Show(opElement)} is not an operation ({string.Join(", ", Operations)})");
            var op = JsonInput.Text(opElement, opPath);

            if (stopIndex is { } stopAt)
                throw new ScenarioException(stepPath, $"comes after the stop at {path}[{stopAt}]; stop must be the last step");
            if (steps.Count > 0 && at < steps[^1].At)
                throw new ScenarioException(s.PathOf("at"),
                    $"{Durations.Format(at)} is before the previous step ({Durations.Format(steps[^1].At)})");

            // Every step may name its CPU; it must be one of the guest's.
            var cpu = s.OptionalInt("cpu", 0, cpus - 1) ?? 0;
            WorkloadStep step;
            switch (op)
            {
                case "register":
                    s.AllowOnly("at", "op", "cpu");
                    step = new RegisterStep(at);
                    break;
                case "unregister":
                    s.AllowOnly("at", "op", "cpu");
                    step = new UnregisterStep(at);
                    break;
                case "allocate":
                {
                    s.AllowOnly("at", "op", "cpu", "id", "size", "order", "migratetype", "over");
                    var id = NewId(s, holders, index);
                    var order = s.OptionalInt("order", 0, MaxOrder) ?? 0;
                    var size = BlockSize(s, order);
                    var type = s.Has("migratetype") ? ReadMigratetype(s.Required("migratetype"), s.PathOf("migratetype")) : Migratetype.Movable;
                    step = new AllocateStep(at, id, size, order, type) { Over = Over(s) };
                    break;
                }
                case "free":
                {
                    s.AllowOnly("at", "op", "cpu", "id", "fraction", "pattern", "over", "chunk");
                    var id = s.RequiredString("id");
                    if (!holders.ContainsKey(id))
                        throw new ScenarioException(s.PathOf("id"), $"\"{id}\" is not allocated by an earlier allocate or churn step");
                    var fraction = s.OptionalDouble("fraction") ?? 1.0;
                    if (!(fraction > 0 && fraction <= 1))
                        throw new ScenarioException(s.PathOf("fraction"), $"{s.Required("fraction").GetRawText()} must be in (0, 1]");
                    var pattern = s.Has("pattern") ? ReadPattern(s.Required("pattern"), s.PathOf("pattern")) : FreePattern.All;
                    step = new FreeStep(at, id, fraction, pattern) { Over = Over(s), ChunkBytes = Chunk(s, steps[holders[id]]) };
                    break;
                }
                case "churn":
                {
                    s.AllowOnly("at", "op", "cpu", "id", "size", "order", "period", "until");
                    var id = NewId(s, holders, index);
                    var order = s.OptionalInt("order", 0, MaxOrder) ?? 0;
                    var size = BlockSize(s, order);
                    var period = s.RequiredDuration("period");
                    if (period <= TimeSpan.Zero) throw new ScenarioException(s.PathOf("period"), $"{Durations.Format(period)} must be positive");
                    ScenarioBounds.CheckDuration(period, s.PathOf("period"), ScenarioBounds.MinPeriod, ScenarioBounds.MaxTime);
                    var until = ScenarioBounds.CheckTime(s.RequiredDuration("until"), s.PathOf("until"));
                    if (until <= at)
                        throw new ScenarioException(s.PathOf("until"), $"{Durations.Format(until)} must be after at ({Durations.Format(at)})");
                    var rounds = (until - at).Ticks / period.Ticks;
                    if (rounds > ScenarioBounds.MaxChurnRounds)
                        throw new ScenarioException(s.PathOf("period"), string.Create(CultureInfo.InvariantCulture,
                            $"{Durations.Format(period)} from {Durations.Format(at)} until {Durations.Format(until)} is {rounds} rounds; at most {ScenarioBounds.MaxChurnRounds} (a longer period or an earlier until)"));
                    step = new ChurnStep(at, id, size, order, period, until);
                    break;
                }
                case "setOrder":
                    s.AllowOnly("at", "op", "cpu", "value");
                    step = new SetOrderStep(at, s.RequiredInt("value", 0, MaxOrder));
                    break;
                case "stop":
                    s.AllowOnly("at", "op", "cpu");
                    step = new StopStep(at);
                    stopIndex = index;
                    break;
                default:
                    throw new ScenarioException(opPath, $"\"{op}\" is not an operation ({string.Join(", ", Operations)})");
            }
            steps.Add(cpu == 0 ? step : step with { Cpu = cpu });
            index++;
        }

        if (stopIndex is null)
        {
            // Without a stop, end 10 s after the last thing the workload does (a churn acts until its end).
            var last = steps.Max(st => st is ChurnStep c ? c.Until : st.At);
            if (last + ImplicitStopAfter > ScenarioBounds.MaxTime)
                throw new ScenarioException(path, $"ends at {Durations.Format(last + ImplicitStopAfter)} (10s after its last step), after {Durations.Format(ScenarioBounds.MaxTime)}; add a stop");
            steps.Add(new StopStep(last + ImplicitStopAfter));
        }
        stopGiven = stopIndex is not null;
        return steps;
    }

    /// <summary><c>over</c>: a duration, 0 or more (default 0: all at <c>at</c>).</summary>
    private static TimeSpan Over(Fields step)
    {
        var over = step.OptionalDuration("over") ?? TimeSpan.Zero;
        if (over < TimeSpan.Zero) throw new ScenarioException(step.PathOf("over"), $"{Durations.Format(over)} must not be negative");
        return over;
    }

    /// <summary><c>chunk</c>: a positive size, a whole number of the held blocks (0 when absent: single blocks).</summary>
    private static long Chunk(Fields step, WorkloadStep holder)
    {
        if (!step.Has("chunk") || step.Required("chunk").ValueKind == JsonValueKind.Null) return 0;
        var path = step.PathOf("chunk");
        var element = step.Required("chunk");
        var bytes = JsonInput.ReadSize(element, path);
        var order = holder switch { AllocateStep a => a.Order, ChurnStep c => c.Order, _ => 0 };
        var block = BytesOfPages(PagesOf(order));
        if (bytes <= 0) throw new ScenarioException(path, $"{element.GetRawText()} must be positive");
        if (bytes % block != 0)
            throw new ScenarioException(path, $"{element.GetRawText()} is not a whole number of the allocation's order-{order} blocks ({Sizes.Format(block)} each)");
        return bytes;
    }

    private static string NewId(Fields step, Dictionary<string, int> holders, int index)
    {
        var id = step.RequiredString("id");
        if (string.IsNullOrWhiteSpace(id)) throw new ScenarioException(step.PathOf("id"), "is empty");
        if (holders.TryGetValue(id, out var first))
            throw new ScenarioException(step.PathOf("id"), $"\"{id}\" is already used by workload[{first}]");
        holders[id] = index;
        return id;
    }

    private static long BlockSize(Fields step, int order)
    {
        var path = step.PathOf("size");
        var element = step.Required("size");
        var bytes = JsonInput.ReadSize(element, path);
        if (bytes <= 0) throw new ScenarioException(path, $"{element.GetRawText()} must be positive");
        if (bytes > ScenarioBounds.MaxAllocationBytes)
            throw new ScenarioException(path, $"{JsonInput.Show(element)} is above the {Sizes.Format(ScenarioBounds.MaxAllocationBytes)} maximum (the guest-physical address space)");
        var block = BytesOfPages(PagesOf(order));
        if (bytes % block != 0)
            throw new ScenarioException(path, $"{element.GetRawText()} is not a whole number of order-{order} blocks ({Sizes.Format(block)} each)");
        return bytes;
    }

    private static Migratetype ReadMigratetype(JsonElement element, string path)
    {
        var allowed = Enum.GetValues<Migratetype>().Where(t => t != Migratetype.Isolate).ToArray();
        if (element.ValueKind == JsonValueKind.String)
            foreach (var t in allowed)
                if (string.Equals(t.ToString(), JsonInput.Text(element, path), StringComparison.OrdinalIgnoreCase))
                    return t;
        throw new ScenarioException(path, $"{JsonInput.Show(element)} is not a migratetype ({string.Join(", ", allowed)})");
    }

    private static FreePattern ReadPattern(JsonElement element, string path)
    {
        var text = element.ValueKind == JsonValueKind.String ? JsonInput.Text(element, path) : null;
        return text switch
        {
            "all" => FreePattern.All,
            "every-other" => FreePattern.EveryOther,
            "random" => FreePattern.Random,
            _ => throw new ScenarioException(path, $"{JsonInput.Show(element)} is not a pattern (all, every-other, random)"),
        };
    }
}
