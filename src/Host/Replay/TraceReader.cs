using PageReportingActors.Replay;

namespace PageReportingActors.Host.Replay;

/// <summary>What a reader has seen so far.</summary>
internal sealed class TraceCounts
{
    private readonly long[] _events = new long[TraceEvent.KindCount];

    /// <summary>Lines read so far.</summary>
    public long Lines { get; internal set; }
    /// <summary>Comments, blank lines and ftrace's own notes.</summary>
    public long OtherLines { get; internal set; }
    /// <summary>Lines of events other than the five.</summary>
    public long OtherEvents { get; internal set; }
    /// <summary>Lines naming one of the five events that could not be read (cut off, fields missing).</summary>
    public long Malformed { get; internal set; }
    /// <summary>The first malformed line's number, or 0.</summary>
    public long FirstMalformedLine { get; internal set; }

    /// <summary>Events of <paramref name="kind"/> read so far.</summary>
    public long Events(TraceEventKind kind) => _events[(int)kind];
    /// <summary>Events of the five kinds read so far.</summary>
    public long TotalEvents => _events.Sum();
    internal void Count(TraceEventKind kind) => _events[(int)kind]++;
}

/// <summary>
/// Streams the five kmem events out of ftrace's text output, line by line, from a buffer of
/// fixed size: memory does not grow with the trace. Skipped lines are counted in
/// <see cref="Counts"/>. A timestamp earlier than the one before it is an error
/// (<see cref="ReplayInputException"/>): the events would replay in an order the guest never
/// ran them in. A last line without its newline is a cut-off line, counted as malformed.
/// </summary>
internal sealed class TraceReader : IDisposable
{
    private const int BufferSize = 1 << 16;

    /// <summary>The longest line read as a line (bytes); the five events' lines are under 200. A
    /// longer one is counted malformed and skipped to its newline in this bounded buffer.</summary>
    public const int MaxLineBytes = 4096;

    private bool _skipping;
    private readonly Stream _stream;
    private readonly string _name;
    private byte[] _buffer = new byte[BufferSize];
    private int _start;
    private int _end;
    private bool _eof;
    private long _lastNanos = long.MinValue;
    private long _lastLine;

    /// <summary>A reader over <paramref name="stream"/>, already decompressed; <paramref name="name"/> names it in errors.</summary>
    public TraceReader(Stream stream, string name = "trace")
    {
        _stream = stream;
        _name = name;
    }

    /// <summary>A reader over the trace file at <paramref name="path"/> (plain, gzip or xz).</summary>
    public static TraceReader Open(string path) => new(CompressedInput.Open(path), Path.GetFileName(path));

    /// <summary>What the reader has seen so far.</summary>
    public TraceCounts Counts { get; } = new();

    /// <summary>The trace's name in messages: its file name.</summary>
    public string Name => _name;

    /// <summary>The next event, or false at the end of the trace.</summary>
    public bool TryRead(out TraceEvent ev)
    {
        while (NextLine(out var line, out var complete))
        {
            var number = ++Counts.Lines;
            ev = default;
            var kind = complete ? TraceLineParser.Parse(line, number, out ev) : TraceLineKind.Malformed;
            switch (kind)
            {
                case TraceLineKind.Event:
                    if (ev.TimestampNanos < _lastNanos)
                        throw new ReplayInputException(FormattableString.Invariant(
                            $"{_name} line {number}: timestamp {ev.Seconds:0.000000} is earlier than {_lastNanos / 1e9:0.000000} on line {_lastLine}; events must be in time order (the trace file, not per-CPU raw buffers)"));
                    _lastNanos = ev.TimestampNanos;
                    _lastLine = number;
                    Counts.Count(ev.Kind);
                    return true;
                case TraceLineKind.Other:
                    Counts.OtherLines++;
                    break;
                case TraceLineKind.OtherEvent:
                    Counts.OtherEvents++;
                    break;
                default:
                    Counts.Malformed++;
                    if (Counts.FirstMalformedLine == 0) Counts.FirstMalformedLine = number;
                    break;
            }
        }
        ev = default;
        return false;
    }

    /// <summary>Throws if the whole trace held none of the five events.</summary>
    public void EnsureHadEvents()
    {
        if (Counts.TotalEvents == 0)
            throw new ReplayInputException(
                $"{_name}: none of the events mm_page_alloc, mm_page_free, mm_page_free_batched, mm_page_pcpu_drain, mm_page_alloc_zone_locked in {Counts.Lines} lines; enable them under events/kmem/ before recording");
    }

    private bool NextLine(out ReadOnlySpan<byte> line, out bool complete)
    {
        while (true)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (_skipping)
            {
                // The rest of an over-long line: dropped, however long, without growing the buffer.
                if (newline < 0)
                {
                    _start = _end;
                    if (_eof) { _skipping = false; line = default; complete = false; return false; }
                    Fill();
                    continue;
                }
                _start += newline + 1;
                _skipping = false;
                continue;
            }
            if (newline < 0 ? _end - _start > MaxLineBytes : newline > MaxLineBytes)
            {
                _skipping = true;
                line = default;
                complete = false;
                return true;
            }
            if (newline >= 0)
            {
                line = TrimCr(_buffer.AsSpan(_start, newline));
                _start += newline + 1;
                complete = true;
                return true;
            }
            if (_eof)
            {
                complete = false;
                if (_start == _end) { line = default; return false; }
                line = _buffer.AsSpan(_start, _end - _start);
                _start = _end;
                return true;
            }
            Fill();
        }
    }

    private void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0) _eof = true;
        _end += read;
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) =>
        line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;

    /// <summary>Closes the stream.</summary>
    public void Dispose() => _stream.Dispose();
}
