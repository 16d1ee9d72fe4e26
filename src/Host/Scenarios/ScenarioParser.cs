using System.Globalization;
using System.Text;
using System.Text.Json;
using PageReportingActors.Allocator;
using PageReportingActors.Guest;
using PageReportingActors.Hypervisor;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Host.Scenarios;

/// <summary>
/// Reads a scenario file (docs/scenario-format.md) into <see cref="Scenario"/>, checking every field. Each
/// problem is a <see cref="ScenarioException"/> naming the JSON path, so a run never starts on a
/// scenario that would fail half way.
/// </summary>
public static class ScenarioParser
{
    public const int MaxCapacity = 1024;

    /// <summary>When a workload has no <c>stop</c>, the run ends this long after its last step.</summary>
    public static readonly TimeSpan ImplicitStopAfter = TimeSpan.FromSeconds(10);

    public static readonly IReadOnlyList<string> Operations =
        ["register", "unregister", "allocate", "free", "churn", "setOrder", "stop"];

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        // People write these files by hand; comments and trailing commas cost nothing to accept.
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = ScenarioBounds.MaxJsonDepth,
    };

    /// <summary>Reads a file of at most <see cref="ScenarioBounds.MaxFileBytes"/>; invalid UTF-8 is invalid JSON.</summary>
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static Scenario ParseFile(string path)
    {
        var length = new FileInfo(path).Length;
        if (length > ScenarioBounds.MaxFileBytes)
            throw new ScenarioException(path, $"is {Sizes.Format(length)}; a scenario file is at most {Sizes.Format(ScenarioBounds.MaxFileBytes)}");
        var bytes = File.ReadAllBytes(path);
        // A UTF-16 or UTF-32 file (it starts with its byte order mark) is decoded as text; the rest is read as UTF-8, byte for byte.
        if (bytes.Length >= 2 && (bytes[0] == 0xFF && bytes[1] == 0xFE || bytes[0] == 0xFE && bytes[1] == 0xFF))
            return Parse(File.ReadAllText(path), Path.GetDirectoryName(Path.GetFullPath(path)));
        var utf8 = bytes.AsMemory();
        if (utf8.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) utf8 = utf8[3..];
        // The JSON reader checks the UTF-8 of a string only when it is read; check it all here.
        try
        {
            _ = StrictUtf8.GetCharCount(utf8.Span);
        }
        catch (DecoderFallbackException e)
        {
            throw new ScenarioException(path, string.Create(CultureInfo.InvariantCulture, $"is not UTF-8 text (byte {e.Index} of the file)"));
        }
        return ParseDocument(() => JsonDocument.Parse(utf8, DocumentOptions), Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <param name="baseDirectory">Where a relative <c>host.costs</c> path is found: the scenario file's folder; null: the current folder.</param>
    public static Scenario Parse(string json, string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        return ParseDocument(() => JsonDocument.Parse(json, DocumentOptions), baseDirectory);
    }

    /// <summary>A JSON syntax error is one line naming where; a document that parses is read as a scenario.</summary>
    private static Scenario ParseDocument(Func<JsonDocument> parse, string? baseDirectory)
    {
        JsonDocument document;
        try
        {
            document = parse();
        }
        catch (JsonException e)
        {
            throw new ScenarioException("", SyntaxProblem(e));
        }
        using (document)
            return Parse(document.RootElement, baseDirectory);
    }

    /// <param name="baseDirectory">Where a relative <c>host.costs</c> path is found; null: the current folder.</param>
    public static Scenario Parse(JsonElement root, string? baseDirectory = null)
    {
        var o = Obj.Of(root, "");
        o.AllowOnly("name", "description", "seed", "guest", "reporting", "device", "host", "workload");

        var name = o.RequiredString("name");
        if (string.IsNullOrWhiteSpace(name)) throw new ScenarioException("name", "is empty");
        var seed = o.OptionalInt("seed", int.MinValue, int.MaxValue) ?? 1;
        // Free text, ignored: any length the file allows, line breaks included, but text.
        if (o.Has("description")) o.RequiredFreeText("description");

        var guest = ParseGuest(o.RequiredObject("guest"));
        var reporting = ParseReporting(o.OptionalObject("reporting"));
        var device = ParseDevice(o.OptionalObject("device"));
        var host = ParseHost(o.OptionalObject("host"), baseDirectory);
        var workload = ParseWorkload(o.Required("workload"), guest.Cpus);
        return new Scenario(name, seed, guest.Zones, reporting, device, workload)
        {
            Kernel = guest.Kernel,
            Cpus = guest.Cpus,
            Protection = guest.Protection,
            Host = host,
        };
    }

    private static string SyntaxProblem(JsonException e)
    {
        // JsonException's message carries its own "Path: … | LineNumber: …" tail; one position is enough.
        var message = e.Message;
        foreach (var marker in new[] { " Path:", " LineNumber:" })
        {
            var i = message.IndexOf(marker, StringComparison.Ordinal);
            if (i >= 0) message = message[..i];
        }
        message = OneLine(message).TrimEnd();
        var line = (e.LineNumber ?? 0) + 1;
        var position = (e.BytePositionInLine ?? 0) + 1;
        return string.Create(CultureInfo.InvariantCulture, $"invalid JSON at line {line}, position {position}: {message}");
    }

    internal static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    // ---- guest ----

    private sealed record GuestParts(IReadOnlyList<ZoneSpec> Zones, KernelProfile Kernel, int Cpus, IReadOnlyList<IReadOnlyList<long>> Protection);

    private static GuestParts ParseGuest(Obj guest)
    {
        guest.AllowOnly("zones", "memory", "kernel", "cpus");
        var hasZones = guest.Has("zones");
        var hasMemory = guest.Has("memory");
        if (hasZones && hasMemory) throw new ScenarioException(guest.Path, "give either zones or memory, not both");
        if (!hasZones && !hasMemory) throw new ScenarioException(guest.Path, "needs zones or memory");
        var kernel = ParseKernel(guest);
        var cpus = guest.OptionalInt("cpus", 1, ZoneFreeArea.MaxCpus) ?? 1;
        if (hasMemory)
        {
            // The x86 layout's zones take the kernel's own per-CPU sizing; every page of a zone is managed.
            var laidOut = ParseMemory(guest)
                .Select(z => z with { Kernel = ZoneKernelSpec.Sized(kernel, cpus, z.Pages - z.ReservedPages, z.Watermarks.Low) })
                .ToList();
            return new GuestParts(laidOut, kernel, cpus, ZoneChoice.DefaultProtection(laidOut.Select(z => z.Pages - z.ReservedPages).ToList()));
        }
        return ParseZones(guest, kernel, cpus);
    }

    private static KernelProfile ParseKernel(Obj guest)
    {
        if (!guest.Has("kernel")) return KernelProfile.Linux6_12;
        var path = guest.PathOf("kernel");
        var element = guest.Required("kernel");
        var known = string.Join(", ", KernelProfile.All.Select(p => $"\"{p.Name}\""));
        if (element.ValueKind != JsonValueKind.String) throw new ScenarioException(path, $"{Show(element)} is not a kernel ({known})");
        return KernelProfile.All.FirstOrDefault(p => p.Name == element.GetString())
            ?? throw new ScenarioException(path, $"{Show(element)} is not a kernel ({known})");
    }

    /// <summary>
    /// A zone's per-CPU list settings: the kernel's sizing for its managed pages, low watermark and
    /// CPUs, overridden by what <c>pcp</c> gives. <c>"high": 0</c> keeps no per-CPU pages.
    /// </summary>
    private static ZoneKernelSpec ParsePerCpu(Obj zone, KernelProfile kernel, int cpus, long pages, long managed, long low, long belowFree)
    {
        var sized = kernel.SizePerCpuLists(managed, low, cpus);
        var pcp = zone.OptionalObject("pcp");
        if (pcp is null) return new ZoneKernelSpec(kernel, cpus, sized);
        pcp.AllowOnly("high", "highMin", "highMax", "batch", "count");
        var batch = pcp.OptionalInt("batch", 1, int.MaxValue) ?? sized.Batch;
        var high = pcp.OptionalLong("high", 0, pages);
        var highMin = pcp.OptionalLong("highMin", 0, pages);
        var highMax = pcp.OptionalLong("highMax", 0, pages);
        var count = pcp.OptionalLong("count", 0, belowFree) ?? 0;
        PerCpuSizing sizing;
        if (high == 0 && highMin is null && highMax is null) sizing = new PerCpuSizing(batch, 0, 0, 0);
        else if (!kernel.TunesHigh)
        {
            // 6.1 keeps high where it was sized: one value.
            var fixedHigh = high ?? highMin ?? highMax ?? sized.High;
            sizing = new PerCpuSizing(batch, fixedHigh, fixedHigh, fixedHigh);
        }
        else
        {
            var min = highMin ?? Math.Min(sized.HighMin, high ?? sized.HighMin);
            var max = highMax ?? Math.Max(sized.HighMax, Math.Max(min, high ?? min));
            sizing = new PerCpuSizing(batch, min, max, high ?? min);
        }
        if (sizing.Validate() is { } error) throw new ScenarioException(pcp.Path, error);
        if (sizing.High < sizing.HighMin || sizing.High > sizing.HighMax)
            throw new ScenarioException(pcp.PathOf("high"), $"{sizing.High} is not within highMin..highMax ({sizing.HighMin}..{sizing.HighMax})");
        return new ZoneKernelSpec(kernel, cpus, sizing, count);
    }

    private static IReadOnlyList<ZoneSpec> ParseMemory(Obj guest)
    {
        var path = guest.PathOf("memory");
        var element = guest.Required("memory");
        var bytes = ReadSize(element, path);
        if (bytes < X86GuestLayout.MinimumBytes)
            throw new ScenarioException(path, $"{element.GetRawText()} is below the {Sizes.Format(X86GuestLayout.MinimumBytes)} minimum");
        if (bytes % PageSize != 0)
            throw new ScenarioException(path, $"{element.GetRawText()} is not a whole number of 4KiB pages");
        if (bytes > BytesOfPages(ScenarioBounds.MaxGuestPages))
            throw new ScenarioException(path, $"{Show(element)} is above the {Sizes.Format(BytesOfPages(ScenarioBounds.MaxGuestPages))} maximum");
        IReadOnlyList<ZoneSpec> zones;
        try
        {
            zones = X86GuestLayout.ForMemory(bytes);
        }
        catch (ArgumentException e)
        {
            throw new ScenarioException(path, OneLine(e.Message));
        }
        foreach (var zone in zones)
        {
            var error = ZoneFreeArea.Validate(zone);
            if (error is not null) throw new ScenarioException(path, $"{element.GetRawText()} gives zone {zone.Name} where {error}");
        }
        return zones;
    }

    private static GuestParts ParseZones(Obj guest, KernelProfile kernel, int cpus)
    {
        var path = guest.PathOf("zones");
        var array = guest.Required("zones");
        if (array.ValueKind != JsonValueKind.Array) throw new ScenarioException(path, $"{Show(array)} is not an array");
        if (array.GetArrayLength() == 0) throw new ScenarioException(path, "is empty");
        ScenarioBounds.CheckCount(array.GetArrayLength(), path, ScenarioBounds.MaxZones, "zones");

        var zones = new List<ZoneSpec>();
        long guestPages = 0;
        var managedPages = new List<long>();
        var givenProtection = new List<IReadOnlyList<long>?>();
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            var zonePath = $"{path}[{index}]";
            var z = Obj.Of(element, zonePath);
            z.AllowOnly("name", "startPfn", "pages", "freePages", "reservedPages", "watermarks", "managedPages", "protection", "pcp");
            var name = z.RequiredString("name");
            if (string.IsNullOrWhiteSpace(name)) throw new ScenarioException(z.PathOf("name"), "is empty");
            var start = z.RequiredLong("startPfn", 0, ScenarioBounds.MaxPfnEnd - 1);
            var pages = z.RequiredLong("pages", 1, ScenarioBounds.MaxGuestPages);
            if (start + pages > ScenarioBounds.MaxPfnEnd)
                throw new ScenarioException(z.PathOf("startPfn"), string.Create(CultureInfo.InvariantCulture,
                    $"the zone ends at pfn {start + pages}, beyond pfn {ScenarioBounds.MaxPfnEnd} ({Sizes.Format(BytesOfPages(ScenarioBounds.MaxPfnEnd))} of guest-physical address)"));
            guestPages += pages;
            if (guestPages > ScenarioBounds.MaxGuestPages)
                throw new ScenarioException(z.PathOf("pages"), string.Create(CultureInfo.InvariantCulture,
                    $"the guest's zones add up to {guestPages} pages; at most {ScenarioBounds.MaxGuestPages} ({Sizes.Format(BytesOfPages(ScenarioBounds.MaxGuestPages))})"));
            var free = z.RequiredLong("freePages", 0, pages);
            var reserved = z.OptionalLong("reservedPages", 0, pages - free) ?? 0;

            var w = z.RequiredObject("watermarks");
            w.AllowOnly("min", "low", "high");
            // A watermark is a number of the zone's pages.
            var min = w.RequiredLong("min", 0, pages);
            var low = w.RequiredLong("low", 0, pages);
            var high = w.RequiredLong("high", 0, pages);
            if (low < min) throw new ScenarioException(w.PathOf("low"), "must be >= min");
            if (high < low) throw new ScenarioException(w.PathOf("high"), "must be >= low");

            for (var j = 0; j < zones.Count; j++)
                if (zones[j].Name == name)
                    throw new ScenarioException(z.PathOf("name"), $"\"{name}\" is already the name of {path}[{j}]");
            if (zones.Count > 0)
            {
                var previous = zones[^1];
                var previousEnd = previous.StartPfn + previous.Pages;
                if (start < previous.StartPfn)
                    throw new ScenarioException(z.PathOf("startPfn"),
                        $"{start} is before {path}[{index - 1}] (startPfn {previous.StartPfn}); zones must be in pfn order");
                if (start < previousEnd)
                    throw new ScenarioException(z.PathOf("startPfn"),
                        $"{start} overlaps {path}[{index - 1}], which ends at pfn {previousEnd}");
            }

            var managed = z.OptionalLong("managedPages", 0, pages) ?? pages;
            var perCpu = ParsePerCpu(z, kernel, cpus, pages, managed, low, pages - free - reserved);
            givenProtection.Add(ParseProtection(z));
            var spec = new ZoneSpec(name, start, pages, free, new Watermarks(min, low, high), reserved, perCpu);
            var error = ZoneFreeArea.Validate(spec);
            if (error is not null) throw new ScenarioException(zonePath, error);
            zones.Add(spec);
            managedPages.Add(managed);
            index++;
        }
        var defaults = ZoneChoice.DefaultProtection(managedPages);
        var protection = givenProtection.Select((row, i) => row ?? defaults[i]).ToList();
        return new GuestParts(zones, kernel, cpus, protection);
    }

    /// <summary><c>protection</c>: zoneinfo's lowmem_reserve row, or null for the kernel's default.</summary>
    private static IReadOnlyList<long>? ParseProtection(Obj zone)
    {
        if (!zone.Has("protection") || zone.Required("protection").ValueKind == JsonValueKind.Null) return null;
        var path = zone.PathOf("protection");
        var array = zone.Required("protection");
        if (array.ValueKind != JsonValueKind.Array) throw new ScenarioException(path, $"{Show(array)} is not an array");
        if (array.GetArrayLength() is 0 or > 8) throw new ScenarioException(path, "needs 1 to 8 values, one per zone index");
        var row = new List<long>();
        var i = 0;
        foreach (var element in array.EnumerateArray())
            row.Add(ReadLong(element, $"{path}[{i++}]", 0, int.MaxValue));
        return row;
    }

    // ---- reporting, device ----

    private static ReportingPolicy ParseReporting(Obj? reporting)
    {
        if (reporting is null) return new ReportingPolicy(null, TimeSpan.FromSeconds(2), 32);
        reporting.AllowOnly("order", "delay", "capacity");
        var order = reporting.OptionalInt("order", 0, MaxOrder);
        var delay = reporting.OptionalDuration("delay") ?? TimeSpan.FromSeconds(2);
        // A zero delay would let a pass that asks for another run again at the same virtual instant, forever.
        if (delay <= TimeSpan.Zero) throw new ScenarioException(reporting.PathOf("delay"), $"{Durations.Format(delay)} must be positive");
        ScenarioBounds.CheckDuration(delay, reporting.PathOf("delay"), ScenarioBounds.MinDelay, ScenarioBounds.MaxDelay);
        var capacity = reporting.OptionalInt("capacity", 1, MaxCapacity) ?? 32;
        return new ReportingPolicy(order, delay, capacity);
    }

    private static DeviceModel ParseDevice(Obj? device)
    {
        if (device is null) return new DeviceModel(null, TimeSpan.FromMilliseconds(1), new HashSet<int>());
        device.AllowOnly("order", "latency", "failReports", "failEvery");
        var order = device.OptionalInt("order", 0, MaxOrder);
        var latency = ScenarioBounds.CheckDuration(device.OptionalDuration("latency") ?? TimeSpan.FromMilliseconds(1),
            device.PathOf("latency"), TimeSpan.Zero, ScenarioBounds.MaxLatency);

        var fails = new SortedSet<int>();
        if (device.Has("failReports") && device.Required("failReports").ValueKind != JsonValueKind.Null)
        {
            var path = device.PathOf("failReports");
            var array = device.Required("failReports");
            if (array.ValueKind != JsonValueKind.Array) throw new ScenarioException(path, $"{Show(array)} is not an array");
            ScenarioBounds.CheckCount(array.GetArrayLength(), path, ScenarioBounds.MaxFailReports, "entries");
            var i = 0;
            foreach (var element in array.EnumerateArray())
            {
                var n = ReadInt(element, $"{path}[{i}]", 1, int.MaxValue);
                if (!fails.Add(n)) throw new ScenarioException($"{path}[{i}]", $"{n} is listed twice");
                i++;
            }
        }
        var failEvery = device.OptionalInt("failEvery", 1, int.MaxValue);
        return new DeviceModel(order, latency, fails, failEvery);
    }

    // ---- host ----

    private static HostSettings ParseHost(Obj? host, string? baseDirectory)
    {
        if (host is null) return HostSettings.Default;
        host.AllowOnly("backing", "discard", "costs");
        var backing = HostSettings.Default.Backing;
        if (host.Has("backing"))
        {
            var name = host.RequiredString("backing");
            if (!HostBackings.TryParse(name, out backing))
                throw new ScenarioException(host.PathOf("backing"),
                    $"\"{name}\" is not a backing (known: {string.Join(", ", HostBackings.All.Select(b => b.Name))})");
        }
        var inhibited = false;
        if (host.Has("discard"))
        {
            inhibited = host.RequiredString("discard") switch
            {
                "on" => false,
                "inhibited" => true,
                var other => throw new ScenarioException(host.PathOf("discard"), $"\"{other}\" is not on or inhibited"),
            };
        }
        return new HostSettings(backing, inhibited, ParseCosts(host, baseDirectory));
    }

    /// <summary><c>host.costs</c>: a costs.json path (relative to the scenario's folder) or an object of the same fields.</summary>
    private static UnitCosts ParseCosts(Obj host, string? baseDirectory)
    {
        if (!host.Has("costs")) return UnitCosts.Defaults;
        var costs = host.Required("costs");
        var path = host.PathOf("costs");
        switch (costs.ValueKind)
        {
            case JsonValueKind.Null:
                return UnitCosts.Defaults;
            case JsonValueKind.String:
                var file = host.RequiredString("costs");
                if (string.IsNullOrWhiteSpace(file)) throw new ScenarioException(path, "is empty");
                try
                {
                    return Costs.CostsFile.Read(Path.GetFullPath(file, baseDirectory ?? Directory.GetCurrentDirectory()));
                }
                catch (ScenarioException e)
                {
                    throw new ScenarioException(path, $"{e.Path}: {e.Problem}");
                }
            case JsonValueKind.Object:
                return Costs.CostsFile.Parse(costs, path, "scenario").Costs;
            default:
                throw new ScenarioException(path, $"{Show(costs)} is not a costs file's path nor an object of unit costs");
        }
    }

    // ---- workload ----

    private static IReadOnlyList<WorkloadStep> ParseWorkload(JsonElement array, int cpus)
    {
        const string path = "workload";
        if (array.ValueKind != JsonValueKind.Array) throw new ScenarioException(path, $"{Show(array)} is not an array");
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
            var s = Obj.Of(element, stepPath);
            var at = ScenarioBounds.CheckTime(s.RequiredDuration("at"), s.PathOf("at"));
            var opPath = s.PathOf("op");
            var opElement = s.Required("op");
            if (opElement.ValueKind != JsonValueKind.String)
                throw new ScenarioException(opPath, $"{Show(opElement)} is not an operation ({string.Join(", ", Operations)})");
            var op = Text(opElement, opPath);

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
        return steps;
    }

    /// <summary><c>over</c>: a duration, 0 or more (default 0: all at <c>at</c>).</summary>
    private static TimeSpan Over(Obj step)
    {
        var over = step.OptionalDuration("over") ?? TimeSpan.Zero;
        if (over < TimeSpan.Zero) throw new ScenarioException(step.PathOf("over"), $"{Durations.Format(over)} must not be negative");
        return over;
    }

    /// <summary><c>chunk</c>: a positive size, a whole number of the held blocks (0 when absent: single blocks).</summary>
    private static long Chunk(Obj step, WorkloadStep holder)
    {
        if (!step.Has("chunk") || step.Required("chunk").ValueKind == JsonValueKind.Null) return 0;
        var path = step.PathOf("chunk");
        var element = step.Required("chunk");
        var bytes = ReadSize(element, path);
        var order = holder switch { AllocateStep a => a.Order, ChurnStep c => c.Order, _ => 0 };
        var block = BytesOfPages(PagesOf(order));
        if (bytes <= 0) throw new ScenarioException(path, $"{element.GetRawText()} must be positive");
        if (bytes % block != 0)
            throw new ScenarioException(path, $"{element.GetRawText()} is not a whole number of the allocation's order-{order} blocks ({Sizes.Format(block)} each)");
        return bytes;
    }

    private static string NewId(Obj step, Dictionary<string, int> holders, int index)
    {
        var id = step.RequiredString("id");
        if (string.IsNullOrWhiteSpace(id)) throw new ScenarioException(step.PathOf("id"), "is empty");
        if (holders.TryGetValue(id, out var first))
            throw new ScenarioException(step.PathOf("id"), $"\"{id}\" is already used by workload[{first}]");
        holders[id] = index;
        return id;
    }

    private static long BlockSize(Obj step, int order)
    {
        var path = step.PathOf("size");
        var element = step.Required("size");
        var bytes = ReadSize(element, path);
        if (bytes <= 0) throw new ScenarioException(path, $"{element.GetRawText()} must be positive");
        if (bytes > ScenarioBounds.MaxAllocationBytes)
            throw new ScenarioException(path, $"{Show(element)} is above the {Sizes.Format(ScenarioBounds.MaxAllocationBytes)} maximum (the guest-physical address space)");
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
                if (string.Equals(t.ToString(), Text(element, path), StringComparison.OrdinalIgnoreCase))
                    return t;
        throw new ScenarioException(path, $"{Show(element)} is not a migratetype ({string.Join(", ", allowed)})");
    }

    private static FreePattern ReadPattern(JsonElement element, string path)
    {
        var text = element.ValueKind == JsonValueKind.String ? Text(element, path) : null;
        return text switch
        {
            "all" => FreePattern.All,
            "every-other" => FreePattern.EveryOther,
            "random" => FreePattern.Random,
            _ => throw new ScenarioException(path, $"{Show(element)} is not a pattern (all, every-other, random)"),
        };
    }

    // ---- values ----

    /// <summary>A value as an error shows it: as written, cut short when long, so the error stays one readable line.</summary>
    internal static string Show(JsonElement element)
    {
        const int longest = 60;
        return element.ValueKind switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            _ when element.GetRawText() is { Length: > longest } raw => raw[..longest] + "...",
            _ => element.GetRawText(),
        };
    }

    /// <summary>A JSON string's text. JSON may escape a lone UTF-16 surrogate (<c>"\ud800"</c>), which is no text at all.</summary>
    internal static string Text(JsonElement element, string path)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new ScenarioException(path, $"{Show(element)} is not valid text (a lone UTF-16 surrogate)");
        }
    }

    private static long ReadSize(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.String && Sizes.TryParse(Text(element, path), out var bytes)) return bytes;
        var hint = element.ValueKind == JsonValueKind.String ? Sizes.Suggest(Text(element, path)) : null;
        throw new ScenarioException(path, hint is null
            ? $"{Show(element)} is not a size (a number and B, KiB, MiB or GiB, such as 512MiB)"
            : $"{Show(element)} is not a size; write it as {hint}");
    }

    internal static TimeSpan ReadDuration(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.String && Durations.TryParse(Text(element, path), out var d)) return d;
        throw new ScenarioException(path, $"{Show(element)} is not a duration");
    }

    internal static long ReadLong(JsonElement element, string path, long min, long max)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var value))
            throw new ScenarioException(path, $"{Show(element)} is not an integer");
        if (value < min && max is long.MaxValue or int.MaxValue)
            throw new ScenarioException(path, string.Create(CultureInfo.InvariantCulture, $"{value} must be >= {min}"));
        if (value < min || value > max)
            throw new ScenarioException(path, string.Create(CultureInfo.InvariantCulture, $"{value} must be in {min}..{max}"));
        return value;
    }

    internal static int ReadInt(JsonElement element, string path, int min, int max) => (int)ReadLong(element, path, min, max);

    /// <summary>One JSON object and its path, with typed reads that name the field on failure.</summary>
    private sealed class Obj
    {
        private readonly JsonElement _element;

        private Obj(JsonElement element, string path)
        {
            _element = element;
            Path = path;
        }

        public string Path { get; }

        public static Obj Of(JsonElement element, string path)
        {
            if (element.ValueKind != JsonValueKind.Object)
                throw new ScenarioException(path, path.Length == 0 ? "the document is not a JSON object" : $"{Show(element)} is not an object");
            var obj = new Obj(element, path);
            // The same field twice: which one counts would be a guess, so the file is refused.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in element.EnumerateObject())
            {
                string name;
                try
                {
                    name = property.Name;
                }
                catch (InvalidOperationException)
                {
                    throw new ScenarioException(path, "a field name is not valid text (a lone UTF-16 surrogate)");
                }
                if (!seen.Add(name)) throw new ScenarioException(obj.PathOf(name), "is given twice");
            }
            return obj;
        }

        public string PathOf(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

        public bool Has(string name) => _element.TryGetProperty(name, out _);

        /// <summary>Unknown fields are errors: a misspelt optional field would otherwise be silently ignored.</summary>
        public void AllowOnly(params string[] names)
        {
            foreach (var property in _element.EnumerateObject())
                if (Array.IndexOf(names, property.Name) < 0)
                    throw new ScenarioException(PathOf(property.Name), $"is not a known field (known: {string.Join(", ", names)})");
        }

        public JsonElement Required(string name) =>
            _element.TryGetProperty(name, out var value) ? value : throw new ScenarioException(PathOf(name), "is missing");

        private JsonElement? Optional(string name) =>
            _element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

        public Obj RequiredObject(string name) => Of(Required(name), PathOf(name));

        public Obj? OptionalObject(string name) => Optional(name) is { } v ? Of(v, PathOf(name)) : null;

        public string RequiredString(string name)
        {
            var value = Required(name);
            return value.ValueKind == JsonValueKind.String
                ? ScenarioBounds.CheckText(Text(value, PathOf(name)), PathOf(name))
                : throw new ScenarioException(PathOf(name), $"{Show(value)} is not a string");
        }

        public string RequiredFreeText(string name)
        {
            var value = Required(name);
            return value.ValueKind == JsonValueKind.String
                ? Text(value, PathOf(name))
                : throw new ScenarioException(PathOf(name), $"{Show(value)} is not a string");
        }

        public long RequiredLong(string name, long min, long max) => ReadLong(Required(name), PathOf(name), min, max);

        public long? OptionalLong(string name, long min, long max) =>
            Optional(name) is { } v ? ReadLong(v, PathOf(name), min, max) : null;

        public int RequiredInt(string name, int min, int max) => ReadInt(Required(name), PathOf(name), min, max);

        public int? OptionalInt(string name, int min, int max) =>
            Optional(name) is { } v ? ReadInt(v, PathOf(name), min, max) : null;

        public double? OptionalDouble(string name)
        {
            if (Optional(name) is not { } v) return null;
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d))
                throw new ScenarioException(PathOf(name), $"{Show(v)} is not a number");
            return d;
        }

        public TimeSpan RequiredDuration(string name) => ReadDuration(Required(name), PathOf(name));

        public TimeSpan? OptionalDuration(string name) =>
            Optional(name) is { } v ? ReadDuration(v, PathOf(name)) : null;
    }
}
