using PageReportingActors.Replay;

namespace PageReportingActors.Host.Replay;

/// <summary>
/// A trace read and applied in time order, as far as the host's clock has come: the host asks
/// when the next event is due (<see cref="NextEventNanos"/>), moves its clock there, and calls
/// <see cref="ApplyThrough"/>. Only one event is read ahead, so memory does not grow with the
/// trace. Times are the trace's: nanoseconds of guest uptime.
/// </summary>
internal sealed class ReplayFeed : IDisposable
{
    private readonly TraceReader _reader;
    private TraceEvent _next;
    private bool _haveNext;

    /// <summary>A feed that reads <paramref name="reader"/> and applies its events to <paramref name="engine"/>; reads the first event at once.</summary>
    /// <exception cref="ReplayInputException">The trace holds none of the five events.</exception>
    public ReplayFeed(TraceReader reader, ReplayEngine engine)
    {
        _reader = reader;
        Engine = engine;
        _haveNext = _reader.TryRead(out _next);
        // A trace with none of the five events is refused before anything runs.
        if (!_haveNext) _reader.EnsureHadEvents();
    }

    /// <summary>The engine the events are applied to.</summary>
    public ReplayEngine Engine { get; }
    /// <summary>What the reader has seen so far.</summary>
    public TraceCounts Counts => _reader.Counts;

    /// <summary>The timestamp of the next event, or null when the trace is done.</summary>
    public long? NextEventNanos => _haveNext ? _next.TimestampNanos : null;

    /// <summary>
    /// Applies every event due at or before <paramref name="nanos"/>, in trace order, and hands
    /// each with its effect to <paramref name="observe"/> (residency, notifications, progress).
    /// Returns how many were applied.
    /// </summary>
    public int ApplyThrough(long nanos, Action<TraceEvent, ReplayEffect>? observe = null)
    {
        var applied = 0;
        while (_haveNext && _next.TimestampNanos <= nanos)
        {
            var effect = Engine.Apply(_next);
            observe?.Invoke(_next, effect);
            applied++;
            _haveNext = _reader.TryRead(out _next);
        }
        return applied;
    }

    /// <summary>Closes the trace.</summary>
    public void Dispose() => _reader.Dispose();
}
