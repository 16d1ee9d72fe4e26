using System.Globalization;
using System.Reflection;
using Spectre.Console.Cli;

namespace PageReportingActors.Host.Cli;

/// <summary>
/// The command line's options checked before Spectre.Console.Cli parses them, for the mistakes its own
/// messages word badly: an unknown option gets the nearest known one suggested, and a number that is not
/// one names its option ("Failed to convert 'abc' to Nullable`1" names neither). Anything else is
/// left to the parser.
/// </summary>
internal static class ArgumentCheck
{
    /// <summary>Throws <see cref="UsageException"/> for the first unknown option or bad whole number in <paramref name="args"/>.</summary>
    /// <param name="commands">Each command's settings type, whose <see cref="CommandOptionAttribute"/>s are its options.</param>
    public static void Check(IReadOnlyList<string> args, IReadOnlyDictionary<string, Type> commands)
    {
        if (args.Count == 0 || !commands.TryGetValue(args[0], out var settings)) return;
        var options = OptionsOf(settings);
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--") return;
            if (arg.Length < 2 || arg[0] != '-' || char.IsDigit(arg[1])) continue;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? arg : arg[..equals];
            if (name is "-h" or "--help") continue;
            if (!options.TryGetValue(name, out var option)) throw new UsageException(Unknown(args[0], name, options));
            if (option.Type == typeof(bool)) continue;
            var value = equals >= 0 ? arg[(equals + 1)..] : i + 1 < args.Count ? args[++i] : null;
            // A missing value is the parser's to report, as is anything that is not a whole number.
            if (value is null || (Nullable.GetUnderlyingType(option.Type) ?? option.Type) != typeof(int)) continue;
            if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                throw new UsageException(long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                    ? $"{name}: {value} is out of range ({int.MinValue} to {int.MaxValue})"
                    : $"{name}: \"{value}\" is not a whole number; give one such as {name} 42");
        }
    }

    private sealed record Option(Type Type, bool Hidden);

    private static Dictionary<string, Option> OptionsOf(Type settings)
    {
        var options = new Dictionary<string, Option>(StringComparer.Ordinal);
        foreach (var property in settings.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<CommandOptionAttribute>() is not { } attribute) continue;
            foreach (var n in attribute.LongNames) options["--" + n] = new Option(property.PropertyType, attribute.IsHidden);
            foreach (var n in attribute.ShortNames) options["-" + n] = new Option(property.PropertyType, attribute.IsHidden);
        }
        return options;
    }

    private static string Unknown(string command, string name, Dictionary<string, Option> options)
    {
        var shown = options.Where(o => !o.Value.Hidden).Select(o => o.Key).ToList();
        var nearest = shown
            .Select(o => (Option: o, Distance: Distance(name, o)))
            .Where(o => o.Distance <= Math.Max(2, o.Option.Length / 3))
            .OrderBy(o => o.Distance)
            .Select(o => o.Option)
            .FirstOrDefault();
        if (nearest is not null) return $"unknown option {name} for {command}; did you mean {nearest}?";
        return shown.Count == 0
            ? $"unknown option {name}: {command} takes no options"
            : $"unknown option {name} for {command}; it takes {string.Join(", ", shown)}";
    }

    /// <summary>Levenshtein distance: insertions, deletions and substitutions, one each.</summary>
    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
