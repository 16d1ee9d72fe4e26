using System.ComponentModel;
using System.Globalization;
using PageReportingActors.Host.Cli;
using PageReportingActors.Host.Output;
using PageReportingActors.Host.Scenarios;
using Spectre.Console.Cli;

namespace PageReportingActors.Host.Costs;

/// <summary><c>calibrate [--out DIR] [--seconds S]</c>: measures this machine's unit costs and writes DIR/costs.json.</summary>
internal static class CalibrateCommand
{
    public const double MaxSeconds = 600;

    public static void Register(IConfigurator config, TextWriter stdout)
    {
        config.AddDelegate<CalibrateSettings>("calibrate", (_, s, ct) => Run(stdout, s, ct))
            .WithDescription("Measures this machine's page fault and madvise costs and writes costs.json, for --costs or a scenario's host.costs.")
            .WithExample("calibrate", "--out", "out/calibrate", "--seconds", "10");
    }

    public static int Run(TextWriter stdout, CalibrateSettings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Out)) throw new UsageException("--out: is empty");
        if (!double.TryParse(settings.Seconds, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || !double.IsFinite(seconds))
            throw new UsageException($"--seconds: \"{settings.Seconds}\" is not a number of seconds");
        if (seconds <= 0 || seconds > MaxSeconds) throw new UsageException($"--seconds: {settings.Seconds} must be in (0, {MaxSeconds}]");
        if (RunOutput.TargetProblem(settings.Out) is { } badOut) throw new UsageException($"--out: {badOut}");

        CalibrationResult result;
        try
        {
            result = Calibration.Measure(TimeSpan.FromSeconds(seconds), cancellationToken);
        }
        catch (PlatformNotSupportedException e)
        {
            throw new UsageException(e.Message);
        }
        Directory.CreateDirectory(settings.Out);
        var path = Path.Combine(settings.Out, "costs.json");
        CostsFile.Write(path, result.Content);
        stdout.Write(Table(result));
        stdout.WriteLine($"written {path}");
        stdout.Flush();
        return HostProgram.ExitOk;
    }

    /// <summary>One line per figure: the median used, and the spread it came from, in microseconds.</summary>
    public static string Table(CalibrationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var costs = result.Content.Costs;
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"calibrated in {result.Elapsed.TotalSeconds:0.0} s; THP: {result.ThpMode ?? "not available"}"));
        w.WriteLine($"{"figure",-22} {"used us",10} {"min",9} {"p10",9} {"median",9} {"p90",9} {"max",9} {"samples",8}  spread");
        foreach (var (name, value) in costs.Figures())
        {
            if (result.Content.Spread.TryGetValue(name, out var s))
                w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-22} {Us(value),10} {Us(s.Min),9} {Us(s.P10),9} {Us(s.Median),9} {Us(s.P90),9} {Us(s.Max),9} {s.Samples,8}  {s.RelativeWidth * 100:0}%"));
            else
                w.WriteLine($"{name,-22} {Us(value),10} {"(not measured: the default)",-58}");
        }
        foreach (var note in result.Notes) w.WriteLine($"note: {note}");
        return w.ToString();
    }

    private static string Us(double seconds) => (seconds * 1e6).ToString("0.000", CultureInfo.InvariantCulture);
}

/// <summary>Arguments of <c>calibrate</c>.</summary>
internal sealed class CalibrateSettings : CommandSettings
{
    [CommandOption("--out <DIR>")]
    [Description("Directory for costs.json.")]
    [DefaultValue("./out")]
    public string Out { get; set; } = "./out";

    [CommandOption("--seconds <S>")]
    [Description("About how long to measure, in all; each figure is repeated until its spread is small or its share of this is spent.")]
    [DefaultValue("10")]
    public string Seconds { get; set; } = "10";
}
