using System.Globalization;

namespace PageReportingActors.Host.Scenarios;

/// <summary>Sizes as scenarios write them: a number and a binary unit, "512MiB", "1.5GiB", "4096B".</summary>
internal static class Sizes
{
    private static readonly (string Unit, long Factor)[] Units =
    [
        // Longest suffixes first so "MiB" is not taken for "B".
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("B", 1L),
    ];

    /// <summary>Parses a size; false if the text is not a size or is not a whole number of bytes.</summary>
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (text is null) return false;
        var s = text.Trim();
        foreach (var (unit, factor) in Units)
        {
            if (!s.EndsWith(unit, StringComparison.Ordinal)) continue;
            var number = s[..^unit.Length].TrimEnd();
            if (!Numbers.TryParseNonNegativeDecimal(number, out var value)) return false;
            decimal total;
            try { total = value * factor; }
            catch (OverflowException) { return false; }
            if (total != decimal.Truncate(total) || total > long.MaxValue) return false;
            bytes = (long)total;
            return true;
        }
        return false;
    }

    /// <summary>
    /// The accepted form of a size written with a decimal or short unit ("4G", "4GB", "512 mb",
    /// "64k"): the binary unit it most likely means, since guest memory comes in binary units.
    /// Null when the text is not a number and such a unit.
    /// </summary>
    public static string? Suggest(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim();
        var split = 0;
        while (split < s.Length && (char.IsAsciiDigit(s[split]) || s[split] == '.')) split++;
        var number = s[..split];
        var unit = s[split..].Trim().ToUpperInvariant();
        if (!Numbers.TryParseNonNegativeDecimal(number, out _)) return null;
        var binary = unit switch
        {
            "K" or "KB" or "KIB" => "KiB",
            "M" or "MB" or "MIB" => "MiB",
            "G" or "GB" or "GIB" => "GiB",
            "BYTES" or "BYTE" => "B",
            _ => null,
        };
        if (binary is null) return null;
        var suggestion = number + binary;
        return TryParse(suggestion, out _) ? suggestion : null;
    }

    /// <summary>Parses a size or throws <see cref="FormatException"/>.</summary>
    public static long Parse(string text) =>
        TryParse(text, out var bytes) ? bytes : throw new FormatException($"\"{text}\" is not a size");

    /// <summary>The largest unit that states the size exactly: 536870912 gives "512MiB".</summary>
    public static string Format(long bytes)
    {
        foreach (var (unit, factor) in new[] { ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10) })
            if (bytes != 0 && bytes % factor == 0)
                return string.Create(CultureInfo.InvariantCulture, $"{bytes / factor}{unit}");
        return string.Create(CultureInfo.InvariantCulture, $"{bytes}B");
    }

    /// <summary>A size for people: "512.0 MiB", "1.50 GiB".</summary>
    public static string Human(long bytes) => Memory.ByteSizes.Human(bytes);
}

/// <summary>Durations as scenarios write them: "250ms", "2s", "2.0005s", "10min".</summary>
internal static class Durations
{
    private static readonly (string Unit, long Ticks)[] Units =
    [
        // "ms" and "min" before "s" so that "ms" is not read as "m" + "s".
        ("ms", TimeSpan.TicksPerMillisecond), ("min", TimeSpan.TicksPerMinute), ("s", TimeSpan.TicksPerSecond),
    ];

    /// <summary>Parses a duration; false if the text is not one or is finer than a tick (100 ns).</summary>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (text is null) return false;
        var s = text.Trim();
        foreach (var (unit, ticksPerUnit) in Units)
        {
            if (!s.EndsWith(unit, StringComparison.Ordinal)) continue;
            var number = s[..^unit.Length].TrimEnd();
            if (!Numbers.TryParseNonNegativeDecimal(number, out var value)) return false;
            decimal ticks;
            try { ticks = value * ticksPerUnit; }
            catch (OverflowException) { return false; }
            if (ticks != decimal.Truncate(ticks) || ticks > TimeSpan.MaxValue.Ticks) return false;
            duration = TimeSpan.FromTicks((long)ticks);
            return true;
        }
        return false;
    }

    public static TimeSpan Parse(string text) =>
        TryParse(text, out var d) ? d : throw new FormatException($"\"{text}\" is not a duration");

    /// <summary>Why <paramref name="text"/> is not a duration, for a command line: a bare number is told the unit it lacks.</summary>
    public static string Problem(string? text) =>
        Numbers.TryParseNonNegativeDecimal(text?.Trim() ?? "", out _)
            ? $"{text!.Trim()}: a duration needs a unit: {text.Trim()}ms, {text.Trim()}s"
            : $"\"{text}\" is not a duration (a number and ms, s or min, such as 100ms)";

    /// <summary>The shortest exact form in the scenario syntax: "10min", "5s", "250ms", "2.0005s".</summary>
    public static string Format(TimeSpan duration)
    {
        var ticks = duration.Ticks;
        if (ticks != 0 && ticks % TimeSpan.TicksPerMinute == 0)
            return string.Create(CultureInfo.InvariantCulture, $"{ticks / TimeSpan.TicksPerMinute}min");
        if (ticks % TimeSpan.TicksPerSecond == 0)
            return string.Create(CultureInfo.InvariantCulture, $"{ticks / TimeSpan.TicksPerSecond}s");
        if (ticks % TimeSpan.TicksPerMillisecond == 0 && Math.Abs(ticks) < TimeSpan.TicksPerSecond)
            return string.Create(CultureInfo.InvariantCulture, $"{ticks / TimeSpan.TicksPerMillisecond}ms");
        var seconds = (decimal)ticks / TimeSpan.TicksPerSecond;
        return seconds.ToString("0.#######", CultureInfo.InvariantCulture) + "s";
    }
}

internal static class Numbers
{
    /// <summary>Plain decimal notation only: digits, at most one point, no sign, no exponent.</summary>
    public static bool TryParseNonNegativeDecimal(string text, out decimal value)
    {
        value = 0;
        if (text.Length == 0 || text[0] == '.' || text[^1] == '.') return false;
        var points = 0;
        foreach (var c in text)
        {
            if (c == '.') points++;
            else if (c is < '0' or > '9') return false;
        }
        return points <= 1 && decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);
    }
}
