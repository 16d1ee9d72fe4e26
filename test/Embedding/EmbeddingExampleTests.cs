using System.Reflection;
using System.Text.RegularExpressions;
using Xunit;

namespace PageReportingActors.Tests.Embedding;

/// <summary>The embedding guide's example is a program in the repository: docs/embedding.md shows it as it is, and it runs.</summary>
public class EmbeddingExampleTests
{
    private static string Read(params string[] path) =>
        File.ReadAllText(Path.Combine([AppContext.BaseDirectory, .. path])).Replace("\r\n", "\n");

    [Fact]
    public void The_guides_whole_program_is_the_example_program_as_it_is()
    {
        var page = Read("docs", "embedding.md");
        var at = page.IndexOf("## A whole program", StringComparison.Ordinal);
        Assert.True(at >= 0, "docs/embedding.md has no section \"A whole program\"");
        var section = page[at..];
        const string fence = "```csharp\n";
        var open = section.IndexOf(fence, StringComparison.Ordinal) + fence.Length;
        var close = section.IndexOf("\n```", open, StringComparison.Ordinal);
        Assert.True(open > fence.Length && close > open, "the section has no csharp block");
        Assert.Equal(Read("Data", "Example", "Program.cs").TrimEnd(), section[open..close].TrimEnd());
    }

    [Fact]
    public void R18_the_guides_example_registers_its_device_and_sees_a_first_pass_that_reports()
    {
        var entry = Assembly.Load("EmbeddingExample").EntryPoint!;
        var console = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            entry.Invoke(null, [Array.Empty<string>()]);
        }
        finally
        {
            Console.SetOut(console);
        }
        var text = output.ToString();
        Assert.Contains("DeviceRegistered", text);
        var pass = Regex.Match(text, @"First pass: (\d+) reports, (\d+) MiB reported");
        Assert.True(pass.Success, text);
        Assert.True(int.Parse(pass.Groups[1].Value) >= 1);
        Assert.True(int.Parse(pass.Groups[2].Value) >= 1);
    }
}
