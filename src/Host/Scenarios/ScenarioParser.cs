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
internal static class ScenarioParser
{
    public const int MaxCapacity = 1024;

    /// <summary>Reads a scenario file (bounded as <see cref="JsonInput.ReadFileText"/> reads every input file).</summary>
    /// <remarks>A relative <c>host.costs</c> path is found beside the file.</remarks>
    public static Scenario ParseFile(string path) =>
        Parse(JsonInput.ReadFileText(path, "scenario"), Path.GetDirectoryName(Path.GetFullPath(path)));

    /// <param name="json">The scenario's text.</param>
    /// <param name="baseDirectory">Where a relative <c>host.costs</c> path is found; null: the current folder.</param>
    public static Scenario Parse(string json, string? baseDirectory = null)
    {
        using var document = JsonInput.Parse(json);
        return Parse(document.RootElement, baseDirectory);
    }

    /// <param name="root">The scenario object.</param>
    /// <param name="baseDirectory">Where a relative <c>host.costs</c> path is found; null: the current folder.</param>
    public static Scenario Parse(JsonElement root, string? baseDirectory = null)
    {
        var o = Fields.Of(root, "");
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
        var workload = WorkloadParser.Parse(o.Required("workload"), guest.Cpus, out var stopGiven);
        return new Scenario(name, seed, guest.Zones, reporting, device, workload)
        {
            Kernel = guest.Kernel,
            Cpus = guest.Cpus,
            Protection = guest.Protection,
            StopGiven = stopGiven,
            Host = host,
        };
    }

    // ---- guest ----

    private sealed record GuestParts(IReadOnlyList<ZoneSpec> Zones, KernelProfile Kernel, int Cpus, IReadOnlyList<IReadOnlyList<long>> Protection);

    private static GuestParts ParseGuest(Fields guest)
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
            var laidOut = ParseMemory(guest, kernel, cpus);
            return new GuestParts(laidOut, kernel, cpus, ZoneChoice.DefaultProtection(laidOut.Select(z => z.Pages - z.ReservedPages).ToList()));
        }
        return ParseZones(guest, kernel, cpus);
    }

    private static KernelProfile ParseKernel(Fields guest)
    {
        if (!guest.Has("kernel")) return KernelProfile.Linux6_12;
        var path = guest.PathOf("kernel");
        var element = guest.Required("kernel");
        var known = string.Join(", ", KernelProfile.All.Select(p => $"\"{p.Name}\""));
        if (element.ValueKind != JsonValueKind.String) throw new ScenarioException(path, $"{JsonInput.Show(element)} is not a kernel ({known})");
        return KernelProfile.All.FirstOrDefault(p => p.Name == element.GetString())
            ?? throw new ScenarioException(path, $"{JsonInput.Show(element)} is not a kernel ({known})");
    }

    /// <summary>
    /// A zone's per-CPU list settings: the kernel's sizing for its managed pages, low watermark and
    /// CPUs, overridden by what <c>pcp</c> gives. <c>"high": 0</c> keeps no per-CPU pages.
    /// </summary>
    private static ZoneKernelSpec ParsePerCpu(Fields zone, KernelProfile kernel, int cpus, long pages, long managed, long low, long belowFree)
    {
        var sized = kernel.SizePerCpuLists(managed, low, cpus);
        var pcp = zone.OptionalObject("pcp");
        if (pcp is null) return new ZoneKernelSpec(kernel, cpus, sized);
        pcp.AllowOnly("high", "highMin", "highMax", "batch", "count");
        var batch = pcp.OptionalInt("batch", 1, int.MaxValue);
        var high = pcp.OptionalLong("high", 0, pages);
        var highMin = pcp.OptionalLong("highMin", 0, pages);
        var highMax = pcp.OptionalLong("highMax", 0, pages);
        var count = pcp.OptionalLong("count", 0, belowFree) ?? 0;
        var sizing = kernel.WithGiven(sized, batch, high, highMin, highMax);
        if (sizing.Validate() is { } error) throw new ScenarioException(pcp.Path, error);
        if (sizing.High < sizing.HighMin || sizing.High > sizing.HighMax)
            throw new ScenarioException(pcp.PathOf("high"), $"{sizing.High} is not within highMin..highMax ({sizing.HighMin}..{sizing.HighMax})");
        return new ZoneKernelSpec(kernel, cpus, sizing, count);
    }

    private static IReadOnlyList<ZoneSpec> ParseMemory(Fields guest, KernelProfile kernel, int cpus)
    {
        var path = guest.PathOf("memory");
        var element = guest.Required("memory");
        var bytes = JsonInput.ReadSize(element, path);
        if (bytes < X86GuestLayout.MinimumBytes)
            throw new ScenarioException(path, $"{element.GetRawText()} is below the {Sizes.Format(X86GuestLayout.MinimumBytes)} minimum");
        if (bytes % PageSize != 0)
            throw new ScenarioException(path, $"{element.GetRawText()} is not a whole number of 4KiB pages");
        if (bytes > BytesOfPages(ScenarioBounds.MaxGuestPages))
            throw new ScenarioException(path, $"{JsonInput.Show(element)} is above the {Sizes.Format(BytesOfPages(ScenarioBounds.MaxGuestPages))} maximum");
        IReadOnlyList<ZoneSpec> zones;
        try
        {
            zones = X86GuestLayout.ForMemory(bytes, kernel, cpus);
        }
        catch (ArgumentException e)
        {
            throw new ScenarioException(path, JsonInput.OneLine(e.Message));
        }
        foreach (var zone in zones)
        {
            var error = ZoneFreeArea.Validate(zone);
            if (error is not null) throw new ScenarioException(path, $"{element.GetRawText()} gives zone {zone.Name} where {error}");
        }
        return zones;
    }

    private static GuestParts ParseZones(Fields guest, KernelProfile kernel, int cpus)
    {
        var path = guest.PathOf("zones");
        var array = guest.Required("zones");
        if (array.ValueKind != JsonValueKind.Array) throw new ScenarioException(path, $"{JsonInput.Show(array)} is not an array");
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
            var z = Fields.Of(element, zonePath);
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
    private static IReadOnlyList<long>? ParseProtection(Fields zone)
    {
        if (!zone.Has("protection") || zone.Required("protection").ValueKind == JsonValueKind.Null) return null;
        var path = zone.PathOf("protection");
        var array = zone.Required("protection");
        if (array.ValueKind != JsonValueKind.Array) throw new ScenarioException(path, $"{JsonInput.Show(array)} is not an array");
        if (array.GetArrayLength() is 0 or > 8) throw new ScenarioException(path, "needs 1 to 8 values, one per zone index");
        var row = new List<long>();
        var i = 0;
        foreach (var element in array.EnumerateArray())
            row.Add(JsonInput.ReadLong(element, $"{path}[{i++}]", 0, int.MaxValue));
        return row;
    }

    // ---- reporting, device ----

    private static ReportingPolicy ParseReporting(Fields? reporting)
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

    private static DeviceModel ParseDevice(Fields? device)
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
            if (array.ValueKind != JsonValueKind.Array) throw new ScenarioException(path, $"{JsonInput.Show(array)} is not an array");
            ScenarioBounds.CheckCount(array.GetArrayLength(), path, ScenarioBounds.MaxFailReports, "entries");
            var i = 0;
            foreach (var element in array.EnumerateArray())
            {
                var n = JsonInput.ReadInt(element, $"{path}[{i}]", 1, int.MaxValue);
                if (!fails.Add(n)) throw new ScenarioException($"{path}[{i}]", $"{n} is listed twice");
                i++;
            }
        }
        var failEvery = device.OptionalInt("failEvery", 1, int.MaxValue);
        return new DeviceModel(order, latency, fails, failEvery);
    }

    // ---- host ----

    private static HostSettings ParseHost(Fields? host, string? baseDirectory)
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
    private static UnitCosts ParseCosts(Fields host, string? baseDirectory)
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
                throw new ScenarioException(path, $"{JsonInput.Show(costs)} is not a costs file's path nor an object of unit costs");
        }
    }
}
