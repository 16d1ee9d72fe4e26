using PageReportingActors.Host.Scenarios;
using PageReportingActors.Memory;
using Xunit;

namespace PageReportingActors.Tests.Host;

/// <summary>The real-guest fields of a scenario: kernel, cpus, managedPages, protection, pcp, over, chunk, cpu.</summary>
public sealed class RealGuestFieldsParserTests
{
    private static string ErrorOf(string json) => Assert.Throws<ScenarioException>(() => ScenarioParser.Parse(json)).Message;

    private static string Guest(string guestExtra = "", string dma32Extra = "", string steps = """{ "at": "0s", "op": "register" }""") => $$"""
        { "name": "g", "guest": { {{guestExtra}}
            "zones": [
              { "name": "DMA", "startPfn": 0, "pages": 4096, "freePages": 3808,
                "watermarks": { "min": 176, "low": 220, "high": 264 }, "pcp": { "high": 0, "batch": 1, "count": 0 } },
              { "name": "DMA32", "startPfn": 4096, "pages": 258016, "freePages": 235490,
                "watermarks": { "min": 11087, "low": 13858, "high": 16629 } {{dma32Extra}} } ] },
          "workload": [ {{steps}} ] }
        """;

    [Fact]
    public void A_file_without_the_fields_gets_6_12_one_cpu_and_the_kernels_per_cpu_sizing()
    {
        var s = ScenarioParser.Parse(ScenarioParserTests.Example);
        Assert.Same(KernelProfile.Linux6_12, s.Kernel);
        Assert.Equal(1, s.Cpus);
        var dma32 = s.Zones[1].Kernel!;
        // managed = pages (258016): batch 63, highMin the low watermark, highMax an eighth of managed.
        Assert.Equal(new PerCpuSizing(63, 13856, 258016 / 8, 13856), dma32.PerCpu);
        Assert.Equal(0, dma32.InitialPerCpuPages);
        // lowmem_reserve of DMA against user memory: DMA32's managed pages / 256.
        Assert.Equal(258016 / 256, s.Protection[0][3]);
        Assert.Equal(0, s.Protection[1][3]);
        Assert.All(s.Workload, step => Assert.Equal(0, step.Cpu));
    }

    [Fact]
    public void Reads_kernel_cpus_managed_pages_protection_and_pcp()
    {
        var s = ScenarioParser.Parse(Guest("\"kernel\": \"6.1\", \"cpus\": 2,",
            """, "managedPages": 241591, "protection": [0, 0, 0, 0, 0], "pcp": { "high": 6000, "batch": 31, "count": 100 }"""));
        Assert.Same(KernelProfile.Linux6_1, s.Kernel);
        Assert.Equal(2, s.Cpus);
        Assert.Equal(new ZoneKernelSpec(KernelProfile.Linux6_1, 2, new PerCpuSizing(31, 6000, 6000, 6000), 100), s.Zones[1].Kernel);
        Assert.Equal(new PerCpuSizing(1, 0, 0, 0), s.Zones[0].Kernel!.PerCpu);
        Assert.Equal([0L, 0, 0, 0, 0], s.Protection[1]);
        // DMA's row is the kernel's: DMA32's managed pages / 256.
        Assert.Equal(241591 / 256, s.Protection[0][3]);
    }

    [Fact]
    public void On_6_12_high_is_the_value_now_between_the_kernels_limits()
    {
        var s = ScenarioParser.Parse(Guest(dma32Extra: """, "managedPages": 241591, "pcp": { "high": 13858, "batch": 63, "count": 2809 }"""));
        Assert.Equal(new PerCpuSizing(63, 13858, 241591 / 8, 13858), s.Zones[1].Kernel!.PerCpu);
        Assert.Equal(2809, s.Zones[1].Kernel!.InitialPerCpuPages);
        var tuned = ScenarioParser.Parse(Guest(dma32Extra: """, "pcp": { "high": 20000, "highMin": 14000, "highMax": 30000 }"""));
        Assert.Equal(new PerCpuSizing(63, 14000, 30000, 20000), tuned.Zones[1].Kernel!.PerCpu);
    }

    [Fact]
    public void Reads_over_chunk_and_cpu_on_steps()
    {
        var s = ScenarioParser.Parse(Guest("\"cpus\": 4,", steps: """
            { "at": "0s", "op": "register", "cpu": 3 },
            { "at": "1s", "op": "allocate", "id": "hog", "size": "512MiB", "over": "1.5s", "cpu": 1 },
            { "at": "5s", "op": "free", "id": "hog", "pattern": "every-other", "chunk": "256KiB", "over": "116ms", "cpu": 2 }
            """));
        Assert.Equal(3, s.Workload[0].Cpu);
        var allocate = Assert.IsType<AllocateStep>(s.Workload[1]);
        Assert.Equal(TimeSpan.FromSeconds(1.5), allocate.Over);
        Assert.Equal(1, allocate.Cpu);
        var free = Assert.IsType<FreeStep>(s.Workload[2]);
        Assert.Equal(256 << 10, free.ChunkBytes);
        Assert.Equal(TimeSpan.FromMilliseconds(116), free.Over);
        Assert.Equal(2, free.Cpu);
    }

    [Theory]
    [InlineData("\"kernel\": \"5.10\",", "", "guest.kernel: \"5.10\" is not a kernel (\"6.1\", \"6.12\")")]
    [InlineData("\"kernel\": 6.1,", "", "guest.kernel: 6.1 is not a kernel")]
    [InlineData("\"cpus\": 0,", "", "guest.cpus: 0 must be in 1..1024")]
    [InlineData("", ", \"managedPages\": 300000", "guest.zones[1].managedPages: 300000 must be in 0..258016")]
    [InlineData("", ", \"protection\": [0, -1]", "guest.zones[1].protection[1]: -1 must be >= 0")]
    [InlineData("", ", \"protection\": 5", "guest.zones[1].protection: 5 is not an array")]
    [InlineData("", ", \"pcp\": { \"hgh\": 5 }", "guest.zones[1].pcp.hgh: is not a known field")]
    [InlineData("", ", \"pcp\": { \"batch\": 0 }", "guest.zones[1].pcp.batch: 0 must be >= 1")]
    [InlineData("", ", \"pcp\": { \"count\": 30000 }", "guest.zones[1].pcp.count: 30000 must be in 0..22526")]
    [InlineData("", ", \"pcp\": { \"high\": 100, \"highMin\": 200, \"highMax\": 300 }", "guest.zones[1].pcp.high: 100 is not within highMin..highMax (200..300)")]
    public void A_bad_guest_field_is_named(string guestExtra, string dma32Extra, string expected) =>
        Assert.StartsWith(expected, ErrorOf(Guest(guestExtra, dma32Extra)));

    [Theory]
    [InlineData("""{ "at": "0s", "op": "register", "cpu": 1 }""", "workload[0].cpu: 1 must be in 0..0")]
    [InlineData("""{ "at": "0s", "op": "allocate", "id": "a", "size": "1MiB", "over": "-1s" }""", "workload[0].over: \"-1s\" is not a duration")]
    [InlineData("""{ "at": "0s", "op": "allocate", "id": "a", "size": "1MiB", "over": "soon" }""", "workload[0].over: \"soon\" is not a duration")]
    [InlineData("""{ "at": "0s", "op": "allocate", "id": "a", "size": "8MiB", "order": 9 }, { "at": "1s", "op": "free", "id": "a", "chunk": "1MiB" }""",
        "workload[1].chunk: \"1MiB\" is not a whole number of the allocation's order-9 blocks (2MiB each)")]
    [InlineData("""{ "at": "0s", "op": "allocate", "id": "a", "size": "1MiB" }, { "at": "1s", "op": "free", "id": "a", "chunk": "0B" }""",
        "workload[1].chunk: \"0B\" must be positive")]
    [InlineData("""{ "at": "0s", "op": "setOrder", "value": 3, "over": "1s" }""", "workload[0].over: is not a known field")]
    public void A_bad_step_field_is_named(string steps, string expected) =>
        Assert.StartsWith(expected, ErrorOf(Guest(steps: steps)));
}
