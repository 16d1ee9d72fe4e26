using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using PageReportingActors.Benchmarks;

// Modes:
//   (no mode) [BenchmarkDotNet args]   the BenchmarkDotNet benchmarks, e.g. --filter '*Allocator*'
//   --quick [BenchmarkDotNet args]     the same with a short job (1 launch, 1 warmup, 3 iterations), run in this process
//                                      (no separate build, which a loaded machine may not finish in BenchmarkDotNet's time)
//   memory                             managed bytes per modeled page for 1, 16 and 256 GiB guests
//   scenarios [--repeat N]             wall time of each built-in scenario (ScenarioRunner.RunAsync only)
//   scaling [--fresh N]                one pass's time and memory vs guest size, 1..256 GiB
//   replay [--repeat N]               the reference trace replayed through the host: wall time, events/s, memory
//   fleet FLEET.json [--guests N] [--nodes N] [--idle N]   guest-seconds per wall second of a fleet, one guest's cost, fixed memory per guest
var mode = args.FirstOrDefault();
switch (mode)
{
    case "memory":
        MemoryMode.Run();
        return 0;
    case "scenarios":
        await ScenariosMode.Run(IntOption(args, "--repeat", 1));
        return 0;
    case "scaling":
        ScalingMode.Run(IntOption(args, "--fresh", 64));
        return 0;
    case "replay":
        ReplayMode.Run(IntOption(args, "--repeat", 3));
        return 0;
    case "fleet":
        await FleetMode.Run(args[1], args.Contains("--guests") ? IntOption(args, "--guests", 0) : null, IntOption(args, "--nodes", 1), IntOption(args, "--idle", 0));
        return 0;
}

var quick = args.Contains("--quick");
var rest = args.Where(a => a != "--quick").ToArray();
IConfig config = DefaultConfig.Instance;
if (quick)
{
    config = DefaultConfig.Instance.AddJob(Job.ShortRun
        .WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3)
        .WithToolchain(InProcessEmitToolchain.Instance).WithId("Quick"));
}
var summaries = BenchmarkSwitcher.FromAssembly(typeof(AllocatorBenchmarks).Assembly)
    .Run(rest.Length == 0 ? ["--filter", "*"] : rest, config);
return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;

static int IntOption(string[] args, string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var value) ? value : fallback;
}
