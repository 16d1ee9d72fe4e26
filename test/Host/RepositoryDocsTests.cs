using System.Text.RegularExpressions;
using Xunit;

namespace PageReportingActors.Tests.Host;

/// <summary>docs/rules.md and the code's kernel: tags name the same kernel functions; nothing points outside the repository.</summary>
public sealed partial class RepositoryDocsTests
{
    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PageReportingActors.sln"))) return dir.FullName;
        throw new InvalidOperationException("the repository root (PageReportingActors.sln) is not above the test's folder");
    }

    private static IEnumerable<string> SourceFiles(string root, params string[] folders) =>
        folders.SelectMany(f => Directory.EnumerateFiles(Path.Combine(root, f), "*", SearchOption.AllDirectories))
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(p => Path.GetExtension(p) is ".cs" or ".md" or ".json" or ".csproj" or ".props");

    [GeneratedRegex(@"//\s*kernel:\s*(.+)$", RegexOptions.Multiline)]
    private static partial Regex KernelTag();

    [GeneratedRegex(@"\b(__?[a-z][a-z0-9_]+|[a-z]+_[a-z0-9_]+)\b")]
    private static partial Regex KernelName();

    [Fact]
    public void Every_rule_and_invariant_is_in_rules_md_each_rule_with_its_kernel_function()
    {
        var rules = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "rules.md"));
        for (var r = 1; r <= 24; r++)
        {
            var at = rules.IndexOf($"**R{r} ", StringComparison.Ordinal);
            Assert.True(at >= 0, $"R{r} is not stated in docs/rules.md");
            var next = rules.IndexOf("**R", at + 4, StringComparison.Ordinal);
            var text = next < 0 ? rules[at..] : rules[at..next];
            Assert.Contains("*kernel:*", text);
        }
        foreach (var invariant in new[] { "I1", "I2", "I3", "I4" }) Assert.Contains($"**{invariant}**", rules);
    }

    [Fact]
    public void Every_kernel_tag_in_the_code_names_functions_that_rules_md_explains()
    {
        var root = RepositoryRoot();
        var rules = File.ReadAllText(Path.Combine(root, "docs", "rules.md"));
        var tags = SourceFiles(root, "src").Where(p => p.EndsWith(".cs", StringComparison.Ordinal))
            .SelectMany(p => KernelTag().Matches(File.ReadAllText(p)).Select(m => (File: Path.GetFileName(p), Text: m.Groups[1].Value)))
            .ToList();
        Assert.True(tags.Count >= 20, $"only {tags.Count} kernel: tags in src/");
        foreach (var (file, text) in tags)
            foreach (var name in KernelName().Matches(text).Select(m => m.Value))
                Assert.True(rules.Contains($"`{name}`", StringComparison.Ordinal), $"{file}: kernel: tag names {name}, which docs/rules.md does not");
        // The main functions of mm/page_reporting.c each have their place in the code.
        foreach (var name in new[] { "page_reporting_notify_free", "__page_reporting_request", "page_reporting_process", "page_reporting_process_zone",
                     "page_reporting_cycle", "page_reporting_drain", "__isolate_free_page", "__putback_isolated_page", "__free_one_page",
                     "page_reporting_register", "page_reporting_unregister" })
            Assert.Contains(tags, t => t.Text.Contains(name, StringComparison.Ordinal));
    }

    [Fact]
    public void Nothing_in_the_repository_points_outside_it()
    {
        var root = RepositoryRoot();
        // Spelled in pieces so this file does not find itself.
        string[] outside = [".." + "/shared", "/wo" + "rk/"];
        var files = SourceFiles(root, "src", "test", "docs", "bench").Append(Path.Combine(root, "README.md"));
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            foreach (var pointer in outside)
                Assert.False(text.Contains(pointer, StringComparison.Ordinal), $"{Path.GetRelativePath(root, file)} contains \"{pointer}\"");
        }
    }
}
