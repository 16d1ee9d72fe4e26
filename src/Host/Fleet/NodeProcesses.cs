using System.Diagnostics;
using System.Globalization;

namespace PageReportingActors.Host.Fleet;

/// <summary>
/// The extra fleet nodes this process starts on one machine: the same program, run as
/// <c>fleet-node --join HOST:PORT --parent-pid PID</c>. A child leaves when the cluster dismisses
/// it and exits when its parent does (it watches the parent's pid), and the parent kills whatever
/// is still running when it is disposed, so no node outlives its fleet.
/// </summary>
internal sealed class NodeProcesses : IDisposable
{
    private readonly List<Process> _processes = new();

    public IReadOnlyList<Process> Processes => _processes;

    /// <param name="simulations">Simulations each node runs at once: the nodes share this machine's cores.</param>
    public static NodeProcesses Start(int count, string seed, TimeSpan stableAfter, int simulations)
    {
        var nodes = new NodeProcesses();
        try
        {
            for (var i = 0; i < count; i++) nodes._processes.Add(StartOne(seed, stableAfter, simulations));
        }
        catch
        {
            nodes.Dispose();
            throw;
        }
        return nodes;
    }

    private static Process StartOne(string seed, TimeSpan stableAfter, int simulations)
    {
        var (file, prefix) = Self();
        var info = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        foreach (var arg in prefix) info.ArgumentList.Add(arg);
        foreach (var arg in new[]
                 {
                     "fleet-node", "--join", seed, "--listen", "127.0.0.1:0",
                     "--parent-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
                     "--stable-after", ((int)Math.Ceiling(stableAfter.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms",
                     "--simulations", simulations.ToString(CultureInfo.InvariantCulture),
                 })
            info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start a fleet node ({file})");
        // Drain the child's output so it never blocks on a full pipe; its log is not ours to print.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>How to start this program again: its own executable, or the dotnet host with its assembly.</summary>
    private static (string File, string[] Prefix) Self()
    {
        var assembly = typeof(NodeProcesses).Assembly.Location;
        var processPath = Environment.ProcessPath ?? "dotnet";
        var name = Path.GetFileNameWithoutExtension(processPath);
        if (name == Path.GetFileNameWithoutExtension(assembly)) return (processPath, []);
        var dotnet = name == "dotnet" ? processPath : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        return (dotnet, [assembly]);
    }

    /// <summary>Gives children <paramref name="grace"/> to exit on their own, then kills them.</summary>
    public void Stop(TimeSpan grace)
    {
        var deadline = DateTime.UtcNow + grace;
        foreach (var process in _processes)
        {
            var left = deadline - DateTime.UtcNow;
            if (left > TimeSpan.Zero) process.WaitForExit(left);
        }
        Dispose();
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            process.Dispose();
        }
        _processes.Clear();
    }
}
