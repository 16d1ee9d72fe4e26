namespace PageReportingActors.Reporting;

/// <summary>R6: the reporter's three states, as the pass logic keeps them and <c>ReporterStatus</c> reports them.</summary>
public enum ReporterState
{
    /// <summary>No pass is waiting or running; a notification arms the timer.</summary>
    Idle,
    /// <summary>A pass is due when the timer fires; notifications change nothing more.</summary>
    Requested,
    /// <summary>A pass is running; a notification makes it arm the timer again when it ends (R13).</summary>
    Active,
}
