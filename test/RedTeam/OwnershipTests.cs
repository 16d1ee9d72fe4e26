using Akka.Actor;
using PageReportingActors.Allocator;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using PageReportingActors.Tests.Actors;
using PageReportingActors.Tests.Faults;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.RedTeam;

/// <summary>
/// The device actor reports only for the reporter it was registered with, the reporter takes notifications
/// only from its zones, and a guest whose reporter or registry stops is stopped whole with no batch left out.
/// </summary>
public class OwnershipTests(ITestOutputHelper output) : FaultTestBase(output)
{
    [Fact]
    public void R16_a_stranger_cannot_make_a_registered_device_report_allocated_pages()
    {
        var handler = new InstantHandler();
        var device = DeviceActor(handler);
        var (guest, events) = Registered(device);
        var zone = guest.Zones[0];
        var allocated = AllocateBlock(zone, 10);
        var stranger = CreateTestProbe();
        stranger.Send(device, new ReportPages(1, Scatterlist.FromBlocks([allocated])));
        var answer = stranger.ExpectMsg<ReportCompleted>();
        Assert.False(answer.Success);
        Assert.Equal(ReportErrors.Invalid, answer.ErrorCode);
        Assert.Contains("not the reporter", answer.Detail);
        Assert.Empty(handler.Reports);

        // The guest's own reports still reach the handler: 2 reports of 4 blocks.
        Advance(guest, Delay);
        var (reports, pass) = CollectPass(events);
        Assert.Equal(2, reports.Count);
        Assert.All(reports, r => Assert.True(r.Success));
        Assert.Equal(2, handler.Reports.Count);
        Assert.DoesNotContain(handler.Reports, r => r.ToBlocks().Contains(allocated));
    }

    [Fact]
    public void R16_a_device_no_guest_registered_reports_for_no_one()
    {
        var handler = new InstantHandler();
        var device = DeviceActor(handler);
        device.Tell(new ReportPages(1, Scatterlist.FromBlocks([new Block(0, 10)])));
        Assert.Equal(ReportErrors.Invalid, ExpectMsg<ReportCompleted>().ErrorCode);
        // A claim in someone else's name is refused too.
        var other = CreateTestProbe();
        device.Tell(new DeviceOwner(other.Ref));
        device.Tell(new ReportPages(2, Scatterlist.FromBlocks([new Block(0, 10)])));
        Assert.Equal(ReportErrors.Invalid, ExpectMsg<ReportCompleted>().ErrorCode);
        Assert.Empty(handler.Reports);
    }

    [Fact]
    public void R16_a_stranger_cannot_take_over_a_registered_device()
    {
        var handler = new InstantHandler();
        var device = DeviceActor(handler);
        var (guest, events) = Registered(device);
        var stranger = CreateTestProbe();
        stranger.Send(device, new DeviceOwner(stranger.Ref));
        stranger.Send(device, DeviceReleased.Instance);
        stranger.Send(device, new ReportPages(1, Scatterlist.FromBlocks([new Block(0, 10)])));
        Assert.Equal(ReportErrors.Invalid, stranger.ExpectMsg<ReportCompleted>().ErrorCode);
        Advance(guest, Delay);
        var (reports, _) = CollectPass(events);
        Assert.All(reports, r => Assert.True(r.Success));
        Assert.Equal(2, handler.Reports.Count);
    }

    [Fact]
    public void R6_a_notification_from_a_stranger_starts_no_pass()
    {
        var guest = StartGuest([Zone64M], Cap4);
        var device = CreateTestProbe();
        Register(guest, device.Ref);
        Advance(guest, Delay);
        ProbeDevice.AnswerAll(device, guest.Reporter);
        DrainPasses(guest, device);
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);
        var stranger = CreateTestProbe();
        stranger.Send(guest.Reporter, new RequestReporting("Z"));
        Assert.Equal(ReporterState.Idle, Reporter(guest).State);
    }

    /// <summary>Starts a guest on areas the test keeps, so what the zones hold can be read after the guest stopped.</summary>
    private (PageReportingGuest Guest, IReadOnlyList<ZoneFreeArea> Areas) GuestOnAreas(string name)
    {
        var areas = PageReporting.CreateAreas([Zone64M]);
        var started = new TaskCompletionSource<PageReportingGuest>();
        Sys.ActorOf(PageReportingGuardianActor.Props(areas, Cap4, started), name);
        return (started.Task.GetAwaiter().GetResult(), areas);
    }

    [Theory]
    [InlineData("reporter")]
    [InlineData("registry")]
    public void R4_a_reporter_or_registry_stopped_while_a_batch_is_out_stops_the_guest_with_the_batch_back(string which)
    {
        var (guest, areas) = GuestOnAreas("stop-" + which);
        var device = CreateTestProbe();
        Register(guest, device.Ref);
        Advance(guest, Delay);
        Assert.Equal(4, device.ExpectMsg<ReportPages>().Pages.Count);
        Assert.Equal(4 * 1024, Status(guest.Zones[0]).IsolatedPages);

        Watch(guest.Guardian);
        (which == "reporter" ? guest.Reporter : guest.Registry).Tell(PoisonPill.Instance);
        ExpectTerminated(guest.Guardian, TimeSpan.FromSeconds(10));

        // The guest's memory is whole: the batch is back on the lists unflagged, nothing isolated, I1-I4 hold.
        var area = areas[0];
        Assert.Equal(0, area.IsolatedPages);
        Assert.Equal(16384, area.FreePages);
        Assert.Equal(0, area.ReportedPages);
        Assert.Null(area.CheckInvariants());
    }
}
