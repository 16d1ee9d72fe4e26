namespace PageReportingActors.Host.Simulation;

/// <summary>
/// A source of timed actions on a guest: a scenario's steps, or events of a recorded trace.
/// The simulation runs the actions in time order on the guest's virtual clock: at one instant,
/// timers that are due run first, then the workload's actions, one at a time; each may add
/// later actions (a churn's next round).
/// </summary>
internal interface IWorkload
{
    /// <summary>When the next action is due (virtual time since the start), or null when there is none.</summary>
    TimeSpan? NextAt { get; }

    /// <summary>Runs the action due at <see cref="NextAt"/>; the clock stands at that time.</summary>
    void RunNext(SimulatedGuest guest);
}
