using System.Collections.Immutable;
using System.Runtime.InteropServices;
using PageReportingActors.Memory;
using PageReportingActors.Reporting;
using Xunit;
using C = PageReportingActors.Reporting.PassCoordinator<string>;

namespace PageReportingActors.Tests.Plain;

/// <summary>The reporter's decisions without Akka: events in, state and actions out.</summary>
public class PassCoordinatorTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch;
    private static readonly Scatterlist Batch = Scatterlist.FromBlocks([new Block(1024, 10), new Block(2048, 10)]);

    private static C.State Fresh() => C.Initial(["zone-a", "zone-b"], ["A", "B"], capacity: 32, reportingOrder: 9, TimeSpan.FromSeconds(30));

    private static (C.State, IReadOnlyList<C.Action>) Step(C.State state, C.Event e, double seconds = 0) =>
        C.Process(state, e, T0.AddSeconds(seconds));

    private static C.State Attached()
    {
        var (state, _) = Step(Fresh(), new C.Attach("device", 9, "registry"));
        return state;
    }

    /// <summary>Attached, timer fired, zone A answered with <see cref="Batch"/>: the batch is at the device.</summary>
    private static (C.State State, C.ReportToDevice Report) BatchOut()
    {
        var (state, _) = Step(Attached(), new C.PassTimerFired(), 2);
        var (out1, actions) = Step(state, new C.ZoneStepped("zone-a", 1, "A", 1, Batch, false, WalkEnd.None, false), 2);
        return (out1, Assert.Single(actions.OfType<C.ReportToDevice>()));
    }

    [Fact]
    public void R6_notification_without_a_device_does_nothing_and_with_one_arms_one_timer()
    {
        var (idle, none) = Step(Fresh(), new C.Notified());
        Assert.Equal(ReporterState.Idle, idle.Phase);
        Assert.Empty(none);

        // R18: the attach itself requests the first pass.
        var (requested, attach) = Step(Fresh(), new C.Attach("device", 7, "registry"));
        Assert.Equal(ReporterState.Requested, requested.Phase);
        Assert.Equal(7, requested.ReportingOrder);
        Assert.Single(attach.OfType<C.ArmPassTimer>());
        Assert.Equal(new C.AnswerAttached("registry", "device"), Assert.Single(attach.OfType<C.AnswerAttached>()));

        var (still, again) = Step(requested, new C.Notified());
        Assert.Equal(ReporterState.Requested, still.Phase);
        Assert.Empty(again);
    }

    [Fact]
    public void R7_R16_the_pass_walks_zone_A_and_hands_its_batch_to_the_device_with_a_report_timer()
    {
        var (active, start) = Step(Attached(), new C.PassTimerFired(), 2);
        Assert.Equal(ReporterState.Active, active.Phase);
        Assert.Equal(new C.PublishPassStarted(1, T0.AddSeconds(2)), start.OfType<C.PublishPassStarted>().Single());
        Assert.Equal(new C.BeginZoneWalk("zone-a", 1, 9, 32), start.OfType<C.BeginZoneWalk>().Single());
        Assert.Equal(0, active.AwaitingZoneBatch);

        var (state, report) = BatchOut();
        Assert.Equal(new C.ReportToDevice("device", 1, Batch), report);
        Assert.Null(state.AwaitingZoneBatch);
        Assert.Equal(1, state.Lent!.ReportId);
    }

    [Fact]
    public void R12_a_failed_report_drains_unflagged_and_stops_the_pass_before_zone_B()
    {
        var (state, _) = BatchOut();
        var (draining, fail) = Step(state, new C.DeviceAnswered("device", 1, false, 22, "no"), 3);
        Assert.False(Assert.Single(fail.OfType<C.CompleteZoneReport>()).Success);
        Assert.False(Assert.Single(fail.OfType<C.PublishReportFinished>()).Success);

        var (idle, end) = Step(draining, new C.ZoneStepped("zone-a", 1, "A", 1, null, false, WalkEnd.ReportFailed, false), 3);
        Assert.Empty(end.OfType<C.BeginZoneWalk>());
        var finished = Assert.Single(end.OfType<C.PublishPassFinished>());
        Assert.True(finished.Failed);
        Assert.False(finished.RequestedAgain);
        Assert.Equal(["A"], finished.Zones);
        Assert.Equal(ReporterState.Idle, idle.Phase);
        Assert.Equal((1, 1, 1, 0L), (idle.Passes, idle.Reports, idle.FailedReports, idle.ReportedBytes));
    }

    [Fact]
    public void R13_a_notification_during_the_pass_arms_the_next_one_at_its_end()
    {
        var (state, _) = BatchOut();
        (state, _) = Step(state, new C.Notified(), 2.5);
        Assert.True(state.RequestedDuringPass);
        (state, var ok) = Step(state, new C.DeviceAnswered("device", 1, true, 0, null), 3);
        Assert.True(Assert.Single(ok.OfType<C.CompleteZoneReport>()).Success);
        (state, _) = Step(state, new C.ZoneStepped("zone-a", 1, "A", 1, null, false, WalkEnd.Completed, false), 3);
        (state, var end) = Step(state, new C.ZoneStepped("zone-b", 1, "B", 0, null, false, WalkEnd.GateClosed, false), 3);
        var finished = Assert.Single(end.OfType<C.PublishPassFinished>());
        Assert.Equal((false, true, 1, 8L << 20), (finished.Failed, finished.RequestedAgain, finished.Reports, finished.ReportedBytes));
        Assert.Equal(["A", "B"], finished.Zones);
        Assert.Equal(ReporterState.Requested, state.Phase);
        Assert.Single(end.OfType<C.ArmPassTimer>());
    }

    [Fact]
    public void R19_a_detach_during_the_pass_is_answered_only_after_the_pass_ends()
    {
        var (state, _) = BatchOut();
        (state, var detach) = Step(state, new C.Detach("device", "registry"), 2.5);
        Assert.Empty(detach);
        (state, _) = Step(state, new C.DeviceAnswered("device", 1, true, 0, null), 3);
        (state, var end) = Step(state, new C.ZoneStepped("zone-a", 1, "A", 1, null, false, WalkEnd.ReportFailed, false), 3);
        Assert.IsType<C.PublishPassFinished>(end[^3]);
        Assert.Equal(new C.Unwatch("device"), end[^2]);
        Assert.Equal(new C.AnswerDetached("registry", "device"), end[^1]);
        Assert.Null(state.Device);
        Assert.Equal(ReporterState.Idle, state.Phase);
    }

    [Fact]
    public void An_answer_from_anyone_but_the_device_or_for_another_report_changes_nothing()
    {
        var (state, _) = BatchOut();
        foreach (var forged in new[] { new C.DeviceAnswered("stranger", 1, true, 0, null), new C.DeviceAnswered("device", 2, true, 0, null) })
        {
            var (after, actions) = Step(state, forged, 3);
            Assert.Equal(state, after);
            Assert.IsType<C.Log>(Assert.Single(actions));
        }
    }

    [Fact]
    public void The_zone_gets_back_exactly_the_blocks_it_lent_even_if_the_device_rewrote_its_scatterlist()
    {
        // A scatterlist of its own, so rewriting it does not touch the shared one.
        var lent = Scatterlist.FromBlocks([new Block(1024, 10), new Block(2048, 10)]);
        var (state, _) = Step(Attached(), new C.PassTimerFired(), 2);
        (state, var actions) = Step(state, new C.ZoneStepped("zone-a", 1, "A", 1, lent, false, WalkEnd.None, false), 2);
        var atDevice = Assert.Single(actions.OfType<C.ReportToDevice>()).Pages;

        // A handler that writes into the array behind the scatterlist it was lent.
        var entries = ImmutableCollectionsMarshal.AsArray(atDevice.Entries)!;
        entries[0] = new ScatterEntry(0, 4096, false);

        (_, actions) = Step(state, new C.DeviceAnswered("device", 1, true, 0, null), 3);
        var back = Assert.Single(actions.OfType<C.CompleteZoneReport>());
        Assert.Equal(new[] { new Block(1024, 10), new Block(2048, 10) }, back.Batch.ToBlocks().ToArray());
        var published = Assert.Single(actions.OfType<C.PublishReportFinished>());
        Assert.Equal(8L << 20, published.Batch.Bytes);
    }

    [Fact]
    public void R12_a_rejected_drain_abandons_the_zone_walk_so_nothing_stays_isolated_and_the_pass_stops()
    {
        var (state, _) = BatchOut();
        (state, var answer) = Step(state, new C.DeviceAnswered("device", 1, true, 0, null), 3);
        Assert.Single(answer.OfType<C.CompleteZoneReport>());
        (state, var actions) = Step(state, new C.ZoneRejected("zone-a", 1, 1, "A", "not the outstanding batch"), 3);
        Assert.Equal(new C.AbandonZoneWalk("zone-a", 1), Assert.Single(actions.OfType<C.AbandonZoneWalk>()));
        Assert.True(Assert.Single(actions.OfType<C.PublishPassFinished>()).Failed);
        Assert.Empty(actions.OfType<C.BeginZoneWalk>());
        Assert.Equal(ReporterState.Idle, state.Phase);
    }
}
