using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace PageReportingActors.Tests.Host;

/// <summary>
/// README.md and docs/ as a reader takes them: every relative link and anchor leads somewhere,
/// every file and type they name in a code span exists, and every host command in their
/// <c>sh</c> blocks runs as written (from a folder that holds the repository's files, with the
/// built host), except the blocks that say they need several machines.
/// </summary>
public sealed partial class DocsTests
{
    private static readonly string Root = RepositoryDocsTests.RepositoryRoot();

    /// <summary>README.md and every page of docs/, as paths relative to the repository.</summary>
    private static IEnumerable<string> Pages() =>
        new[] { "README.md" }.Concat(Directory.GetFiles(Path.Combine(Root, "docs"), "*.md")
            .Select(p => Path.GetRelativePath(Root, p)).Order(StringComparer.Ordinal));

    private static string Read(string page) => File.ReadAllText(Path.Combine(Root, page)).Replace("\r\n", "\n");

    /// <summary>A fenced block: its info string's first word, its lines (indentation of the fence removed), where it starts.</summary>
    internal sealed record Fence(string Language, IReadOnlyList<string> Lines, int Line);

    [GeneratedRegex(@"^(?<indent>\s*)```(?<info>.*)$")]
    private static partial Regex FenceLine();

    internal static List<Fence> Fences(string markdown)
    {
        var fences = new List<Fence>();
        var lines = markdown.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var open = FenceLine().Match(lines[i]);
            if (!open.Success) continue;
            var indent = open.Groups["indent"].Value.Length;
            var end = Array.FindIndex(lines, i + 1, l => l.Trim() == "```");
            Assert.True(end > i, $"the block at line {i + 1} is not closed");
            var body = lines[(i + 1)..end].Select(l => l.Length >= indent && string.IsNullOrWhiteSpace(l[..indent]) ? l[indent..] : l.TrimStart()).ToList();
            fences.Add(new Fence(open.Groups["info"].Value.Trim().Split(' ')[0], body, i + 1));
            i = end;
        }
        return fences;
    }

    /// <summary>The page without its fenced blocks and code spans: what is left is prose, where links are.</summary>
    private static string Prose(string markdown)
    {
        var kept = new StringBuilder();
        var inFence = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (FenceLine().IsMatch(line)) { inFence = !inFence; continue; }
            if (!inFence) kept.Append(CodeSpan().Replace(line, "")).Append('\n');
        }
        return kept.ToString();
    }

    [GeneratedRegex(@"`[^`]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"!?\[[^\]]*\]\((?<target>[^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.+?)\s*$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    /// <summary>GitHub's anchor for a heading: lower case, code marks and punctuation dropped, spaces to hyphens.</summary>
    internal static string Anchor(string heading)
    {
        var text = heading.Replace("`", "").ToLowerInvariant();
        var kept = new StringBuilder();
        foreach (var c in text)
            if (char.IsLetterOrDigit(c) || c is '-' or '_') kept.Append(c);
            else if (c == ' ') kept.Append('-');
        return kept.ToString();
    }

    private static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var inFence = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (FenceLine().IsMatch(line)) { inFence = !inFence; continue; }
            if (inFence) continue;
            var m = Heading().Match(line);
            if (!m.Success) continue;
            var anchor = Anchor(m.Groups["text"].Value);
            // A second heading of the same text gets -1, -2, ... as on GitHub.
            var unique = anchor;
            for (var n = 1; !anchors.Add(unique); n++) unique = $"{anchor}-{n}";
        }
        return anchors;
    }

    public static TheoryData<string> PageNames() => new(Pages());

    [Theory]
    [MemberData(nameof(PageNames))]
    public void Every_relative_link_and_anchor_of_a_page_resolves(string page)
    {
        var text = Read(page);
        var dir = Path.GetDirectoryName(Path.Combine(Root, page))!;
        var problems = new List<string>();
        var links = Link().Matches(Prose(text)).Select(m => m.Groups["target"].Value).ToList();
        foreach (var target in links.Where(t => !t.Contains("://", StringComparison.Ordinal) && !t.StartsWith("mailto:", StringComparison.Ordinal)))
        {
            var hash = target.IndexOf('#', StringComparison.Ordinal);
            var path = hash < 0 ? target : target[..hash];
            var anchor = hash < 0 ? null : target[(hash + 1)..];
            var file = path.Length == 0 ? Path.Combine(Root, page) : Path.GetFullPath(Path.Combine(dir, Uri.UnescapeDataString(path)));
            if (!file.StartsWith(Root, StringComparison.Ordinal)) problems.Add($"{target}: outside the repository");
            else if (!File.Exists(file) && !Directory.Exists(file)) problems.Add($"{target}: no such file or folder");
            else if (anchor is not null && !Anchors(File.ReadAllText(file).Replace("\r\n", "\n")).Contains(anchor))
                problems.Add($"{target}: {Path.GetFileName(file)} has no heading with the anchor #{anchor}");
        }
        Assert.True(problems.Count == 0, $"{page}: " + string.Join("; ", problems));
    }

    [Fact]
    public void The_readme_is_a_card_and_the_map_links_every_page_of_the_guide()
    {
        Assert.InRange(Read("README.md").Split('\n').Length, 1, 160);
        var map = Read(Path.Combine("docs", "README.md"));
        foreach (var page in Pages().Where(p => p.StartsWith("docs", StringComparison.Ordinal)))
        {
            Assert.StartsWith("# ", Read(page));
            var name = Path.GetFileName(page);
            Assert.True(name == "README.md" || map.Contains($"]({name})", StringComparison.Ordinal), $"docs/README.md does not link {name}");
        }
    }

    [GeneratedRegex(@"^\*\*(?<rule>R\d+) ", RegexOptions.Multiline)]
    private static partial Regex RuleHeading();

    /// <summary>design.md's table leads from every rule rules.md states to a file that plays it.</summary>
    [Fact]
    public void Design_names_a_file_for_every_rule_of_rules_md()
    {
        var rules = RuleHeading().Matches(Read(Path.Combine("docs", "rules.md"))).Select(m => m.Groups["rule"].Value).ToList();
        Assert.True(rules.Count >= 23, $"only {rules.Count} rules in docs/rules.md");
        var design = Read(Path.Combine("docs", "design.md")).Split('\n');
        foreach (var rule in rules)
        {
            var row = design.FirstOrDefault(l => l.StartsWith($"| {rule} |", StringComparison.Ordinal));
            Assert.True(row is not null, $"docs/design.md's rule table has no row for {rule}");
            Assert.True(Link().IsMatch(row), $"docs/design.md's row for {rule} links no file");
        }
    }

    // ---- What code spans name ----

    /// <summary>A code span that runs over a line end is still one span, but the checks below read a line at a time.</summary>
    [Theory]
    [MemberData(nameof(PageNames))]
    public void Every_code_span_closes_on_its_line(string page)
    {
        var inFence = false;
        var open = new List<int>();
        var lines = Read(page).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (FenceLine().IsMatch(lines[i])) { inFence = !inFence; continue; }
            if (!inFence && lines[i].Count(c => c == '`') % 2 == 1) open.Add(i + 1);
        }
        Assert.True(open.Count == 0, $"{page}: a code span runs over the end of line {string.Join(", ", open)}");
    }

    [GeneratedRegex(@"^(src|test|samples|docs|bench|\.ci)/[A-Za-z0-9_./-]+$")]
    private static partial Regex RepositoryPath();

    [Theory]
    [MemberData(nameof(PageNames))]
    public void Every_repository_path_a_page_names_in_code_exists(string page)
    {
        var missing = CodeSpans(Read(page)).Where(s => RepositoryPath().IsMatch(s))
            .Where(s => !File.Exists(Path.Combine(Root, s)) && !Directory.Exists(Path.Combine(Root, s)))
            .Distinct().ToList();
        Assert.True(missing.Count == 0, $"{page} names {string.Join(", ", missing)}, which the repository does not hold");
    }

    /// <summary>The text of every code span outside fenced blocks.</summary>
    private static IEnumerable<string> CodeSpans(string markdown)
    {
        var inFence = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (FenceLine().IsMatch(line)) { inFence = !inFence; continue; }
            if (inFence) continue;
            foreach (Match m in CodeSpan().Matches(line)) yield return m.Value[1..^1];
        }
    }

    /// <summary>
    /// <c>Type</c>, <c>Type.Member</c>, <c>Type&lt;T&gt;</c>, <c>Type(...)</c>: a name with at least two
    /// capitals and a small letter, as .NET names are and JSON fields, units and kernel names are not.
    /// </summary>
    [GeneratedRegex(@"^(?<type>[A-Z][A-Za-z0-9]*)(<[A-Za-z, ]+>)?(\.(?<member>[A-Z][A-Za-z0-9]*)(<[A-Za-z, ]+>)?)?(\(.*\))?$")]
    private static partial Regex DotNetName();

    /// <summary>Names in code spans that are not .NET names: units, a /proc field, packages outside the solution.</summary>
    private static readonly HashSet<string> NotDotNet = new(StringComparer.Ordinal)
    {
        "KiB", "MiB", "GiB", "TiB", "NaN", "AnonHugePages", "RyuJIT",
    };

    private static readonly Lazy<(ILookup<string, Type> Types, HashSet<string> Members, HashSet<string> Namespaces)> Known = new(() =>
    {
        // The solution's assemblies and everything they reference.
        var seen = new Dictionary<string, Assembly>(StringComparer.Ordinal);
        var queue = new Queue<Assembly>([typeof(DocsTests).Assembly, typeof(PageReportingActors.Host.Cli.HostProgram).Assembly]);
        while (queue.Count > 0)
        {
            var assembly = queue.Dequeue();
            if (!seen.TryAdd(assembly.GetName().Name!, assembly)) continue;
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (seen.ContainsKey(reference.Name!)) continue;
                try { queue.Enqueue(Assembly.Load(reference)); }
                catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException) { }
            }
        }
        var types = seen.Values.SelectMany(a =>
        {
            try { return a.GetTypes(); }
            catch (ReflectionTypeLoadException e) { return e.Types.OfType<Type>().ToArray(); }
        }).ToList();
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var ours = types.Where(t => t.Namespace?.StartsWith("PageReportingActors", StringComparison.Ordinal) == true);
        var members = ours.SelectMany(t => t.GetMembers(all)).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var namespaces = types.Select(t => t.Namespace).OfType<string>().ToHashSet(StringComparer.Ordinal);
        namespaces.UnionWith(seen.Keys);
        return (types.ToLookup(t => t.Name.Split('`')[0], StringComparer.Ordinal), members, namespaces);
    });

    /// <summary>The packages Directory.Packages.props names, and the package ids of the solution's own projects.</summary>
    private static readonly Lazy<HashSet<string>> Packages = new(() =>
    {
        var names = Regex.Matches(File.ReadAllText(Path.Combine(Root, "Directory.Packages.props")), "Include=\"([^\"]+)\"")
            .Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        names.UnionWith(["PageReportingActors", "PageReportingActors.Core", "PageReportingActors.Messages",
            "OpenTelemetry.Exporter.OpenTelemetryProtocol", "Akka.Logger.Serilog", "Serilog"]);
        return names;
    });

    [Theory]
    [MemberData(nameof(PageNames))]
    public void Every_type_and_member_a_page_names_in_code_exists(string page)
    {
        var (types, members, namespaces) = Known.Value;
        var problems = new List<string>();
        foreach (var span in CodeSpans(Read(page)).Distinct())
        {
            if (NotDotNet.Contains(span) || namespaces.Contains(span) || Packages.Value.Contains(span)) continue;
            var m = DotNetName().Match(span);
            if (!m.Success) continue;
            var type = m.Groups["type"].Value;
            if (!type.Any(char.IsLower) || type.Count(char.IsUpper) < 2 && !m.Groups["member"].Success) continue;
            var member = m.Groups["member"].Success ? m.Groups["member"].Value : null;
            var candidates = types[type].ToList();
            if (candidates.Count == 0)
            {
                // Not a type: a member (a method, an enum value, a property) of one of ours, alone.
                if (member is not null || !members.Contains(type)) problems.Add(span);
                continue;
            }
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;
            if (member is not null && !candidates.Any(t => t.GetMember(member, all).Length > 0)) problems.Add(span);
        }
        Assert.True(problems.Count == 0, $"{page} names {string.Join(", ", problems)}, which the code does not have");
    }

    // ---- The commands ----

    private const string HostCommand = "dotnet run --project src/Host";

    /// <summary>A command a reader pastes from an sh block: a host command, or the test command CI runs as it is.</summary>
    private static bool IsHostLine(string line) => line.StartsWith(HostCommand, StringComparison.Ordinal);

    private static bool NeedsSeveralMachines(Fence fence) =>
        fence.Lines.FirstOrDefault(l => l.Trim().Length > 0) is { } first && first.StartsWith('#') && first.Contains("several machines", StringComparison.Ordinal);

    /// <summary>Every sh block with a host command, as (page, line of its fence).</summary>
    public static TheoryData<string, int> CommandBlocks()
    {
        var data = new TheoryData<string, int>();
        foreach (var page in Pages())
            foreach (var fence in Fences(Read(page)).Where(f => f.Language == "sh" && f.Lines.Any(IsHostLine) && !NeedsSeveralMachines(f)))
                data.Add(page, fence.Line);
        return data;
    }

    [Fact]
    public void Host_commands_are_in_sh_blocks_synopses_in_text_blocks_and_only_blocks_for_several_machines_are_left_out()
    {
        var problems = new List<string>();
        var skipped = 0;
        foreach (var page in Pages())
            foreach (var fence in Fences(Read(page)))
            {
                var hostLines = fence.Lines.Where(IsHostLine).ToList();
                if (hostLines.Count == 0) continue;
                var where = $"{page}:{fence.Line}";
                switch (fence.Language)
                {
                    case "sh":
                        if (NeedsSeveralMachines(fence)) { skipped++; break; }
                        foreach (var line in fence.Lines.Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')))
                            if (!IsHostLine(line) && line.Trim() != "dotnet test" && !line.StartsWith("dotnet test ", StringComparison.Ordinal))
                                problems.Add($"{where}: \"{line}\" is neither a host command nor the test command in a block of host commands");
                        break;
                    case "text":
                        foreach (var line in hostLines.Where(l => !Placeholder().IsMatch(l)))
                            problems.Add($"{where}: \"{line}\" is in a text block but has no placeholder: put it in an sh block, where it is run");
                        break;
                    default:
                        problems.Add($"{where}: host commands in a \"{fence.Language}\" block: write sh (run by this test) or text (a synopsis)");
                        break;
                }
            }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.InRange(skipped, 1, 2); // the fleet across machines
        Assert.True(CommandBlocks().Count() >= 8, "the docs show fewer command blocks than they did");
    }

    /// <summary>An upper-case word (SCENARIO, FILE, DIR) or an optional part in brackets.</summary>
    [GeneratedRegex(@"\b[A-Z]{3,}\b|\[")]
    private static partial Regex Placeholder();

    /// <summary>
    /// Runs a block's host commands in order, each through bash as a reader's shell would, from a
    /// fresh folder that holds the repository's files (so <c>samples/...</c> and <c>test/Data/...</c>
    /// resolve and <c>out/</c> is the folder's own), with the host this test was built with.
    /// </summary>
    [Theory]
    [MemberData(nameof(CommandBlocks))]
    public async Task A_host_command_block_of_the_docs_runs_as_written(string page, int line)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        var fence = Fences(Read(page)).Single(f => f.Line == line);
        var dir = Directory.CreateTempSubdirectory("docs-commands-").FullName;
        try
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(Root))
            {
                var name = Path.GetFileName(entry);
                if (name is ".git" or "out" or "nupkgs") continue;
                File.CreateSymbolicLink(Path.Combine(dir, name), entry);
            }
            var host = Path.Combine(AppContext.BaseDirectory, "PageReportingActors.Host.dll");
            var dotnet = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
            foreach (var command in fence.Lines.Where(IsHostLine))
            {
                var rest = command[HostCommand.Length..];
                if (rest.StartsWith(" --", StringComparison.Ordinal) && (rest.Length == 3 || rest[3] == ' ')) rest = rest[3..];
                var (code, stdout, stderr) = await Bash($"'{dotnet}' '{host}'{rest}", dir, TimeSpan.FromMinutes(3));
                Assert.True(code == 0, $"{page}:{line}: \"{command}\" exited {code}\n{Tail(stderr)}\n{Tail(stdout)}");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(15));

    private static async Task<(int Code, string Out, string Err)> Bash(string command, string dir, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var patience = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, await stdout, $"timed out after {timeout}\n" + await stderr);
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
