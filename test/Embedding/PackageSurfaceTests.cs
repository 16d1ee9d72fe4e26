using System.Reflection;
using PageReportingActors.Allocator;
using PageReportingActors.Messages;
using Xunit;

namespace PageReportingActors.Tests.Embedding;

/// <summary>What a user of the packages gets: trace replay is the host's, so none of it shows.</summary>
public sealed class PackageSurfaceTests
{
    private static readonly Assembly[] Packaged =
        [typeof(ZoneFreeArea).Assembly, typeof(IZoneCommand).Assembly, typeof(PageReporting).Assembly];

    [Fact]
    public void The_packaged_assemblies_reference_no_decompressor()
    {
        foreach (var assembly in Packaged)
            Assert.DoesNotContain(assembly.GetReferencedAssemblies(), a => a.Name == "SharpCompress");
    }

    [Fact]
    public void The_packaged_assemblies_export_no_replay_api()
    {
        var exported = Packaged.SelectMany(a => a.GetExportedTypes()).ToList();
        Assert.DoesNotContain(exported, t => t.Namespace == "PageReportingActors.Replay");
        Assert.DoesNotContain(exported, t => t.Name.Contains("Replay", StringComparison.Ordinal) || t.Name.Contains("Trace", StringComparison.Ordinal));
    }
}
