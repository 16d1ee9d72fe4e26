using PageReportingActors.Allocator;
using PageReportingActors.Memory;
using static PageReportingActors.Memory.PageGeometry;

namespace PageReportingActors.Reporting;

/// <summary>What a walk needs next.</summary>
public enum WalkStepKind
{
    /// <summary>The batch must go to the device; call <see cref="ZoneReportingWalk.Complete"/> with its answer.</summary>
    Report,
    /// <summary>The zone is done: nothing more to report from it in this pass.</summary>
    Finished,
}

/// <summary>How a zone's walk ended: the walk's own steps, the zone's answers to the reporter and the pass logic all say it so.</summary>
public enum WalkEnd
{
    /// <summary>Not ended: the step carries a batch to report.</summary>
    None,
    /// <summary>Every list was visited.</summary>
    Completed,
    /// <summary>R7: the zone's free pages do not exceed <c>low + (capacity &lt;&lt; order)</c>.</summary>
    GateClosed,
    /// <summary>R12: a report failed; the pass stops.</summary>
    ReportFailed,
    /// <summary>The walk was abandoned (the zone stopped, or the reporter gave up the walk); its batch came back unflagged.
    /// The zone says it; a <see cref="ZoneReportingWalk"/> never ends so by itself.</summary>
    Abandoned,
}

/// <summary>One step of a walk: a batch to report (<c>End</c> is <see cref="WalkEnd.None"/>), or the end of the zone.</summary>
public sealed record WalkStep(WalkStepKind Kind, IReadOnlyList<Block> Batch, bool IsLeftover, WalkEnd End)
{
    /// <summary>The step that ends the zone's walk for <paramref name="end"/>.</summary>
    public static WalkStep Finish(WalkEnd end) => new(WalkStepKind.Finished, Array.Empty<Block>(), false, end);
}

/// <summary>Settings the pass logic needs.</summary>
public sealed record PassSettings(int ReportingOrder, int Capacity)
{
    /// <summary>R9: a list's budget per pass is its free blocks over capacity times this, rounded up.</summary>
    public const int BudgetDivisor = 16;
}

/// <summary>
/// One pass over one zone (R7-R12, R15): the gate, the per-list budget, the batch shared by all lists
/// of the zone, rotation, the full-batch-then-one-more rule, the leftover, and the drain. Plain code:
/// the zone actor holds the walk because it owns the lists, and the reporter drives it step by step.
/// Between a <see cref="WalkStepKind.Report"/> step and <see cref="Complete"/> the zone may serve
/// allocations and frees (R14); the batch's blocks are isolated and nobody else can touch them.
/// </summary>
public sealed class ZoneReportingWalk
{
    private readonly ZoneFreeArea _zone;
    private readonly PassSettings _settings;
    private readonly List<Block> _batch;
    private int _order;
    private int _type;
    private long _budget;
    private bool _listStarted;
    private bool _started;
    private bool _awaitingReport;
    private bool _leftoverSent;
    private bool _finished;

    /// <summary>A walk over <paramref name="zone"/> with <paramref name="settings"/>; nothing happens until <see cref="Advance"/>.</summary>
    public ZoneReportingWalk(ZoneFreeArea zone, PassSettings settings)
    {
        _zone = zone;
        _settings = settings;
        _batch = new List<Block>(settings.Capacity);
        _order = settings.ReportingOrder;
    }

    /// <summary>True once some list ran out of budget: the reporter must stay Requested (R9, R13).</summary>
    public bool RequestAnotherPass { get; private set; }

    /// <summary>The batch currently isolated, if a report is outstanding.</summary>
    public IReadOnlyList<Block> OutstandingBatch => _awaitingReport ? _batch : Array.Empty<Block>();

    /// <summary>Whether a batch is at the device, waiting for <see cref="Complete"/>.</summary>
    public bool IsAwaitingReport => _awaitingReport;

    /// <summary>Batches handed out for reporting by this walk so far, leftover included.</summary>
    public int ReportsMade { get; private set; }

    // kernel: page_reporting_process_zone (R8, R10)
    /// <summary>Runs the walk until it needs the device or the zone is done.</summary>
    public WalkStep Advance()
    {
        if (_awaitingReport) throw new InvalidOperationException("a report is outstanding; complete it first");
        if (_finished) return WalkStep.Finish(WalkEnd.Completed);
        if (!_started)
        {
            _started = true;
            if (!GateIsOpen(_zone, _settings)) return Finish(WalkEnd.GateClosed);
        }

        for (; _order <= MaxOrder; _order++, _type = 0)
        {
            for (; _type < MigratetypeCount; _type++, _listStarted = false)
            {
                if ((Migratetype)_type == Migratetype.Isolate) continue;
                if (WalkList()) return Report(isLeftover: false);
            }
        }

        if (_batch.Count > 0 && !_leftoverSent)
        {
            _leftoverSent = true;
            return Report(isLeftover: true);
        }
        return Finish(WalkEnd.Completed);
    }

    /// <summary>
    /// R11, R12: drains the outstanding batch (to the tails of the lists, flagged Reported if
    /// <paramref name="success"/> and unmerged) and then continues the walk, unless the report failed.
    /// Returns how many blocks were flagged and the next step.
    /// </summary>
    public (int Flagged, WalkStep Next) Complete(bool success)
    {
        if (!_awaitingReport) throw new InvalidOperationException("no report is outstanding");
        var flagged = Drain(success);
        if (!success) return (flagged, Finish(WalkEnd.ReportFailed));
        if (_leftoverSent) return (flagged, Finish(WalkEnd.Completed));
        _budget--;
        return (flagged, Advance());
    }

    /// <summary>
    /// Returns the outstanding batch to the lists unflagged and ends the walk: used when the walk
    /// must stop without an answer from the device (the device died, the zone restarts).
    /// </summary>
    public void Abandon()
    {
        if (_awaitingReport) Drain(success: false);
        _finished = true;
    }

    // kernel: page_reporting_process_zone, the watermark gate (R7)
    /// <summary>R7: a zone is walked only if its free pages exceed <c>low + (capacity &lt;&lt; order)</c>.</summary>
    public static bool GateIsOpen(ZoneFreeArea zone, PassSettings settings) =>
        zone.FreePages > zone.Watermarks.Low + ((long)settings.Capacity << settings.ReportingOrder);

    // kernel: page_reporting_cycle, the budget (R9)
    /// <summary>R9: a list's budget, computed once when the walk reaches it.</summary>
    public static long BudgetFor(long nrFree, int capacity) =>
        (nrFree + capacity * PassSettings.BudgetDivisor - 1) / (capacity * PassSettings.BudgetDivisor);

    // kernel: page_reporting_cycle (R9)
    /// <summary>Walks the current list. Returns true when a full batch must be reported first.</summary>
    private bool WalkList()
    {
        var type = (Migratetype)_type;
        if (!_listStarted)
        {
            _listStarted = true;
            _budget = BudgetFor(_zone.NrFree(_order), _settings.Capacity);
        }

        var page = _zone.ListHead(_order, type);
        while (page != -1)
        {
            var next = _zone.NextOnList(page, _order);
            if (_zone.IsReported(page))
            {
                // Only reported blocks left: skipping them one by one would change nothing, and
                // would make every pass cost as much as the whole list (the guest's size).
                if (_zone.UnreportedOnList(_order, type) == 0) return false;
                page = next;
                continue;
            }
            if (_budget < 0)
            {
                RequestAnotherPass = true;
                _zone.RotateToFront(page, _order, type);
                return false;
            }
            if (_batch.Count < _settings.Capacity)
            {
                if (!_zone.TryIsolate(page, _order))
                {
                    // Too close to the min watermark: this list stops here, without error.
                    _zone.RotateToFront(page, _order, type);
                    return false;
                }
                _batch.Add(new Block(page, _order));
                page = next;
                continue;
            }
            // Batch full and one more unreported block waits: it leads the list after the report.
            _zone.RotateToFront(page, _order, type);
            return true;
        }
        return false;
    }

    private WalkStep Report(bool isLeftover)
    {
        _awaitingReport = true;
        ReportsMade++;
        return new WalkStep(WalkStepKind.Report, _batch.ToArray(), isLeftover, WalkEnd.None);
    }

    private WalkStep Finish(WalkEnd end)
    {
        _finished = true;
        return WalkStep.Finish(end);
    }

    // kernel: page_reporting_drain (R11)
    private int Drain(bool success)
    {
        var flagged = 0;
        // The kernel fills its scatterlist from the end and drains it from the start: the block
        // isolated last goes back first.
        for (var i = _batch.Count - 1; i >= 0; i--)
            if (_zone.PutBack(_batch[i].Pfn, _batch[i].Order, success))
                flagged++;
        _batch.Clear();
        _awaitingReport = false;
        return flagged;
    }
}
