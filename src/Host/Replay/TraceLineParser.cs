using System.Buffers.Text;
using PageReportingActors.Replay;

namespace PageReportingActors.Host.Replay;

/// <summary>What one line of a trace turned out to be.</summary>
internal enum TraceLineKind
{
    /// <summary>One of the five kmem events, parsed.</summary>
    Event,
    /// <summary>A comment, a blank line, or ftrace's own notes (lost events, buffer starts).</summary>
    Other,
    /// <summary>A well-formed event line of some other event (other kmem events, sched, ...).</summary>
    OtherEvent,
    /// <summary>A line naming one of the five events whose fields are missing or unreadable (a cut-off line).</summary>
    Malformed,
}

/// <summary>
/// Parses one line of ftrace's text output (the <c>trace</c> file) without allocating:
/// <c>TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: FIELDS</c>. The task name may hold spaces and
/// brackets, so the line is read from the event name backwards: the timestamp ends just before
/// it, and the CPU is the last <c>[NNN]</c> before the timestamp. The flags column is optional
/// (ftrace prints it only with the irq-info option).
/// </summary>
internal static class TraceLineParser
{
    /// <summary>Linux's largest CONFIG_NR_CPUS; a CPU column beyond it is not a CPU.</summary>
    public const int MaxCpus = 8192;

    /// <summary>Reads one line of ftrace output.</summary>
    /// <param name="line">The line, without its newline.</param>
    /// <param name="lineNumber">The line's number, carried into the event.</param>
    /// <param name="ev">The event, when the line is one of the five.</param>
    /// <returns>Whether the line is one of the five events, another line, or a malformed one.</returns>
    public static TraceLineKind Parse(ReadOnlySpan<byte> line, long lineNumber, out TraceEvent ev)
    {
        ev = default;
        if (line.IsEmpty || line[0] == (byte)'#') return TraceLineKind.Other;

        // The event name follows "TIMESTAMP: ". Find the first ": " after a digit.
        var colon = FindTimestampColon(line);
        if (colon < 0) return TraceLineKind.Other;
        var nameStart = colon + 2;
        var rest = line[nameStart..];
        var nameEnd = rest.IndexOf((byte)':');
        if (nameEnd <= 0) return LooksLikeOurs(rest) ? TraceLineKind.Malformed : TraceLineKind.Other;
        var name = rest[..nameEnd];
        if (!TryKind(name, out var kind)) return TraceLineKind.OtherEvent;
        var fields = rest[(nameEnd + 1)..];

        var tsStart = colon;
        while (tsStart > 0 && line[tsStart - 1] != (byte)' ') tsStart--;
        if (!TryParseTimestamp(line[tsStart..colon], out var nanos)) return TraceLineKind.Malformed;
        var close = line[..tsStart].LastIndexOf((byte)']');
        if (close < 0) return TraceLineKind.Malformed;
        var open = line[..close].LastIndexOf((byte)'[');
        if (open < 0 || !TryInt(line[(open + 1)..close], out var cpu) || cpu >= MaxCpus) return TraceLineKind.Malformed;

        if (!TryHexField(fields, "pfn="u8, out var pfn)) return TraceLineKind.Malformed;
        if (!TryIntField(fields, "order="u8, out var order) || order > 10) return TraceLineKind.Malformed;
        var migratetype = -1;
        var refill = false;
        switch (kind)
        {
            case TraceEventKind.Alloc:
            case TraceEventKind.PcpuDrain:
                if (!TryIntField(fields, "migratetype="u8, out migratetype)) return TraceLineKind.Malformed;
                break;
            case TraceEventKind.AllocZoneLocked:
                if (!TryIntField(fields, "migratetype="u8, out migratetype)) return TraceLineKind.Malformed;
                if (!TryIntField(fields, "percpu_refill="u8, out var r) || r > 1) return TraceLineKind.Malformed;
                refill = r == 1;
                break;
        }
        ev = new TraceEvent(kind, nanos, cpu, pfn, order, migratetype, refill, lineNumber);
        return TraceLineKind.Event;
    }

    private static bool LooksLikeOurs(ReadOnlySpan<byte> rest) => rest.StartsWith("mm_page_"u8);

    private static int FindTimestampColon(ReadOnlySpan<byte> line)
    {
        var from = 0;
        while (true)
        {
            var i = line[from..].IndexOf(": "u8);
            if (i < 0) return -1;
            i += from;
            if (i > 0 && IsDigit(line[i - 1])) return i;
            from = i + 1;
        }
    }

    private static bool TryKind(ReadOnlySpan<byte> name, out TraceEventKind kind)
    {
        kind = default;
        if (!name.StartsWith("mm_page_"u8)) return false;
        var tail = name[8..];
        if (tail.SequenceEqual("alloc"u8)) kind = TraceEventKind.Alloc;
        else if (tail.SequenceEqual("free"u8)) kind = TraceEventKind.Free;
        else if (tail.SequenceEqual("free_batched"u8)) kind = TraceEventKind.FreeBatched;
        else if (tail.SequenceEqual("pcpu_drain"u8)) kind = TraceEventKind.PcpuDrain;
        else if (tail.SequenceEqual("alloc_zone_locked"u8)) kind = TraceEventKind.AllocZoneLocked;
        else return false;
        return true;
    }

    /// <summary>Seconds with up to nine decimals (ftrace prints six with its default clock), as nanoseconds.</summary>
    internal static bool TryParseTimestamp(ReadOnlySpan<byte> text, out long nanos)
    {
        nanos = 0;
        var dot = text.IndexOf((byte)'.');
        var whole = dot < 0 ? text : text[..dot];
        if (!TryLong(whole, out var seconds) || seconds > 1_000_000_000) return false;
        long fraction = 0;
        var digits = 0;
        if (dot >= 0)
        {
            var frac = text[(dot + 1)..];
            if (frac.IsEmpty || frac.Length > 9) return false;
            foreach (var c in frac)
            {
                if (!IsDigit(c)) return false;
                fraction = fraction * 10 + (c - '0');
                digits++;
            }
            for (; digits < 9; digits++) fraction *= 10;
        }
        nanos = seconds * 1_000_000_000 + fraction;
        return true;
    }

    private static bool TryHexField(ReadOnlySpan<byte> fields, ReadOnlySpan<byte> key, out long value)
    {
        value = 0;
        var v = FieldValue(fields, key);
        if (v.StartsWith("0x"u8)) v = v[2..];
        if (v.IsEmpty || v.Length > 15) return false;
        return Utf8Parser.TryParse(v, out value, out var used, 'x') && used == v.Length;
    }

    private static bool TryIntField(ReadOnlySpan<byte> fields, ReadOnlySpan<byte> key, out int value) =>
        TryInt(FieldValue(fields, key), out value);

    /// <summary>The text after " key" up to the next space; empty if absent.</summary>
    private static ReadOnlySpan<byte> FieldValue(ReadOnlySpan<byte> fields, ReadOnlySpan<byte> key)
    {
        var from = 0;
        while (true)
        {
            var i = fields[from..].IndexOf(key);
            if (i < 0) return default;
            i += from;
            // A whole field name: "order=" must not match inside "xorder=".
            if (i == 0 || fields[i - 1] == (byte)' ')
            {
                var v = fields[(i + key.Length)..];
                var end = v.IndexOf((byte)' ');
                return end < 0 ? v : v[..end];
            }
            from = i + 1;
        }
    }

    private static bool TryInt(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 9) return false;
        foreach (var c in text)
        {
            if (!IsDigit(c)) return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }

    private static bool TryLong(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 18) return false;
        foreach (var c in text)
        {
            if (!IsDigit(c)) return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }

    private static bool IsDigit(byte c) => (uint)(c - '0') <= 9;
}
