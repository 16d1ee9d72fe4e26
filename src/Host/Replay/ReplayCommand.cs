using System.ComponentModel;
using System.Globalization;
using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Output;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;
using PageReportingActors.Replay;
using Serilog;
using Serilog.Events;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PageReportingActors.Host.Replay;

/// <summary>The host's <c>replay TRACE --guest GUEST.json [--kpageflags FILE] [--out DIR] [--sample D]</c>.</summary>
internal static class ReplayCommand
{
    internal static void Register(IConfigurator config, TextWriter stdout, IAnsiConsole console, bool interactive, RunProgress progress)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.AddAsyncDelegate<ReplaySettings>("replay", (_, s, ct) => RunAsync(stdout, console, interactive, progress, s, ct))
            .WithDescription("Replays a guest's recorded page allocator trace (ftrace kmem events) as its workload and writes what 'run' writes.")
            .WithExample("replay", "test/Data/replay/trace.txt.xz", "--guest", "test/Data/replay/guest.json", "--kpageflags", "test/Data/replay/kpageflags.bin.xz", "--out", "out/replay");
    }

    internal static async Task<int> RunAsync(TextWriter stdout, IAnsiConsole console, bool interactive, RunProgress progress, ReplaySettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(settings);
        if (!Durations.TryParse(settings.Sample, out var sample))
            throw new UsageException($"--sample: {Durations.Problem(settings.Sample)}");
        if (sample <= TimeSpan.Zero)
            throw new UsageException($"--sample: \"{settings.Sample}\" is not a positive duration");
        if (sample < TimeSpan.FromMilliseconds(1))
            throw new UsageException($"--sample: \"{settings.Sample}\" is below 1ms");
        if (string.IsNullOrWhiteSpace(settings.Out)) throw new UsageException("--out: is empty");
        if (RunOutput.TargetProblem(settings.Out) is { } badOut) throw new UsageException($"--out: {badOut}");
        if (string.IsNullOrWhiteSpace(settings.Guest)) throw new UsageException("--guest: a replay needs the guest's description (GUEST.json)");
        if (!File.Exists(settings.Trace)) throw new UsageException($"trace file not found: {settings.Trace}");
        if (settings.Kpageflags is { } flags && !File.Exists(flags)) throw new UsageException($"--kpageflags: file not found: {flags}");

        var guest = ReplayGuest.LoadFile(settings.Guest);
        // The replay runs to the guest's stop, sampled as run samples: the same bound on its timeline.
        if (ScenarioBounds.TimelineProblem(ScenarioWorkload.StopTime(guest.Scenario), sample) is { } tooLong)
            throw new UsageException(tooLong);
        if (ScenarioHost.ReadCostsOption(settings.Costs) is { } costs)
            guest = guest with { Scenario = guest.Scenario with { Host = guest.Scenario.Host with { Costs = costs } } };
        RunResult result;
        var previousLogger = Log.Logger;
        using var logger = HostLogging.Create(stdout, settings.Quiet ? LogEventLevel.Warning : LogEventLevel.Information);
        Log.Logger = logger;
        try
        {
            var snapshot = settings.Kpageflags is { } path
                ? KpageflagsSnapshot.Load(path, guest.Scenario.Zones.Max(z => z.StartPfn + z.Pages))
                : null;
            if (!settings.Quiet)
                stdout.WriteLine($"replaying {Path.GetFileName(settings.Trace)} on \"{guest.Scenario.Name}\" ({(snapshot is null ? "the zones' layout" : "layout from " + Path.GetFileName(settings.Kpageflags))}), sampling every {Durations.Format(sample)}");
            var options = new RunOptions(sample, Path.GetFullPath(settings.Out));
            Task<RunResult> Replay(IProgress<double>? shown) =>
                ReplayRunner.RunAsync(guest, () => TraceReader.Open(settings.Trace), snapshot, options with { Progress = shown }, cancellationToken);
            result = await (settings.Quiet ? Replay(null)
                : progress.RunAsync("guest uptime", Replay, ScenarioWorkload.StopTime(guest.Scenario).TotalSeconds)).ConfigureAwait(false);
        }
        catch (ReplayInputException e)
        {
            throw new UsageException(e.Message);
        }
        catch (AggregateException e) when (e.InnerException is ReplayInputException inner)
        {
            throw new UsageException(inner.Message);
        }
        finally
        {
            Log.Logger = previousLogger;
        }

        var files = RunOutput.WriteAll(result, settings.Out, cancellationToken);
        var r = result.Replay!;
        foreach (var warning in result.Warnings ?? []) stdout.WriteLine($"warning: {warning}");
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"replayed {r.TotalEvents:N0} events ({r.Applied:N0} applied, {r.WaitedForDevice:N0} waited for the device) in {result.Summary.WallSeconds:0.00} s; skipped {r.Skipped:N0} lines ({r.Malformed:N0} malformed, {r.OutsideGuest + r.Misaligned:N0} outside the guest); {r.Conflicts.Values.Sum():N0} contradictions"));
        if (settings.Quiet)
            stdout.WriteLine(SummaryPrinter.OneLine(result, files));
        else
            SummaryPrinter.Print(console, stdout, interactive, result, files);
        stdout.Flush();
        return HostProgram.ExitOk;
    }
}

/// <summary>Arguments of <c>replay</c>.</summary>
internal sealed class ReplaySettings : CommandSettings
{
    [CommandArgument(0, "<TRACE>")]
    [Description("The guest's /sys/kernel/tracing/trace with the kmem page events (plain, .gz or .xz).")]
    public string Trace { get; set; } = "";

    [CommandOption("--guest <GUEST>")]
    [Description("A scenario file describing the traced guest; its workload holds only register, unregister, setOrder and stop.")]
    public string Guest { get; set; } = "";

    [CommandOption("--kpageflags <FILE>")]
    [Description("A /proc/kpageflags snapshot taken when the trace started (plain, .gz or .xz): the starting free pages.")]
    public string? Kpageflags { get; set; }

    [CommandOption("--out <DIR>")]
    [Description("Directory for report.json, timeline.csv, timeline.png and report.html.")]
    [DefaultValue("./out")]
    public string Out { get; set; } = "./out";

    [CommandOption("--sample <DURATION>")]
    [Description("Virtual time between timeline rows, e.g. 50ms, 100ms.")]
    [DefaultValue("100ms")]
    public string Sample { get; set; } = "100ms";

    [CommandOption("--quiet")]
    [Description("Print only warnings, errors and a one-line result.")]
    public bool Quiet { get; set; }

    [CommandOption("--costs <FILE>")]
    [Description("Unit costs (a costs.json that calibrate wrote) instead of the scenario's host.costs or the defaults.")]
    public string? Costs { get; set; }

    private const string SpectreDefaultCommandToken = "__default_command";

    public override ValidationResult Validate()
    {
        foreach (var (name, value) in new[] { ("--guest", Guest), ("--out", Out), ("--sample", Sample), ("--kpageflags", Kpageflags) })
            if (value == SpectreDefaultCommandToken) return ValidationResult.Error($"{name}: needs a value");
        return ValidationResult.Success();
    }
}
