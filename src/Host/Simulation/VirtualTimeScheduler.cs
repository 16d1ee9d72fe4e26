using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;

namespace PageReportingActors.Host.Simulation;

/// <summary>
/// An Akka scheduler whose clock moves only when the simulation moves it. Work is kept in due-time
/// order (ties in the order it was scheduled) and run one item at a time by <see cref="TryRunNext"/>,
/// so the driver can let the actors settle after each item. Actors keep using IWithTimers; only the
/// clock behind them changes.
/// </summary>
internal sealed class VirtualTimeScheduler : IScheduler, IAdvancedScheduler
{
    /// <summary>Virtual time zero: a fixed instant, so every run sees the same clock.</summary>
    public static readonly DateTimeOffset Epoch = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly object _gate = new();
    private readonly PriorityQueue<Item, (long Due, long Sequence)> _queue = new();
    private readonly Stopwatch _monotonic = Stopwatch.StartNew();
    private DateTimeOffset _now = Epoch;
    private long _sequence;

    public VirtualTimeScheduler(Config config, ILoggingAdapter log)
    {
        _ = config;
        _ = log;
    }

    public DateTimeOffset Now
    {
        get { lock (_gate) return _now; }
    }

    /// <summary>Virtual seconds since <see cref="Epoch"/>.</summary>
    public double Seconds => (Now - Epoch).TotalSeconds;

    // Akka's internals use the monotonic clock for wall-clock deadlines (start-up, shutdown): keep it real.
    public TimeSpan MonotonicClock => _monotonic.Elapsed;
    public TimeSpan HighResMonotonicClock => _monotonic.Elapsed;
    public IAdvancedScheduler Advanced => this;

    /// <summary>When the next live item is due, or null if nothing is scheduled.</summary>
    public DateTimeOffset? NextDue
    {
        get
        {
            lock (_gate)
            {
                while (_queue.TryPeek(out var item, out var key))
                {
                    if (!item.IsCancelled) return new DateTimeOffset(key.Due, TimeSpan.Zero);
                    _queue.Dequeue();
                }
                return null;
            }
        }
    }

    /// <summary>Runs the earliest item due at or before <paramref name="limit"/>, moving the clock to it.</summary>
    public bool TryRunNext(DateTimeOffset limit)
    {
        Item item;
        lock (_gate)
        {
            while (true)
            {
                if (!_queue.TryPeek(out item!, out var key) || key.Due > limit.UtcTicks) return false;
                _queue.Dequeue();
                if (item.IsCancelled) continue;
                if (key.Due > _now.UtcTicks) _now = new DateTimeOffset(key.Due, TimeSpan.Zero);
                break;
            }
        }
        item.Run();
        if (item.Interval is { } interval && !item.IsCancelled) Enqueue(interval, item);
        return true;
    }

    /// <summary>Moves the clock forward to <paramref name="when"/> (never back).</summary>
    public void AdvanceTo(DateTimeOffset when)
    {
        lock (_gate)
        {
            if (when > _now) _now = when;
        }
    }

    public void ScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender) =>
        Enqueue(delay, new Item(() => receiver.Tell(message, sender), null, null));

    public void ScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Enqueue(delay, new Item(() => receiver.Tell(message, sender), null, cancelable));

    public void ScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender) =>
        Enqueue(initialDelay, new Item(() => receiver.Tell(message, sender), interval, null));

    public void ScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Enqueue(initialDelay, new Item(() => receiver.Tell(message, sender), interval, cancelable));

    public void ScheduleOnce(TimeSpan delay, Action action) => Enqueue(delay, new Item(action, null, null));

    public void ScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) => Enqueue(delay, new Item(action, null, cancelable));

    public void ScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action) => Enqueue(initialDelay, new Item(action, interval, null));

    public void ScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action, ICancelable cancelable) =>
        Enqueue(initialDelay, new Item(action, interval, cancelable));

    public void ScheduleOnce(TimeSpan delay, IRunnable action) => Enqueue(delay, new Item(action.Run, null, null));

    public void ScheduleOnce(TimeSpan delay, IRunnable action, ICancelable cancelable) => Enqueue(delay, new Item(action.Run, null, cancelable));

    public void ScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action) => Enqueue(initialDelay, new Item(action.Run, interval, null));

    public void ScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action, ICancelable cancelable) =>
        Enqueue(initialDelay, new Item(action.Run, interval, cancelable));

    private void Enqueue(TimeSpan delay, Item item)
    {
        lock (_gate)
        {
            var due = _now + (delay < TimeSpan.Zero ? TimeSpan.Zero : delay);
            _queue.Enqueue(item, (due.UtcTicks, _sequence++));
        }
    }

    private sealed class Item(Action run, TimeSpan? interval, ICancelable? cancelable)
    {
        public TimeSpan? Interval { get; } = interval;
        public bool IsCancelled => cancelable?.IsCancellationRequested ?? false;
        public void Run() => run();
    }
}
