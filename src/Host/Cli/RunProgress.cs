using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace PageReportingActors.Host.Cli;

/// <summary>
/// A run's progress, on stderr so that stdout holds only the result, and only for a run long enough to
/// want it: nothing until <paramref name="after"/> of wall time has passed, then a bar when stderr is a
/// terminal (<paramref name="terminal"/>) or a "progress: 40%" line at every tenth when it is not. Given
/// the run's guest-seconds (virtual seconds summed over its guests), both say how many are done, at
/// what rate, and how long the rest will take at that rate.
/// </summary>
/// <param name="logsOnTerminal">Whether log lines go to the same terminal (stdout is one too): while the bar
/// is live they are written through it, above the bar, instead of over it.</param>
internal sealed class RunProgress(TextWriter stderr, IAnsiConsole? terminal, bool logsOnTerminal, TimeSpan after)
{
    /// <summary>A run shorter than this shows no progress: it would be over before anyone read it.</summary>
    public static readonly TimeSpan DefaultAfter = TimeSpan.FromSeconds(2);

    /// <param name="guestSeconds">The run's guest-seconds in all, or 0 to show the fraction alone.</param>
    public async Task<T> RunAsync<T>(string what, Func<IProgress<double>, Task<T>> run, double guestSeconds = 0)
    {
        var wall = Stopwatch.StartNew();
        var latest = new LatestProgress();
        var running = after > TimeSpan.Zero ? run(latest) : null;
        if (running is not null)
        {
            await Task.WhenAny(running, Task.Delay(after)).ConfigureAwait(false);
            if (running.IsCompleted) return await running.ConfigureAwait(false);
        }
        if (terminal is null)
        {
            var plain = new PlainProgress(stderr, guestSeconds, () => wall.Elapsed);
            latest.Forward(plain);
            var result = await (running ?? run(latest)).ConfigureAwait(false);
            plain.Report(1.0);
            return result;
        }
        T outcome = default!;
        await terminal.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                using var logAboveBar = logsOnTerminal ? LiveConsoleLogSink.Attach(terminal) : null;
                var task = ctx.AddTask(what, maxValue: 1.0);
                latest.Forward(new CallbackProgress(v =>
                {
                    task.Value = Math.Max(task.Value, Math.Clamp(v, 0, 1));
                    if (guestSeconds > 0) task.Description = $"{what}: {GuestSecondsRate.Describe(task.Value, guestSeconds, wall.Elapsed, withTimeLeft: false)}";
                }));
                outcome = await (running ?? run(latest)).ConfigureAwait(false);
                task.Value = 1.0;
            }).ConfigureAwait(false);
        return outcome;
    }
    /// <summary>Keeps the latest value while nothing shows it, and passes it on once something does.</summary>
    private sealed class LatestProgress : IProgress<double>
    {
        private readonly Lock _lock = new();
        private double _value = double.NaN;
        private IProgress<double>? _target;

        public void Report(double value)
        {
            lock (_lock)
            {
                _value = value;
                _target?.Report(value);
            }
        }

        public void Forward(IProgress<double> target)
        {
            lock (_lock)
            {
                _target = target;
                if (!double.IsNaN(_value)) target.Report(_value);
            }
        }
    }
}

/// <summary>Reports synchronously on the caller's thread; <see cref="Progress{T}"/> would post late and out of order.</summary>
internal sealed class CallbackProgress(Action<double> report) : IProgress<double>
{
    public void Report(double value) => report(value);
}

/// <summary>
/// "progress: 40%" at each new tenth of the run, for a stderr that is not a terminal; with the run's
/// guest-seconds, "progress: 40% (1,200 of 3,000 guest-seconds, 400 per second, 5 s left)".
/// </summary>
internal sealed class PlainProgress(TextWriter writer, double guestSeconds = 0, Func<TimeSpan>? elapsed = null) : IProgress<double>
{
    private readonly Lock _lock = new();
    private int _tenths;

    public void Report(double value)
    {
        if (double.IsNaN(value)) return;
        var tenths = (int)Math.Floor(Math.Clamp(value, 0, 1) * 10 + 1e-9);
        lock (_lock)
        {
            // The latest tenth only: a run that shows its progress late starts at where it is.
            if (tenths <= _tenths) return;
            _tenths = tenths;
            var line = string.Create(CultureInfo.InvariantCulture, $"progress: {_tenths * 10}%");
            if (guestSeconds > 0 && elapsed is not null)
                line += $" ({GuestSecondsRate.Describe(Math.Clamp(value, 0, 1), guestSeconds, elapsed(), withTimeLeft: true)})";
            writer.WriteLine(line);
            writer.Flush();
        }
    }
}

/// <summary>Guest-seconds done, the rate since the start and the time the rest takes at that rate.</summary>
internal static class GuestSecondsRate
{
    public static string Describe(double fraction, double guestSeconds, TimeSpan elapsed, bool withTimeLeft)
    {
        var done = fraction * guestSeconds;
        var text = string.Create(CultureInfo.InvariantCulture, $"{done:N0} of {guestSeconds:N0} guest-seconds");
        if (elapsed <= TimeSpan.Zero || done <= 0) return text;
        var rate = done / elapsed.TotalSeconds;
        text += string.Create(CultureInfo.InvariantCulture, $", {rate:N0} per second");
        if (!withTimeLeft || fraction >= 1) return text;
        return text + $", {Left(Math.Ceiling((guestSeconds - done) / rate))} left";
    }

    /// <summary>"45 s", "3 min 20 s", "2 h 5 min": as precise as a wait needs.</summary>
    internal static string Left(double seconds)
    {
        var s = (long)Math.Min(seconds, 100L * 365 * 86400);
        return s < 60 ? $"{s} s" : s < 3600 ? $"{s / 60} min {s % 60} s" : $"{s / 3600} h {s % 3600 / 60} min";
    }
}
