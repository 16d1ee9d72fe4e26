using System.Reflection;
using System.Text.RegularExpressions;
using Xunit;

namespace PageReportingActors.Tests.Embedding;

/// <summary>The README's embedding example is a program in the repository: the README shows it as it is, and it runs.</summary>
public class ReadmeExampleTests
{
    private static string ReadData(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", "Readme", name)).Replace("\r\n", "\n");

    [Fact]
    public void Readme_embedding_section_shows_the_example_program_as_it_is()
    {
        var readme = ReadData("README.md");
        var section = readme[readme.IndexOf("## Embedding the actors", StringComparison.Ordinal)..];
        const string fence = "```csharp\n";
        var open = section.IndexOf(fence, StringComparison.Ordinal) + fence.Length;
        var close = section.IndexOf("\n```", open, StringComparison.Ordinal);
        Assert.True(open > fence.Length && close > open, "the embedding section has no csharp block");
        Assert.Equal(ReadData("Program.cs").TrimEnd(), section[open..close].TrimEnd());
    }

    [Fact]
    public void R18_readme_example_registers_its_device_and_sees_a_first_pass_that_reports()
    {
        var entry = Assembly.Load("ReadmeExample").EntryPoint!;
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
