using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Event;
using PageReportingActors.Allocator;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;

namespace PageReportingActors;

/// <summary>
/// Owns one zone's free area (R1-R4, R15) and serves allocations, frees and the reporter's walk.
/// The allocator and the walk are plain code; this actor turns messages into calls on them and
/// rejects what does not fit with an explicit reply.
/// </summary>
public sealed partial class ZoneActor : ReceiveActor, IWithTimers
{
    private const string PerCpuTickKey = "per-cpu-tick";
    private static readonly TimeSpan PerCpuTickInterval = TimeSpan.FromSeconds(1);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ZoneFreeArea _area;
    private readonly IMessageInterceptor? _interceptor;
    private readonly ZoneUsage? _usage;
    private IActorRef? _reporter;
    // Set by the guardian: walk commands come only from the reporter, notification orders only from the registry.
    private IActorRef? _ownerReporter;
    private IActorRef? _ownerRegistry;
    private int? _notifyOrder;
    private long _batchId;

    private ZoneReportingWalk? _walk;
    private IActorRef? _walkOwner;
    private long _walkPassId = -1;

    /// <summary>A zone actor that owns <paramref name="area"/>: hand it no area that other code still changes.</summary>
    /// <param name="area">The zone's allocator.</param>
    /// <param name="usage">Where to publish the zone's page counts after every message, or null.</param>
    public ZoneActor(ZoneFreeArea area, ZoneUsage? usage = null) : this(area, usage, interceptor: null)
    {
    }

    internal ZoneActor(ZoneFreeArea area, ZoneUsage? usage, IMessageInterceptor? interceptor)
    {
        _area = area;
        _interceptor = interceptor;
        _usage = usage;
        _usage?.Update(area);

        Receive<Allocate>(HandleAllocate);
        Receive<AllocateMany>(HandleAllocateMany);
        Receive<Free>(HandleFree);
        Receive<FreeMany>(HandleFreeMany);
        Receive<GetZoneStatus>(_ => Sender.Tell(Status()));
        Receive<CheckZoneInvariants>(_ => Sender.Tell(new ZoneInvariantsChecked(_area.Name, _area.CheckInvariants())));
        Receive<ZoneOwners>(m =>
        {
            if (!Sender.Equals(Context.Parent))
            {
                _log.Warning("Zone {Zone}: owners from {Sender} ignored: only the guest's guardian names them", _area.Name, Sender.Path);
                return;
            }
            _ownerReporter = m.Reporter;
            _ownerRegistry = m.Registry;
        });
        Receive<EnableNotification>(m =>
        {
            if (!FromRegistry(m)) return;
            if (!PageGeometry.IsValidOrder(m.ReportingOrder))
            {
                _log.Warning("Zone {Zone}: notification order {Order} rejected: outside 0..10", _area.Name, m.ReportingOrder);
                return;
            }
            _reporter = m.Reporter;
            _notifyOrder = m.ReportingOrder;
        });
        Receive<DisableNotification>(m =>
        {
            if (FromRegistry(m)) _notifyOrder = null;
        });
        Receive<PerCpuTick>(_ => HandlePerCpuTick());
        Receive<BeginZoneWalk>(HandleBeginWalk);
        Receive<CompleteZoneReport>(HandleCompleteReport);
        Receive<AbandonZoneWalk>(HandleAbandon);
        ReceiveTraceReplay();
    }

    /// <summary>The zone's timers: the per-CPU tick (R21).</summary>
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// The guest kernel's once-a-second vmstat work on this zone's per-CPU lists (6.12 decays their
    /// <c>high</c>). Private: only the zone's own timer sends it.
    /// </summary>
    private sealed record PerCpuTick : INoSerializationVerificationNeeded
    {
        public static readonly PerCpuTick Instance = new();
        private PerCpuTick() { }
    }

    /// <summary>Props for a zone actor that owns <paramref name="area"/>.</summary>
    /// <param name="area">The zone's allocator.</param>
    /// <param name="usage">Where to publish the zone's page counts after every message, or null.</param>
    public static Props Props(ZoneFreeArea area, ZoneUsage? usage = null) => Akka.Actor.Props.Create(() => new ZoneActor(area, usage));

    internal static Props PropsWithInterceptor(ZoneFreeArea area, IMessageInterceptor interceptor, ZoneUsage? usage = null) =>
        FactoryProducer<ZoneActor>.Props(() => new ZoneActor(area, usage, interceptor));

    /// <summary>Lets a fault injector take the message first (tests only), then publishes the zone's counts.</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        var handled = (_interceptor is not null && _interceptor.Intercept(message, _area.Name)) || base.AroundReceive(receive, message);
        _usage?.Update(_area); // for the memory-usage gauge, read off the actor's thread
        return handled;
    }

    /// <summary>
    /// A stopped zone must not strand an isolated batch: the batch goes back to the lists unflagged
    /// and the reporter is told the walk was abandoned.
    /// </summary>
    protected override void PostStop()
    {
        if (_walk is not null)
        {
            _log.Warning("Zone {Zone}: stopping during pass {PassId}; returning its batch unflagged", _area.Name, _walkPassId);
            _walk.Abandon();
            _walkOwner?.Tell(ZoneWalkStep.Abandoned(_walkPassId, _area.Name, _batchId));
            _walk = null;
        }
        base.PostStop();
    }

    private void HandleAllocate(Allocate m)
    {
        if (m.Reserve < 0)
        {
            RejectReserve(m.Order, m.Reserve);
            return;
        }
        var result = _area.Allocate(m.Order, m.Migratetype, m.Floor, m.Cpu, m.Reserve);
        if (result.Succeeded)
        {
            _servedAllocations = true;
            Sender.Tell(new Allocated(_area.Name, result.Block));
            ArmPerCpuTick();
            return;
        }
        var detail = AllocationDetail(m.Order, m.Migratetype, m.Floor, result.Failure!.Value);
        if (result.Failure is AllocationFailureReason.InvalidOrder or AllocationFailureReason.InvalidMigratetype)
            _log.Warning("Zone {Zone}: allocation rejected: {Detail}", _area.Name, detail);
        Sender.Tell(new AllocationFailed(_area.Name, m.Order, result.Failure.Value, detail));
    }

    private void HandleAllocateMany(AllocateMany m)
    {
        if (m.Count < 0)
        {
            _log.Warning("Zone {Zone}: AllocateMany rejected: count {Count} is negative", _area.Name, m.Count);
            Sender.Tell(new AllocationFailed(_area.Name, m.Order, AllocationFailureReason.InvalidOrder, $"count {m.Count} is negative"));
            return;
        }
        if (m.Reserve < 0)
        {
            RejectReserve(m.Order, m.Reserve);
            return;
        }
        // The allocator's bulk path, a piece at a time so a huge count grows the answer only as blocks come.
        Block[]? first = null;
        ImmutableArray<Block>.Builder? more = null;
        var got = 0;
        AllocationFailureReason? stopped = null;
        while (got < m.Count && stopped is null)
        {
            var piece = new Block[Math.Min(m.Count - got, 1 << 16)];
            var result = _area.AllocateMany(m.Order, piece, m.Migratetype, m.Floor, m.Cpu, m.Reserve);
            stopped = result.StoppedBecause;
            got += result.Count;
            if (more is null && got == m.Count)
            {
                first = piece;
                break;
            }
            more ??= ImmutableArray.CreateBuilder<Block>(piece.Length);
            more.AddRange(piece.AsSpan(0, result.Count));
        }
        if (got > 0)
        {
            _servedAllocations = true;
            ArmPerCpuTick();
        }
        // A single full piece is handed over without a copy.
        var blocks = first is not null ? ImmutableCollectionsMarshal.AsImmutableArray(first) : more?.ToImmutable() ?? ImmutableArray<Block>.Empty;
        Sender.Tell(new AllocatedMany(_area.Name, blocks, stopped));
    }

    private void HandleFree(Free m)
    {
        var result = _area.Free(m.Pfn, m.Order, m.Cpu);
        if (!result.Succeeded)
        {
            Sender.Tell(Rejected(m.Pfn, m.Order, result.Rejection!.Value));
            return;
        }
        ArmPerCpuTick();
        // The reporter hears first, so whoever waits on the reply finds the request already queued.
        Notify(result.HighestMergedOrder);
        Sender.Tell(new Freed(_area.Name, new Block(m.Pfn, m.Order), result.Merged));
    }

    private void HandleFreeMany(FreeMany m)
    {
        var blocks = m.Blocks.IsDefault ? ImmutableArray<Block>.Empty : m.Blocks;
        ImmutableArray<FreeRejected>.Builder? rejected = null;
        var result = _area.FreeMany(blocks.AsSpan(), m.Cpu, (i, reason) =>
            (rejected ??= ImmutableArray.CreateBuilder<FreeRejected>()).Add(Rejected(blocks[i].Pfn, blocks[i].Order, reason)));
        if (result.HighestMergedOrder >= 0) Notify(result.HighestMergedOrder);
        if (result.Freed > 0) ArmPerCpuTick();
        Sender.Tell(new FreedMany(_area.Name, result.Freed, rejected?.ToImmutable() ?? ImmutableArray<FreeRejected>.Empty));
    }

    private void RejectReserve(int order, long reserve)
    {
        var detail = $"reserve {reserve} is negative";
        _log.Warning("Zone {Zone}: allocation rejected: {Detail}", _area.Name, detail);
        Sender.Tell(new AllocationFailed(_area.Name, order, AllocationFailureReason.BelowWatermark, detail));
    }

    // kernel: vmstat_update, refresh_cpu_vm_stats, decay_pcp_high (R21)
    /// <summary>
    /// Arms the per-CPU tick for the next whole second of the clock, as the kernel's vmstat work is
    /// rounded to whole seconds, if this zone's lists are tuned (6.12) and no tick is armed yet.
    /// </summary>
    private void ArmPerCpuTick()
    {
        if (!_area.HasPerCpuLists || _area.Kernel?.Profile.TunesHigh != true || Timers.IsTimerActive(PerCpuTickKey)) return;
        var now = Context.System.Scheduler.Now.UtcTicks;
        var second = TimeSpan.TicksPerSecond;
        var untilNextSecond = TimeSpan.FromTicks(second - now % second);
        Timers.StartSingleTimer(PerCpuTickKey, PerCpuTick.Instance, untilNextSecond);
    }

    /// <summary>Decays every CPU's <c>high</c>; pages flushed to the buddy lists notify as a free does (R5). Ticks again while there is more to do.</summary>
    private void HandlePerCpuTick()
    {
        var more = false;
        var highest = -1;
        for (var cpu = 0; cpu < _area.Cpus; cpu++)
        {
            var tick = _area.DecayPerCpuHigh(cpu);
            more |= tick.MoreToDo;
            highest = Math.Max(highest, tick.HighestMergedOrder);
        }
        if (more) Timers.StartSingleTimer(PerCpuTickKey, PerCpuTick.Instance, PerCpuTickInterval);
        if (highest >= 0) Notify(highest);
    }

    // kernel: page_reporting_notify_free (R5)
    /// <summary>R5: a free that merged to the reporting order or more tells the reporter, while one listens.</summary>
    private void Notify(int mergedOrder)
    {
        if (_notifyOrder is { } order && mergedOrder >= order && _reporter is not null)
            _reporter.Tell(new RequestReporting(_area.Name));
    }

    private FreeRejected Rejected(long pfn, int order, FreeRejectionReason reason)
    {
        var detail = reason switch
        {
            FreeRejectionReason.InvalidOrder => $"order {order} is outside 0..{PageGeometry.MaxOrder}",
            FreeRejectionReason.OutsideZone => $"pfn {pfn} order {order} is outside zone {_area.Name} [{_area.StartPfn}, {_area.EndPfn})",
            FreeRejectionReason.Misaligned => $"pfn {pfn} is not aligned to order {order}",
            FreeRejectionReason.NotAllocated => $"no allocated block starts at pfn {pfn}",
            FreeRejectionReason.AlreadyFree => $"pfn {pfn} is already free",
            FreeRejectionReason.Isolated => $"pfn {pfn} is isolated for a report, not allocated",
            FreeRejectionReason.Reserved => $"pfn {pfn} is reserved, not managed",
            FreeRejectionReason.OrderMismatch => $"the block at pfn {pfn} has order {_area.AllocatedOrderAt(pfn)}, not {order}",
            _ => reason.ToString(),
        };
        _log.Warning("Zone {Zone}: free rejected ({Reason}): {Detail}", _area.Name, reason, detail);
        return new FreeRejected(_area.Name, pfn, order, reason, detail);
    }

    private string AllocationDetail(int order, Migratetype type, WatermarkLevel floor, AllocationFailureReason reason) => reason switch
    {
        AllocationFailureReason.InvalidOrder => $"order {order} is outside 0..{PageGeometry.MaxOrder}",
        AllocationFailureReason.InvalidMigratetype => $"cannot allocate from migratetype {type}",
        AllocationFailureReason.OutOfMemory => $"no free block of order {order} or larger in zone {_area.Name}",
        AllocationFailureReason.BelowWatermark =>
            $"zone {_area.Name} would fall to {_area.FreePages - (1L << order)} free pages, not above its {floor} watermark {_area.WatermarkPages(floor)}",
        _ => reason.ToString(),
    };

    private bool FromRegistry(object message)
    {
        if (_ownerRegistry is not null && Sender.Equals(_ownerRegistry)) return true;
        _log.Warning("Zone {Zone}: {Message} from {Sender} ignored: it is not the guest's registry", _area.Name, message.GetType().Name, Sender.Path);
        return false;
    }

    /// <summary>Only the guest's reporter walks the zone: anyone else would isolate or flag pages no device saw.</summary>
    private string? NotFromReporter() =>
        _ownerReporter is not null && Sender.Equals(_ownerReporter) ? null : $"{Sender.Path} does not drive this walk: it is not the zone's reporter";

    private void HandleBeginWalk(BeginZoneWalk m)
    {
        if (NotFromReporter() is { } stranger)
        {
            RejectWalk(m.PassId, 0, stranger);
            return;
        }
        if (_walk is { IsAwaitingReport: true })
        {
            RejectWalk(m.PassId, 0, $"pass {_walkPassId} still has batch {_batchId} at the device");
            return;
        }
        if (!PageGeometry.IsValidOrder(m.ReportingOrder) || m.Capacity < 1)
        {
            RejectWalk(m.PassId, 0, $"order {m.ReportingOrder} or capacity {m.Capacity} is invalid");
            return;
        }
        _walk = new ZoneReportingWalk(_area, new PassSettings(m.ReportingOrder, m.Capacity));
        _walkOwner = Sender;
        _walkPassId = m.PassId;
        Reply(_walk.Advance(), flagged: 0);
    }

    private void HandleCompleteReport(CompleteZoneReport m)
    {
        var problem = CheckCompletion(m);
        if (problem is not null)
        {
            RejectWalk(m.PassId, m.BatchId, problem);
            return;
        }
        var (flagged, next) = _walk!.Complete(m.Success);
        Reply(next, flagged);
        AfterBatchReturned();
    }

    /// <summary>Only the walk's owner may end the outstanding batch, and only with its exact blocks.</summary>
    private string? CheckCompletion(CompleteZoneReport m)
    {
        if (NotFromReporter() is { } stranger) return stranger;
        if (_walk is null || !_walk.IsAwaitingReport) return $"no batch is outstanding (batch {m.BatchId} of pass {m.PassId})";
        if (!Sender.Equals(_walkOwner)) return $"{Sender.Path} does not drive this walk";
        if (m.PassId != _walkPassId || m.BatchId != _batchId)
            return $"batch {m.BatchId} of pass {m.PassId} is not the outstanding batch {_batchId} of pass {_walkPassId}";
        var outstanding = _walk.OutstandingBatch;
        var claimed = m.Batch?.ToBlocks() ?? ImmutableArray<Block>.Empty;
        if (claimed.Length != outstanding.Count || !claimed.ToHashSet().SetEquals(outstanding))
            return $"the blocks named are not the {outstanding.Count} blocks of batch {_batchId}";
        return null;
    }

    private void HandleAbandon(AbandonZoneWalk m)
    {
        if (NotFromReporter() is { } stranger)
        {
            RejectWalk(m.PassId, 0, stranger);
            return;
        }
        if (_walk is null || m.PassId != _walkPassId || !Sender.Equals(_walkOwner))
        {
            RejectWalk(m.PassId, 0, $"pass {m.PassId} has no walk here to abandon");
            return;
        }
        _walk.Abandon();
        _walk = null;
        AfterBatchReturned();
        Sender.Tell(ZoneWalkStep.Abandoned(m.PassId, _area.Name, _batchId));
    }

    private void Reply(WalkStep step, int flagged)
    {
        if (step.Kind == WalkStepKind.Report)
        {
            _batchId++;
            Sender.Tell(ZoneWalkStep.ToReport(_walkPassId, _area.Name, _batchId, Scatterlist.FromBlocks(step.Batch),
                step.IsLeftover, _walk!.RequestAnotherPass, flagged));
            return;
        }
        Sender.Tell(ZoneWalkStep.Ended(_walkPassId, _area.Name, _batchId, step.End, _walk!.RequestAnotherPass, flagged));
        _walk = null;
    }

    private void RejectWalk(long passId, long batchId, string reason)
    {
        _log.Warning("Zone {Zone}: walk command rejected: {Reason}", _area.Name, reason);
        Sender.Tell(new ZoneWalkRejected(_area.Name, passId, batchId, reason));
    }

    private ZoneStatus Status()
    {
        var nrFree = ImmutableArray.CreateBuilder<long>(PageGeometry.OrderCount);
        for (var o = 0; o <= PageGeometry.MaxOrder; o++) nrFree.Add(_area.NrFree(o));
        return new ZoneStatus(_area.Name, _area.StartPfn, _area.Pages, _area.FreePages, _area.ReportedPages,
            _area.IsolatedPages, _area.AllocatedPages, _area.ReservedPages, nrFree.MoveToImmutable(),
            _area.Watermarks, _notifyOrder, _walk is not null, _area.PerCpuPages);
    }
}
