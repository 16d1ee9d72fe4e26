using System.ComponentModel;
using System.Globalization;
using PageReportingActors.Host.Output;
using PageReportingActors.Host.Scenarios;
using PageReportingActors.Host.Simulation;
using Serilog;
using Serilog.Events;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PageReportingActors.Host.Cli;

/// <summary>Runs a scenario: the same signature as <see cref="ScenarioRunner.RunAsync"/>, so tests can stand in for it.</summary>
internal delegate Task<RunResult> ScenarioRun(Scenario scenario, RunOptions options, CancellationToken cancellationToken);

/// <summary>An argument the host cannot use: exit code 2, the message as the one line on stderr.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The host's command line: <c>run FILE.json|NAME [--out DIR] [--sample DURATION] [--seed N]</c>, <c>scenarios</c>,
/// and no arguments for <c>run default</c>. Exit codes: 0 done, 2 bad scenario or argument, 130 stopped by SIGINT
/// or SIGTERM (the caller's token), 1 anything else;
/// a failure prints one line on stderr and no stack trace.
/// </summary>
internal static class HostProgram
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    /// <summary>Stopped by SIGINT (Ctrl+C) or SIGTERM: 128 + SIGINT, as shells report it.</summary>
    public const int ExitInterrupted = 130;

    public const string InterruptedMessage = "stopped (SIGINT or SIGTERM) before the run ended; nothing written";

    /// <param name="runner">The simulation; <see cref="ScenarioRunner.RunAsync"/> unless a test supplies another.</param>
    /// <param name="interactive">Whether stdout and stderr are terminals (progress bar, table); detected when null.</param>
    /// <param name="progressAfter">Wall time a run takes before its progress shows; <see cref="RunProgress.DefaultAfter"/> when null.</param>
    public static async Task<int> RunAsync(
        string[] args,
        TextWriter stdout,
        TextWriter stderr,
        ScenarioRun? runner = null,
        bool? interactive = null,
        CancellationToken cancellationToken = default,
        TimeSpan? progressAfter = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var isTerminal = interactive ?? (ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected);
        var errIsTerminal = interactive ?? (ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected);
        var progress = new RunProgress(stderr, errIsTerminal ? CreateConsole(stderr, interactive: true) : null,
            logsOnTerminal: isTerminal, progressAfter ?? RunProgress.DefaultAfter);
        var context = new HostContext(stdout, isTerminal, runner ?? ScenarioRunner.RunAsync, CreateConsole(stdout, isTerminal), progress);

        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("PageReportingActors.Host");
            config.ConfigureConsole(context.Console);
            config.Settings.Culture = CultureInfo.InvariantCulture;
            // We print failures ourselves, as one line, and choose the exit code.
            config.PropagateExceptions();
            // An unknown option is a mistake to report, not something to ignore.
            config.Settings.StrictParsing = true;
            config.AddAsyncDelegate<RunCommandSettings>("run", (_, settings, ct) => RunCommandAsync(context, settings, ct))
                .WithDescription("Runs a scenario file or a built-in scenario and writes report.json, timeline.csv, timeline.png and report.html.")
                .WithExample("run", "default")
                .WithExample("run", "my-scenario.json", "--out", "out/mine", "--sample", "250ms");
            config.AddDelegate<ScenariosCommandSettings>("scenarios", (_, settings, _) => Scenarios(context, settings))
                .WithDescription("Lists the built-in scenarios; 'scenarios show NAME' prints one, to start a scenario file from.")
                .WithExample("scenarios")
                .WithExample("scenarios", "show", "default");
            Fleet.FleetCommands.Register(config, context.Out, context.Console, context.Interactive, progress);
            Replay.ReplayCommand.Register(config, context.Out, context.Console, context.Interactive, progress);
            Costs.CalibrateCommand.Register(config, context.Out);
        });

        try
        {
            ArgumentCheck.Check(args, Commands);
            return await app.RunAsync(args.Length == 0 ? ["run", BuiltInScenarios.DefaultName] : args, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var (code, message) = e is OperationCanceledException && cancellationToken.IsCancellationRequested
                ? (ExitInterrupted, InterruptedMessage)
                : Classify(e);
            await stderr.WriteLineAsync(message).ConfigureAwait(false);
            await stderr.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return code;
        }
    }

    /// <summary>Each command's settings, for <see cref="ArgumentCheck"/>.</summary>
    private static readonly Dictionary<string, Type> Commands = new(StringComparer.Ordinal)
    {
        ["run"] = typeof(RunCommandSettings),
        ["scenarios"] = typeof(ScenariosCommandSettings),
        ["fleet"] = typeof(Fleet.FleetSettings),
        ["fleet-node"] = typeof(Fleet.FleetNodeSettings),
        ["sweep"] = typeof(Sweep.SweepSettings),
        ["replay"] = typeof(Replay.ReplaySettings),
        ["calibrate"] = typeof(Costs.CalibrateSettings),
    };

    private static (int Code, string Message) Classify(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } aggregate) e = aggregate.InnerExceptions[0];
        return e switch
        {
            ScenarioException or UsageException or CommandAppException => (ExitUsage, OneLine(e.Message)),
            OperationCanceledException => (ExitInterrupted, InterruptedMessage),
            _ => (ExitFailure, OneLine(e.Message)),
        };
    }

    private static string OneLine(string text)
    {
        var line = JsonInput.OneLine(text);
        return line.Length == 0 ? "failed" : line;
    }

    private static IAnsiConsole CreateConsole(TextWriter stdout, bool interactive) =>
        AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(stdout),
        });

    private static int Scenarios(HostContext context, ScenariosCommandSettings settings)
    {
        switch (settings.Action)
        {
            case null:
                return ListScenarios(context);
            case "show":
                if (settings.Name is null) throw new UsageException($"scenarios show: name a built-in scenario ({string.Join(", ", BuiltInScenarios.Names)})");
                if (!BuiltInScenarios.Exists(settings.Name))
                    throw new UsageException($"unknown scenario \"{settings.Name}\"; known: {string.Join(", ", BuiltInScenarios.Names)}");
                // The file exactly as it is built in, so it can be redirected into a file and edited.
                context.Out.Write(BuiltInScenarios.GetJson(settings.Name).TrimEnd('\n') + "\n");
                context.Out.Flush();
                return ExitOk;
            default:
                throw new UsageException($"scenarios: \"{settings.Action}\" is not an action (show NAME, or nothing to list them)");
        }
    }

    private static int ListScenarios(HostContext context)
    {
        if (context.Interactive)
        {
            var table = new Table().AddColumn("name").AddColumn("description");
            foreach (var s in BuiltInScenarios.All) table.AddRow(Markup.Escape(s.Name), Markup.Escape(s.Description));
            context.Console.Write(table);
        }
        else
        {
            var width = BuiltInScenarios.All.Max(s => s.Name.Length);
            foreach (var s in BuiltInScenarios.All) context.Out.WriteLine($"{s.Name.PadRight(width)}  {s.Description}");
        }
        return ExitOk;
    }

    private static async Task<int> RunCommandAsync(HostContext context, RunCommandSettings settings, CancellationToken cancellationToken)
    {
        // Everything that can be wrong with the arguments is found before the simulation starts.
        if (!Durations.TryParse(settings.Sample, out var sample))
            throw new UsageException($"--sample: {Durations.Problem(settings.Sample)}");
        if (sample <= TimeSpan.Zero)
            throw new UsageException($"--sample: \"{settings.Sample}\" must be positive");
        ScenarioBounds.CheckDuration(sample, "--sample", ScenarioBounds.MinPeriod, ScenarioBounds.MaxTime);
        if (string.IsNullOrWhiteSpace(settings.Out))
            throw new UsageException("--out: is empty");
        if (!HostLogging.Levels.TryGetValue(settings.LogLevel, out var level))
            throw new UsageException($"--log-level: \"{settings.LogLevel}\" is not a level ({string.Join(", ", HostLogging.Levels.Keys)})");
        // Quiet keeps what needs attention: warnings and errors.
        if (settings.Quiet && level < LogEventLevel.Warning) level = LogEventLevel.Warning;
        var (scenario, source) = LoadScenario(settings.Scenario);
        if (settings.Seed is { } seed) scenario = scenario with { Seed = seed };
        if (ScenarioHost.ReadCostsOption(settings.Costs) is { } costs) scenario = scenario with { Host = scenario.Host with { Costs = costs } };
        // A run that could not be kept, or written, is refused before it takes any time.
        if (ScenarioBounds.TimelineProblem(ScenarioWorkload.StopTime(scenario), sample) is { } tooLong)
            throw new UsageException(tooLong);
        if (RunOutput.TargetProblem(settings.Out) is { } badOut)
            throw new UsageException($"--out: {badOut}");
        if (!settings.Quiet)
            context.Out.WriteLine($"running \"{scenario.Name}\" ({source}), sampling every {Durations.Format(sample)}");

        var previousLogger = Log.Logger;
        using var logger = HostLogging.Create(context.Out, level);
        Log.Logger = logger;
        RunResult result;
        try
        {
            var options = new RunOptions(sample, Path.GetFullPath(settings.Out));
            var interactive = context.Interactive && !settings.Quiet;
            result = await RunWithProgressAsync(context with { Interactive = interactive }, scenario, options, quiet: settings.Quiet, cancellationToken)
                .ConfigureAwait(false);
        }
        finally
        {
            Log.Logger = previousLogger;
        }

        var files = RunOutput.WriteAll(result, settings.Out, cancellationToken);
        foreach (var warning in result.Warnings ?? [])
            context.Out.WriteLine($"warning: {warning}");
        if (settings.Quiet)
            context.Out.WriteLine(SummaryPrinter.OneLine(result, files));
        else
            SummaryPrinter.Print(context.Console, context.Out, context.Interactive, result, files);
        context.Out.Flush();
        return ExitOk;
    }

    /// <summary>A path-looking argument is a file; otherwise a built-in name, then a file in the current directory.</summary>
    public static (Scenario Scenario, string Source) LoadScenario(string argument)
    {
        var looksLikePath = argument.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            || argument.Contains('/') || argument.Contains(Path.DirectorySeparatorChar);
        if (!looksLikePath && BuiltInScenarios.Exists(argument))
            return (BuiltInScenarios.Load(argument), $"built-in {argument}");
        if (File.Exists(argument))
            return (ScenarioParser.ParseFile(argument), argument);
        if (looksLikePath)
            throw new UsageException($"scenario file not found: {argument}");
        throw new UsageException($"unknown scenario \"{argument}\"; known: {string.Join(", ", BuiltInScenarios.Names)}");
    }

    private static Task<RunResult> RunWithProgressAsync(HostContext context, Scenario scenario, RunOptions options, bool quiet, CancellationToken cancellationToken) =>
        quiet
            ? context.Runner(scenario, options, cancellationToken)
            : context.Progress.RunAsync("virtual time", progress => context.Runner(scenario, options with { Progress = progress }, cancellationToken),
                ScenarioWorkload.StopTime(scenario).TotalSeconds);

    private sealed record HostContext(TextWriter Out, bool Interactive, ScenarioRun Runner, IAnsiConsole Console, RunProgress Progress);
}

/// <summary>Arguments of <c>run</c>.</summary>
internal sealed class RunCommandSettings : CommandSettings
{
    [CommandArgument(0, "<SCENARIO>")]
    [Description("A scenario file (FILE.json) or the name of a built-in scenario (see 'scenarios').")]
    public string Scenario { get; set; } = BuiltInScenarios.DefaultName;

    [CommandOption("--out <DIR>")]
    [Description("Directory for report.json, timeline.csv, timeline.png and report.html.")]
    [DefaultValue("./out")]
    public string Out { get; set; } = "./out";

    [CommandOption("--sample <DURATION>")]
    [Description("Virtual time between timeline rows, e.g. 100ms, 1s.")]
    [DefaultValue("100ms")]
    public string Sample { get; set; } = "100ms";

    [CommandOption("--seed <N>")]
    [Description("Runs with this seed instead of the file's (a fleet's guest i runs with the fleet's seed + i).")]
    public int? Seed { get; set; }

    [CommandOption("--log-level <LEVEL>")]
    [Description("The lowest level of log line printed: debug (one line per report), info (one per pass), warning, error.")]
    [DefaultValue("info")]
    public string LogLevel { get; set; } = "info";

    [CommandOption("--quiet")]
    [Description("Print only warnings, errors and a one-line result: no progress, no summary table.")]
    public bool Quiet { get; set; }

    [CommandOption("--costs <FILE>")]
    [Description("Unit costs (a costs.json that calibrate wrote) instead of the scenario's host.costs or the defaults.")]
    public string? Costs { get; set; }

    // Spectre.Console.Cli 0.57 fills an option given last without a value with its internal
    // default-command token instead of failing; catch that so "--out" alone is an error.
    private const string SpectreDefaultCommandToken = "__default_command";

    public override ValidationResult Validate()
    {
        if (Out == SpectreDefaultCommandToken) return ValidationResult.Error("--out: needs a value");
        if (Sample == SpectreDefaultCommandToken) return ValidationResult.Error("--sample: needs a value");
        if (LogLevel == SpectreDefaultCommandToken) return ValidationResult.Error("--log-level: needs a value");
        return ValidationResult.Success();
    }
}

/// <summary>Arguments of <c>scenarios</c>: nothing to list them, <c>show NAME</c> to print one.</summary>
internal sealed class ScenariosCommandSettings : CommandSettings
{
    [CommandArgument(0, "[ACTION]")]
    [Description("show: print a built-in scenario's file.")]
    public string? Action { get; set; }

    [CommandArgument(1, "[NAME]")]
    [Description("The built-in scenario to show.")]
    public string? Name { get; set; }
}
