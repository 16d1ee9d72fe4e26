using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PageReportingActors.Host.Scenarios;

/// <summary>
/// The one way every JSON input is read (a scenario, a fleet file, a replay's guest, a sweep's
/// scenario): the same syntax (comments and trailing commas accepted), the same bounds (the file's
/// size, the nesting, a field at most once per object, text that is text) and the same one-line
/// errors (<see cref="ScenarioException"/>, naming where), so no input gets past one reader that
/// another would refuse.
/// </summary>
internal static class JsonInput
{
    /// <summary>The options every document is parsed with.</summary>
    public static readonly JsonDocumentOptions Options = new()
    {
        // People write these files by hand; comments and trailing commas cost nothing to accept.
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = ScenarioBounds.MaxJsonDepth,
    };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The text of the file at <paramref name="path"/>, read in bounded memory: at most
    /// <paramref name="maxBytes"/> (counted as it is read, so /dev/zero or a growing
    /// file is refused as well as a large one), UTF-8 or UTF-16 with its byte order mark. Problems
    /// are named by <paramref name="field"/> (empty: by the path itself); <paramref name="what"/>
    /// says what the file is ("scenario", "fleet"); <paramref name="maxBytes"/> is the bound.
    /// </summary>
    public static string ReadFileText(string path, string what, string field = "", long maxBytes = ScenarioBounds.MaxFileBytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        var name = field.Length == 0 ? path : field;
        var prefix = field.Length == 0 ? "" : $"\"{path}\" ";
        var limit = Sizes.Format(maxBytes);
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            if (stream.CanSeek && stream.Length > maxBytes)
                throw new ScenarioException(name, $"{prefix}is {Sizes.Format(stream.Length)}; a {what} file is at most {limit}");
            bytes = ReadAtMost(stream, maxBytes, out var over);
            if (over) throw new ScenarioException(name, $"{prefix}holds more than {limit}; a {what} file is at most {limit}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioException(name, $"{prefix}cannot be read: {OneLine(e.Message)}");
        }
        // A UTF-16 file (it starts with its byte order mark) is decoded as such; the rest is UTF-8, byte for byte.
        try
        {
            if (bytes.Length >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE)
                return new UnicodeEncoding(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true).GetString(bytes, 2, bytes.Length - 2);
            if (bytes.Length >= 2 && bytes[0] == 0xFE && bytes[1] == 0xFF)
                return new UnicodeEncoding(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: true).GetString(bytes, 2, bytes.Length - 2);
            var skip = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
            return StrictUtf8.GetString(bytes, skip, bytes.Length - skip);
        }
        catch (DecoderFallbackException e)
        {
            throw new ScenarioException(name, string.Create(CultureInfo.InvariantCulture, $"{prefix}is not UTF-8 text (byte {e.Index} of the file)"));
        }
    }

    /// <summary>Up to <paramref name="limit"/> bytes of <paramref name="stream"/>; <paramref name="over"/> when it holds more.</summary>
    private static byte[] ReadAtMost(Stream stream, long limit, out bool over)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        while (true)
        {
            var read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, limit + 1 - buffer.Length));
            if (read == 0) break;
            buffer.Write(chunk, 0, read);
            if (buffer.Length > limit)
            {
                over = true;
                return [];
            }
        }
        over = false;
        return buffer.ToArray();
    }

    /// <summary>Parses <paramref name="json"/>; a syntax error or a depth past the bound is one line naming where.</summary>
    public static JsonDocument Parse(string json, string field = "")
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonDocument.Parse(json, Options);
        }
        catch (JsonException e)
        {
            throw new ScenarioException(field, SyntaxProblem(e));
        }
    }

    /// <summary>A parsed document as a tree to edit (a sweep's policy, a replay's guest), checked as <see cref="Parse"/> checks it.</summary>
    public static JsonObject ParseObject(string json, string field = "")
    {
        using var document = Parse(json, field);
        Fields.Of(document.RootElement, field);
        return JsonObject.Create(document.RootElement.Clone())!;
    }

    private static string SyntaxProblem(JsonException e)
    {
        // JsonException's message carries its own "Path: … | LineNumber: …" tail; one position is enough.
        var message = e.Message;
        foreach (var marker in new[] { " Path:", " LineNumber:" })
        {
            var i = message.IndexOf(marker, StringComparison.Ordinal);
            if (i >= 0) message = message[..i];
        }
        message = OneLine(message).TrimEnd();
        var line = (e.LineNumber ?? 0) + 1;
        var position = (e.BytePositionInLine ?? 0) + 1;
        return string.Create(CultureInfo.InvariantCulture, $"invalid JSON at line {line}, position {position}: {message}");
    }

    /// <summary>Text as one line: line breaks become spaces.</summary>
    public static string OneLine(string text) =>
        string.Join(' ', (text ?? "").Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    // ---- values ----

    /// <summary>A value as an error shows it: as written, cut short when long, so the error stays one readable line.</summary>
    public static string Show(JsonElement element)
    {
        const int longest = 60;
        return element.ValueKind switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            _ when element.GetRawText() is { Length: > longest } raw => raw[..longest] + "...",
            _ => element.GetRawText(),
        };
    }

    /// <summary>A JSON string's text. JSON may escape a lone UTF-16 surrogate (<c>"\ud800"</c>), which is no text at all.</summary>
    public static string Text(JsonElement element, string path)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new ScenarioException(path, $"{Show(element)} is not valid text (a lone UTF-16 surrogate)");
        }
    }

    /// <summary>A size such as <c>512MiB</c>, in bytes.</summary>
    public static long ReadSize(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.String && Sizes.TryParse(Text(element, path), out var bytes)) return bytes;
        var hint = element.ValueKind == JsonValueKind.String ? Sizes.Suggest(Text(element, path)) : null;
        throw new ScenarioException(path, hint is null
            ? $"{Show(element)} is not a size (a number and B, KiB, MiB or GiB, such as 512MiB)"
            : $"{Show(element)} is not a size; write it as {hint}");
    }

    /// <summary>A duration such as <c>250ms</c>.</summary>
    public static TimeSpan ReadDuration(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.String && Durations.TryParse(Text(element, path), out var d)) return d;
        throw new ScenarioException(path, $"{Show(element)} is not a duration");
    }

    /// <summary>An integer written as one, in <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static long ReadLong(JsonElement element, string path, long min, long max)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var value))
            throw new ScenarioException(path, $"{Show(element)} is not an integer");
        if (value < min && max is long.MaxValue or int.MaxValue)
            throw new ScenarioException(path, string.Create(CultureInfo.InvariantCulture, $"{value} must be >= {min}"));
        if (value < min || value > max)
            throw new ScenarioException(path, string.Create(CultureInfo.InvariantCulture, $"{value} must be in {min}..{max}"));
        return value;
    }

    /// <summary>As <see cref="ReadLong"/>, for an <see cref="int"/> range.</summary>
    public static int ReadInt(JsonElement element, string path, int min, int max) => (int)ReadLong(element, path, min, max);
}

/// <summary>
/// One JSON object and its path, with typed reads that name the field on failure. Made with
/// <see cref="Of"/>, which refuses a field given twice (which one counts would be a guess) and a
/// field name that is not text.
/// </summary>
internal sealed class Fields
{
    private readonly JsonElement _element;

    private Fields(JsonElement element, string path)
    {
        _element = element;
        Path = path;
    }

    /// <summary>Where the object is, e.g. <c>workload[3]</c>; empty for the document.</summary>
    public string Path { get; }

    /// <summary>The object <paramref name="element"/>, checked; anything else is an error naming <paramref name="path"/>.</summary>
    public static Fields Of(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new ScenarioException(path, path.Length == 0 ? "the document is not a JSON object" : $"{JsonInput.Show(element)} is not an object");
        var obj = new Fields(element, path);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            string name;
            try
            {
                name = property.Name;
            }
            catch (InvalidOperationException)
            {
                throw new ScenarioException(path, "a field name is not valid text (a lone UTF-16 surrogate)");
            }
            if (!seen.Add(name)) throw new ScenarioException(obj.PathOf(name), "is given twice");
        }
        return obj;
    }

    /// <summary>The path of field <paramref name="name"/> of this object.</summary>
    public string PathOf(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

    /// <summary>Whether the field is there (null included).</summary>
    public bool Has(string name) => _element.TryGetProperty(name, out _);

    /// <summary>Whether the field is there and not null.</summary>
    public bool HasValue(string name) => Optional(name) is not null;

    /// <summary>Unknown fields are errors: a misspelt optional field would otherwise be silently ignored.</summary>
    public void AllowOnly(params string[] names)
    {
        foreach (var property in _element.EnumerateObject())
            if (Array.IndexOf(names, property.Name) < 0)
                throw new ScenarioException(PathOf(property.Name), $"is not a known field (known: {string.Join(", ", names)})");
    }

    /// <summary>The field's value, or an error saying it is missing.</summary>
    public JsonElement Required(string name) =>
        _element.TryGetProperty(name, out var value) ? value : throw new ScenarioException(PathOf(name), "is missing");

    /// <summary>The field's value; null when it is absent or null.</summary>
    public JsonElement? Optional(string name) =>
        _element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>The field as an object.</summary>
    public Fields RequiredObject(string name) => Of(Required(name), PathOf(name));

    /// <summary>The field as an object, or null.</summary>
    public Fields? OptionalObject(string name) => Optional(name) is { } v ? Of(v, PathOf(name)) : null;

    /// <summary>A name or id: one line of bounded text (<see cref="ScenarioBounds.CheckText"/>).</summary>
    public string RequiredString(string name)
    {
        var value = Required(name);
        return value.ValueKind == JsonValueKind.String
            ? ScenarioBounds.CheckText(JsonInput.Text(value, PathOf(name)), PathOf(name))
            : throw new ScenarioException(PathOf(name), $"{JsonInput.Show(value)} is not a string");
    }

    /// <summary>Any text, line breaks included (a description).</summary>
    public string RequiredFreeText(string name)
    {
        var value = Required(name);
        return value.ValueKind == JsonValueKind.String
            ? JsonInput.Text(value, PathOf(name))
            : throw new ScenarioException(PathOf(name), $"{JsonInput.Show(value)} is not a string");
    }

    /// <summary>An integer field in <paramref name="min"/>..<paramref name="max"/>.</summary>
    public long RequiredLong(string name, long min, long max) => JsonInput.ReadLong(Required(name), PathOf(name), min, max);

    /// <summary>An integer field in <paramref name="min"/>..<paramref name="max"/>, or null.</summary>
    public long? OptionalLong(string name, long min, long max) =>
        Optional(name) is { } v ? JsonInput.ReadLong(v, PathOf(name), min, max) : null;

    /// <summary>An integer field in <paramref name="min"/>..<paramref name="max"/>.</summary>
    public int RequiredInt(string name, int min, int max) => JsonInput.ReadInt(Required(name), PathOf(name), min, max);

    /// <summary>An integer field in <paramref name="min"/>..<paramref name="max"/>, or null.</summary>
    public int? OptionalInt(string name, int min, int max) =>
        Optional(name) is { } v ? JsonInput.ReadInt(v, PathOf(name), min, max) : null;

    /// <summary>A finite number, or null.</summary>
    public double? OptionalDouble(string name)
    {
        if (Optional(name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d))
            throw new ScenarioException(PathOf(name), $"{JsonInput.Show(v)} is not a number");
        return d;
    }

    /// <summary>A duration field.</summary>
    public TimeSpan RequiredDuration(string name) => JsonInput.ReadDuration(Required(name), PathOf(name));

    /// <summary>A duration field, or null.</summary>
    public TimeSpan? OptionalDuration(string name) =>
        Optional(name) is { } v ? JsonInput.ReadDuration(v, PathOf(name)) : null;

    /// <summary>A size field, or null.</summary>
    public long? OptionalSize(string name) =>
        Optional(name) is { } v ? JsonInput.ReadSize(v, PathOf(name)) : null;
}
