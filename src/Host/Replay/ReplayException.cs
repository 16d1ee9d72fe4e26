namespace PageReportingActors.Host.Replay;

/// <summary>A trace or snapshot that cannot be replayed; the message names what is wrong and where.</summary>
internal sealed class ReplayInputException(string message) : Exception(message);
