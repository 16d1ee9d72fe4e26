using System.Diagnostics;
using Xunit;

namespace PageReportingActors.Tests.Host;

/// <summary>
/// The host program as a process: SIGINT (Ctrl+C) and SIGTERM stop a run within a second, exit
/// 130 with one line, and leave no output behind. POSIX signals only; elsewhere there is nothing to send.
/// </summary>
public sealed class HostSignalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("host-signal-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task A_signal_stops_a_running_host_with_exit_130_and_no_files(string signal)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        var outDir = Path.Combine(_dir, "out");
        var host = Path.Combine(AppContext.BaseDirectory, "PageReportingActors.Host.dll");
        var dotnet = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { host, "run", "churn-10min", "--out", outDir }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        try
        {
            // Signalled once the simulation is running: its first progress line is out on stderr
            // (a run shows progress after two seconds of wall time).
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await process.StandardError.ReadLineAsync(wait.Token) is { } line)
                if (line.StartsWith("progress: ", StringComparison.Ordinal)) break;
            Assert.False(process.HasExited, "the run ended before it could be signalled");
            var stderr = process.StandardError.ReadToEndAsync(wait.Token);

            var signalled = Stopwatch.StartNew();
            using (var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                await kill.WaitForExitAsync(wait.Token);
            await process.WaitForExitAsync(wait.Token);
            var took = signalled.Elapsed;

            Assert.Equal(130, process.ExitCode);
            // After the progress lines, the one line that says why it stopped.
            var after = (await stderr).Split('\n').Where(l => !l.StartsWith("progress: ", StringComparison.Ordinal));
            Assert.Equal("stopped (SIGINT or SIGTERM) before the run ended; nothing written\n", string.Join('\n', after));
            Assert.DoesNotContain("progress", await stdout);
            // Loosely: a second of work plus the process's own exit, on a busy machine.
            Assert.True(took < TimeSpan.FromSeconds(5), $"took {took}");
            Assert.True(!Directory.Exists(outDir) || Directory.GetFileSystemEntries(outDir).Length == 0);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
