namespace PageReportingActors.Host.Scenarios;

/// <summary>
/// A scenario that cannot be run. <see cref="Exception.Message"/> is one line, "path: problem",
/// so the host can print it as is and a person can find the field.
/// </summary>
internal sealed class ScenarioException : Exception
{
    public ScenarioException(string path, string problem)
        : base(string.IsNullOrEmpty(path) ? problem : $"{path}: {problem}")
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The JSON path of the field, e.g. <c>workload[3].size</c>; empty for the whole document.</summary>
    public string Path { get; }

    public string Problem { get; }
}
