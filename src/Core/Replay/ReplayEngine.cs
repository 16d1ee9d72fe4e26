using PageReportingActors.Allocator;
using PageReportingActors.Memory;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Replay;

/// <summary>What applying one event did that the rest of the guest must hear of.</summary>
internal enum ReplayEffectKind : byte
{
    /// <summary>Nothing outside the zone changed (a refill, a batched second trace, a free onto a per-CPU list).</summary>
    None,
    /// <summary>The block went to its user: it becomes resident on the host.</summary>
    GivenToUser,
    /// <summary>The block reached the buddy lists; <see cref="ReplayEffect.Block"/> is the merged block (R5 notifies at the reporting order or above).</summary>
    FreedToBuddy,
    /// <summary>The event touches a block lent to the device: it waits in the zone's queue until <see cref="ReplayEngine.ApplyDeferred"/>.</summary>
    Deferred,
    /// <summary>The event's block lies outside every zone, or on reserved pages: skipped and counted.</summary>
    Skipped,
}

/// <summary>The outcome of one event: which zone, and what the host must know.</summary>
internal readonly record struct ReplayEffect(ReplayEffectKind Kind, int Zone, Block Block)
{
    /// <summary>Whether this effect notifies the reporter (R5): a block that reached the buddy lists at <paramref name="reportingOrder"/> or above.</summary>
    public bool Notifies(int reportingOrder) => Kind == ReplayEffectKind.FreedToBuddy && Block.Order >= reportingOrder;
}

/// <summary>
/// Applies a guest's kmem trace to its zones, the kernel's meaning of each event (SCENARIOS
/// "Replays"): <c>mm_page_alloc_zone_locked</c> takes the block off the buddy lists (split as an
/// allocation splits) onto the CPU's list (<c>percpu_refill=1</c>) or towards its user;
/// <c>mm_page_alloc</c> hands it to its user; <c>mm_page_free</c> takes it back onto the CPU's
/// list when the kernel keeps its order there (0-3 and 9), else onto the buddy lists (merging);
/// <c>mm_page_free_batched</c>, the second trace of a batched free, changes nothing;
/// <c>mm_page_pcpu_drain</c> moves it from its list to the buddy lists.
/// </summary>
/// <remarks>
/// Per-CPU pages are allocated blocks in <see cref="ZoneFreeArea"/> (off the buddy lists, not
/// counted free, never reported) marked with their CPU here: the trace says what moves, so the
/// lists' order does not matter, only membership. Contradictions are applied as the truth and
/// counted. An event that touches a block lent to the device cannot be applied while the device
/// holds it (the walk puts the block back later); it and every later event of that zone wait, in
/// order, until <see cref="ApplyDeferred"/> after the batch came back, so nothing is applied out
/// of order and no page is lost or counted twice. Memory is fixed by the zones' size.
/// </remarks>
internal sealed class ReplayEngine
{
    /// <summary>How many contradictions of each kind are kept as examples.</summary>
    public const int ExamplesPerKind = 5;
    private const short User = 0;
    private const short PendingUser = -1;
    // In use at the start (the snapshot's or the guest description's layout): where its block
    // boundaries lie, and whether a page was on a per-CPU list when the snapshot was read, is unknown.
    private const short AtStart = -2;

    private readonly ZoneState[] _zones;
    private readonly long[] _conflicts = new long[Enum.GetValues<ReplayConflictKind>().Length];
    private readonly List<ReplayConflict> _examples = [];
    private long[] _pcpPagesByCpu = new long[4];

    /// <summary>An engine over the guest's zones, laid out as they start (their allocated blocks count as in use since the start).</summary>
    /// <param name="zones">The zones in pfn order, not overlapping.</param>
    /// <param name="zoneHasCpuLists">Per zone, whether frees of per-CPU orders stay on a CPU's list; all true when null.</param>
    /// <exception cref="ArgumentException">No zones, zones out of order or overlapping, or a flag count that does not match.</exception>
    public ReplayEngine(IReadOnlyList<ZoneFreeArea> zones, IReadOnlyList<bool>? zoneHasCpuLists = null)
    {
        ArgumentNullException.ThrowIfNull(zones);
        if (zones.Count == 0) throw new ArgumentException("no zones", nameof(zones));
        if (zoneHasCpuLists is not null && zoneHasCpuLists.Count != zones.Count)
            throw new ArgumentException($"{zoneHasCpuLists.Count} per-CPU list flags for {zones.Count} zones", nameof(zoneHasCpuLists));
        _zones = new ZoneState[zones.Count];
        for (var i = 0; i < zones.Count; i++)
        {
            if (i > 0 && zones[i].StartPfn < zones[i - 1].EndPfn)
                throw new ArgumentException($"zone {zones[i].Name} overlaps or precedes {zones[i - 1].Name}", nameof(zones));
            _zones[i] = new ZoneState(zones[i], zoneHasCpuLists?[i] ?? true);
            foreach (var (block, kind, _) in zones[i].Blocks())
                if (kind == PageKind.Allocated) _zones[i].Owner[block.Pfn - zones[i].StartPfn] = AtStart;
        }
    }

    /// <summary>Events whose block lies outside every zone (or straddles a zone's end), skipped.</summary>
    public long OutsideGuest { get; private set; }
    /// <summary>Events whose pfn is not aligned to their order (no block can start there), skipped.</summary>
    public long Misaligned { get; private set; }
    /// <summary>Events applied to a zone (neither deferred nor skipped), deferred ones counted when they apply.</summary>
    public long Applied { get; private set; }
    /// <summary>Contradictions of <paramref name="kind"/> found so far.</summary>
    public long Conflicts(ReplayConflictKind kind) => _conflicts[(int)kind];
    /// <summary>Contradictions of every kind found so far.</summary>
    public long TotalConflicts => _conflicts.Sum();
    /// <summary>The first <see cref="ExamplesPerKind"/> contradictions of each kind, in trace order.</summary>
    public IReadOnlyList<ReplayConflict> Examples => _examples;

    /// <summary>Number of zones.</summary>
    public int ZoneCount => _zones.Length;
    /// <summary>The allocator of zone <paramref name="index"/>.</summary>
    public ZoneFreeArea Zone(int index) => _zones[index].Area;
    /// <summary>Pages on the per-CPU lists of one zone (all CPUs).</summary>
    public long PcpPages(int zone) => _zones[zone].PcpPages;
    /// <summary>Pages on the per-CPU lists of all zones and CPUs.</summary>
    public long TotalPcpPages => _zones.Sum(z => z.PcpPages);
    /// <summary>Pages on one CPU's lists (all zones).</summary>
    public long PcpPagesOnCpu(int cpu) => cpu < _pcpPagesByCpu.Length ? _pcpPagesByCpu[cpu] : 0;
    /// <summary>Whether events of <paramref name="zone"/> wait for a lent batch to come back.</summary>
    public bool HasDeferred(int zone) => _zones[zone].Deferred.Count > 0;
    /// <summary>Events of <paramref name="zone"/> waiting for a lent batch to come back.</summary>
    public int DeferredCount(int zone) => _zones[zone].Deferred.Count;

    /// <summary>The zone holding [pfn, pfn + 2^order), or -1.</summary>
    public int ZoneOf(long pfn, int order)
    {
        for (var i = 0; i < _zones.Length; i++)
            if (_zones[i].Area.HoldsRange(pfn, order)) return i;
        return -1;
    }

    /// <summary>
    /// Puts a block on a CPU's list as the starting state (a guest description's per-CPU pages).
    /// The block must be an allocated block of the model.
    /// </summary>
    public void PlaceOnCpuList(long pfn, int order, int cpu)
    {
        var zi = ZoneOf(pfn, order);
        if (zi < 0) throw new ArgumentOutOfRangeException(nameof(pfn), $"pfn {pfn} order {order} is in no zone");
        var z = _zones[zi];
        var b = z.Area.BlockContaining(pfn);
        if (b.Kind != PageKind.Allocated || b.Pfn != pfn || b.Order != order)
            throw new InvalidOperationException($"pfn {pfn} order {order} is not an allocated block");
        SetOwner(z, pfn, order, OnCpu(cpu));
    }

    /// <summary>Applies one event now (the host calls it at the event's timestamp).</summary>
    public ReplayEffect Apply(in TraceEvent e)
    {
        var zi = ZoneOf(e.Pfn, e.Order);
        if (zi < 0)
        {
            if ((e.Pfn & ((1L << e.Order) - 1)) != 0) Misaligned++;
            else OutsideGuest++;
            return new(ReplayEffectKind.Skipped, -1, new Block(e.Pfn, e.Order));
        }
        var z = _zones[zi];
        if (z.Deferred.Count > 0)
        {
            // Keep the zone's events in trace order behind the one waiting for the device.
            z.Deferred.Enqueue(e);
            return new(ReplayEffectKind.Deferred, zi, new Block(e.Pfn, e.Order));
        }
        var effect = ApplyTo(zi, z, e);
        if (effect.Kind == ReplayEffectKind.Deferred)
        {
            Conflict(ReplayConflictKind.HeldByDevice, e, "lent to the device");
            z.Deferred.Enqueue(e);
        }
        return effect;
    }

    /// <summary>
    /// After a batch came back from the device: applies the zone's waiting events in order, until
    /// one still touches a lent block. Their effects are added to <paramref name="effects"/>.
    /// </summary>
    public void ApplyDeferred(int zone, List<ReplayEffect> effects)
    {
        var z = _zones[zone];
        while (z.Deferred.Count > 0)
        {
            var e = z.Deferred.Peek();
            var effect = ApplyTo(zone, z, e);
            if (effect.Kind == ReplayEffectKind.Deferred) return;
            z.Deferred.Dequeue();
            effects.Add(effect);
        }
    }

    private ReplayEffect ApplyTo(int zi, ZoneState z, in TraceEvent e)
    {
        var range = Inspect(z, e.Pfn, e.Order, out var container);
        if (range == RangeState.Isolated) return new(ReplayEffectKind.Deferred, zi, new Block(e.Pfn, e.Order));
        if (range == RangeState.Reserved)
        {
            Conflict(ReplayConflictKind.Reserved, e, "reserved");
            return new(ReplayEffectKind.Skipped, zi, new Block(e.Pfn, e.Order));
        }
        Applied++;
        var block = new Block(e.Pfn, e.Order);
        var owner = range == RangeState.Exact ? z.Owner[e.Pfn - z.Area.StartPfn] : User;
        if (IsAllAtStart(z, e.Pfn, e.Order, range, container))
            return ApplyToStartMemory(zi, z, e, range, container);
        switch (e.Kind)
        {
            case TraceEventKind.AllocZoneLocked:
                if (range != RangeState.InsideFree) Conflict(ReplayConflictKind.TakenNotFree, e, Describe(range, owner));
                SetBlockType(z, e);
                Take(z, e.Pfn, e.Order, range, container);
                SetOwner(z, e.Pfn, e.Order, e.PercpuRefill ? OnCpu(e.Cpu) : PendingUser);
                return new(ReplayEffectKind.None, zi, block);

            case TraceEventKind.Alloc:
                if (range == RangeState.Exact && owner == User) Conflict(ReplayConflictKind.AllocatedTwice, e, "with a user");
                else if (range == RangeState.InsideFree) Conflict(ReplayConflictKind.AllocatedWhileFree, e, Describe(range, owner));
                else if (range != RangeState.Exact) Conflict(ReplayConflictKind.BlockMismatch, e, Describe(range, owner));
                Take(z, e.Pfn, e.Order, range, container);
                SetOwner(z, e.Pfn, e.Order, User);
                return new(ReplayEffectKind.GivenToUser, zi, block);

            case TraceEventKind.Free:
                if (range == RangeState.InsideFree || (range == RangeState.Exact && owner > 0))
                    Conflict(ReplayConflictKind.FreedWhileFree, e, Describe(range, owner));
                else if (range != RangeState.Exact) Conflict(ReplayConflictKind.BlockMismatch, e, Describe(range, owner));
                Take(z, e.Pfn, e.Order, range, container);
                return Release(zi, z, e, toCpuList: z.HasCpuLists && PerCpuLists.Keeps(e.Order));

            case TraceEventKind.FreeBatched:
                // The second trace of a batched free: the first already freed it.
                if (range == RangeState.InsideFree || (range == RangeState.Exact && owner > 0))
                    return new(ReplayEffectKind.None, zi, block);
                Conflict(range == RangeState.Exact ? ReplayConflictKind.BatchedWithoutFree : ReplayConflictKind.BlockMismatch, e, Describe(range, owner));
                Take(z, e.Pfn, e.Order, range, container);
                return Release(zi, z, e, toCpuList: z.HasCpuLists && PerCpuLists.Keeps(e.Order));

            default: // PcpuDrain
                if (range == RangeState.InsideFree)
                {
                    Conflict(ReplayConflictKind.DrainedNotOnList, e, Describe(range, owner));
                    return new(ReplayEffectKind.None, zi, block);
                }
                if (range != RangeState.Exact) Conflict(ReplayConflictKind.BlockMismatch, e, Describe(range, owner));
                else if (owner <= 0) Conflict(ReplayConflictKind.DrainedNotOnList, e, Describe(range, owner));
                Take(z, e.Pfn, e.Order, range, container);
                SetBlockType(z, e);
                return Release(zi, z, e, toCpuList: false);
        }
    }

    /// <summary>
    /// Memory in use at the start: the snapshot cannot say where its blocks begin, nor which pages
    /// sat on a per-CPU list while it was read. A free of it is what it looks like; an event that
    /// finds it on a list (allocated from a list, drained, taken) is counted as
    /// <see cref="ReplayConflictKind.InUseAtStart"/>, not as a contradiction of the trace.
    /// </summary>
    private ReplayEffect ApplyToStartMemory(int zi, ZoneState z, in TraceEvent e, RangeState range, ZoneBlock container)
    {
        var block = new Block(e.Pfn, e.Order);
        if (e.Kind is not (TraceEventKind.Free or TraceEventKind.FreeBatched))
            Conflict(ReplayConflictKind.InUseAtStart, e, "in use at the start");
        if (e.Kind == TraceEventKind.FreeBatched)
            Conflict(ReplayConflictKind.BatchedWithoutFree, e, "in use at the start");
        Take(z, e.Pfn, e.Order, range, container);
        switch (e.Kind)
        {
            case TraceEventKind.AllocZoneLocked:
                SetBlockType(z, e);
                SetOwner(z, e.Pfn, e.Order, e.PercpuRefill ? OnCpu(e.Cpu) : PendingUser);
                return new(ReplayEffectKind.None, zi, block);
            case TraceEventKind.Alloc:
                return new(ReplayEffectKind.GivenToUser, zi, block);
            case TraceEventKind.PcpuDrain:
                SetBlockType(z, e);
                return Release(zi, z, e, toCpuList: false);
            default:
                return Release(zi, z, e, toCpuList: z.HasCpuLists && PerCpuLists.Keeps(e.Order));
        }
    }

    private static bool IsAllAtStart(ZoneState z, long pfn, int order, RangeState range, ZoneBlock container)
    {
        switch (range)
        {
            case RangeState.Exact:
            case RangeState.InsideAllocated:
                return z.Owner[container.Pfn - z.Area.StartPfn] == AtStart;
            case RangeState.Mixed:
                var end = pfn + (1L << order);
                for (var p = pfn; p < end;)
                {
                    var b = z.Area.BlockContaining(p);
                    if (b.Kind != PageKind.Allocated || z.Owner[b.Pfn - z.Area.StartPfn] != AtStart) return false;
                    p += b.Pages;
                }
                return true;
            default:
                return false;
        }
    }

    /// <summary>The block is an allocated block with no owner mark: it goes to a CPU's list or the buddy lists.</summary>
    private ReplayEffect Release(int zi, ZoneState z, in TraceEvent e, bool toCpuList)
    {
        if (toCpuList)
        {
            SetOwner(z, e.Pfn, e.Order, OnCpu(e.Cpu));
            return new(ReplayEffectKind.None, zi, new Block(e.Pfn, e.Order));
        }
        var freed = z.Area.Free(e.Pfn, e.Order);
        if (!freed.Succeeded)
            throw new InvalidOperationException($"zone {z.Area.Name}: free of pfn {e.Pfn} order {e.Order} refused ({freed.Rejection}) after it was claimed");
        return new(ReplayEffectKind.FreedToBuddy, zi, freed.Merged);
    }

    private enum RangeState { InsideFree, Exact, InsideAllocated, Mixed, Isolated, Reserved }

    private static RangeState Inspect(ZoneState z, long pfn, int order, out ZoneBlock container)
    {
        container = z.Area.BlockContaining(pfn);
        if (container.Order >= order)
        {
            return container.Kind switch
            {
                PageKind.Free => RangeState.InsideFree,
                PageKind.Isolated => RangeState.Isolated,
                PageKind.Reserved => RangeState.Reserved,
                _ => container.Pfn == pfn && container.Order == order ? RangeState.Exact : RangeState.InsideAllocated,
            };
        }
        var end = pfn + (1L << order);
        for (var p = pfn; p < end;)
        {
            var b = z.Area.BlockContaining(p);
            if (b.Kind == PageKind.Isolated) return RangeState.Isolated;
            if (b.Kind == PageKind.Reserved) return RangeState.Reserved;
            p += b.Pages;
        }
        return RangeState.Mixed;
    }

    /// <summary>Makes the range one allocated block with no owner mark, keeping the per-CPU counts right.</summary>
    private void Take(ZoneState z, long pfn, int order, RangeState range, ZoneBlock container)
    {
        var area = z.Area;
        switch (range)
        {
            case RangeState.Exact:
                SetOwner(z, pfn, order, User);
                return;
            case RangeState.InsideAllocated:
            {
                var owner = z.Owner[container.Pfn - area.StartPfn];
                SetOwner(z, container.Pfn, container.Order, User);
                Claim(area, pfn, order);
                // The pieces split off keep what the holding block was (its user, or its CPU's list).
                foreach (var piece in ZoneFreeArea.SplitOffBuddies(pfn, order, container.Order))
                    SetOwner(z, piece.Pfn, piece.Order, owner);
                return;
            }
            case RangeState.Mixed:
            {
                var end = pfn + (1L << order);
                for (var p = pfn; p < end;)
                {
                    var b = area.BlockContaining(p);
                    if (b.Kind == PageKind.Allocated) SetOwner(z, b.Pfn, b.Order, User);
                    p += b.Pages;
                }
                Claim(area, pfn, order);
                return;
            }
            default:
                Claim(area, pfn, order);
                return;
        }
    }

    private static void Claim(ZoneFreeArea area, long pfn, int order)
    {
        var refusal = area.Claim(pfn, order);
        if (refusal != ClaimRefusal.None)
            throw new InvalidOperationException($"zone {area.Name}: claim of pfn {pfn} order {order} refused ({refusal}) after inspection");
    }

    /// <summary>An event's migratetype is its pageblock's (the kernel traces the block's list).</summary>
    private static void SetBlockType(ZoneState z, in TraceEvent e)
    {
        if (e.Migratetype is < 0 or > (int)Migratetype.Reclaimable) return;
        var type = (Migratetype)e.Migratetype;
        if (z.Area.PageblockTypeOf(e.Pfn) != type) z.Area.SetPageblockType(e.Pfn, type);
    }

    private static short OnCpu(int cpu) => (short)(cpu + 1);

    private void SetOwner(ZoneState z, long pfn, int order, short owner)
    {
        ref var slot = ref z.Owner[pfn - z.Area.StartPfn];
        var pages = 1L << order;
        if (slot > 0)
        {
            z.PcpPages -= pages;
            _pcpPagesByCpu[slot - 1] -= pages;
        }
        slot = owner;
        if (owner > 0)
        {
            if (owner > _pcpPagesByCpu.Length) Array.Resize(ref _pcpPagesByCpu, Math.Max(owner, _pcpPagesByCpu.Length * 2));
            z.PcpPages += pages;
            _pcpPagesByCpu[owner - 1] += pages;
        }
    }

    private static string Describe(RangeState range, short owner) => range switch
    {
        RangeState.InsideFree => "free on the buddy lists",
        RangeState.Exact when owner > 0 => $"on CPU {owner - 1}'s list",
        RangeState.Exact when owner == PendingUser => "taken for a user",
        RangeState.Exact when owner == AtStart => "in use at the start",
        RangeState.Exact => "with a user",
        RangeState.InsideAllocated => "inside a larger allocated block",
        _ => "across several blocks",
    };

    private void Conflict(ReplayConflictKind kind, in TraceEvent e, string model)
    {
        if (_conflicts[(int)kind]++ < ExamplesPerKind)
            _examples.Add(new ReplayConflict(kind, e.Kind, e.Line, e.Seconds, e.Pfn, e.Order, model));
    }

    /// <summary>I1-I4 of every zone, and the per-CPU marks: only on allocated block heads, summing to the counts.</summary>
    public string? CheckInvariants()
    {
        long allCpus = 0;
        foreach (var z in _zones)
        {
            var error = z.Area.CheckInvariants();
            if (error is not null) return error;
            long pcp = 0;
            foreach (var (block, kind, _) in z.Area.Blocks())
            {
                var owner = z.Owner[block.Pfn - z.Area.StartPfn];
                if (owner != User && kind != PageKind.Allocated)
                    return $"zone {z.Area.Name}: {kind} block at pfn {block.Pfn} carries a per-CPU mark";
                if (owner > 0) pcp += block.Pages;
                for (var p = block.Pfn + 1; p < block.Pfn + block.Pages; p++)
                    if (z.Owner[p - z.Area.StartPfn] != User)
                        return $"zone {z.Area.Name}: pfn {p} inside block at {block.Pfn} carries a per-CPU mark";
            }
            if (pcp != z.PcpPages) return $"zone {z.Area.Name}: {pcp} pages marked per-CPU but the count is {z.PcpPages}";
            allCpus += pcp;
        }
        if (allCpus != _pcpPagesByCpu.Sum()) return $"per-CPU pages by CPU sum to {_pcpPagesByCpu.Sum()}, by zone to {allCpus}";
        return null;
    }

    private sealed class ZoneState(ZoneFreeArea area, bool hasCpuLists)
    {
        public ZoneFreeArea Area { get; } = area;
        public bool HasCpuLists { get; } = hasCpuLists;
        public short[] Owner { get; } = new short[area.Pages];
        public long PcpPages { get; set; }
        public Queue<TraceEvent> Deferred { get; } = new();
    }
}
