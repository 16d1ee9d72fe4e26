using Akka.Actor;
using Akka.TestKit;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Reporting;
using PageReportingActors.Tests.Actors;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Faults;

/// <summary>
/// What every fault test checks after the fault: the batch is back on the free lists unflagged,
/// the pass ended failed (R12), a later pass works, and I1-I4 hold.
/// </summary>
public abstract class FaultTestBase(ITestOutputHelper output, string extraConfig = "") : ActorTestBase(output, extraConfig)
{
    // 64 MiB: 16 free order-10 blocks. Capacity 4: gate 32 + (4 << 9) = 2080 pages; budget ceil(16 / 64) = 1,
    // so a clean pass sends 2 full reports of 4 blocks and stays Requested.
    protected static readonly ZoneSpec Zone64M = SmallZone(pages: 16384);
    protected static readonly PageReportingSettings Cap4 = PageReportingSettings.Default with { Capacity = 4 };
    protected static readonly TimeSpan NoMsg = TimeSpan.FromMilliseconds(150);
    protected static readonly TimeSpan ReportTimeout = PageReportingSettings.DefaultReportTimeout;

    protected IActorRef DeviceActor(Devices.IPageReportHandler handler, TimeSpan? timeout = null) =>
        Sys.ActorOf(FaultyGuests.DeviceProps(handler, timeout ?? TimeSpan.FromSeconds(10)));

    protected void AwaitCalls(Func<int> calls, int count) =>
        AwaitCondition(() => calls() >= count, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(5));

    /// <summary>Collects one pass's report events up to its PassFinished.</summary>
    protected static (List<ReportFinished> Reports, PassFinished Pass) CollectPass(TestProbe events)
    {
        var reports = new List<ReportFinished>();
        while (true)
        {
            switch (events.ExpectMsg<object>(TimeSpan.FromSeconds(10)))
            {
                case ReportFinished report: reports.Add(report); break;
                case PassFinished pass: return (reports, pass);
            }
        }
    }

    /// <summary>
    /// The batch of a failed report came back: nothing isolated, no new flags, every page free again as
    /// before the pass, and each block of the batch is a free block again (a free of it is refused
    /// AlreadyFree, not Isolated).
    /// </summary>
    protected void AssertBatchBackUnflagged(IActorRef zone, ZoneStatus beforePass, Scatterlist batch)
    {
        var after = Status(zone);
        Assert.Equal(0, after.IsolatedPages);
        Assert.Equal(beforePass.ReportedPages, after.ReportedPages);
        Assert.Equal(beforePass.FreePages, after.FreePages);
        Assert.Equal(beforePass.AllocatedPages, after.AllocatedPages);
        Assert.False(after.WalkInProgress);
        Assert.True(batch.Count > 0);
        foreach (var block in batch.ToBlocks())
            Assert.Equal(FreeRejectionReason.AlreadyFree, AskFor<FreeRejected>(zone, new Free(block.Pfn, block.Order)).Reason);
        Assert.Null(AskFor<ZoneInvariantsChecked>(zone, CheckZoneInvariants.Instance).Violation);
    }

    /// <summary>The failed pass: one failed report carrying <paramref name="batch"/>, and the pass Failed without another request (R12).</summary>
    protected static void AssertFailedPass(List<ReportFinished> reports, PassFinished pass, Scatterlist batch, int errorCode)
    {
        var failed = Assert.Single(reports);
        Assert.False(failed.Success);
        Assert.Equal(errorCode, failed.ErrorCode);
        Assert.Equal(batch, failed.Pages);
        Assert.True(pass.Failed);
        Assert.Equal(0, pass.ReportedBytes);
        Assert.False(pass.RequestedAgain);
    }

    /// <summary>
    /// A new notification (an order-10 block allocated and freed) starts a pass one delay later whose reports
    /// succeed and flag blocks. <paramref name="answer"/> plays the device when it is a probe.
    /// </summary>
    protected void AssertLaterPassWorks(PageReportingGuest guest, TestProbe events, Action? answer = null, IActorRef? zone = null)
    {
        zone ??= guest.Zones[0];
        var before = Status(zone).ReportedPages;
        var block = AllocateBlock(zone, 10);
        FreeBlock(zone, block);
        // The zone answers the free before it notifies the reporter: wait for the request to land.
        AwaitCondition(() => Reporter(guest).State != ReporterState.Idle, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(5));
        Advance(guest, Delay);
        answer?.Invoke();
        var (reports, pass) = CollectPass(events);
        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.True(r.Success, $"report {r.ReportId} failed with {r.ErrorCode}"));
        Assert.False(pass.Failed);
        var after = Status(zone);
        Assert.True(after.ReportedPages > before, $"reported pages {before} -> {after.ReportedPages}");
        Assert.Equal(0, after.IsolatedPages);
        AssertInvariants(guest);
    }

    /// <summary>Zone statuses compare field by field (their NrFree arrays by content).</summary>
    protected static void AssertSameStatus(ZoneStatus expected, ZoneStatus actual)
    {
        Assert.Equal(expected.NrFree.ToArray(), actual.NrFree.ToArray());
        Assert.Equal(expected with { NrFree = default }, actual with { NrFree = default });
    }

    /// <summary>Starts the guest, registers <paramref name="device"/>, and returns an events probe.</summary>
    protected (PageReportingGuest Guest, TestProbe Events) Registered(IActorRef device, PageReportingSettings? settings = null, ZoneSpec? zone = null)
    {
        var guest = StartGuest([zone ?? Zone64M], settings ?? Cap4);
        var events = EventsProbe();
        Register(guest, device);
        return (guest, events);
    }

    /// <summary>A device's answer told to the reporter as if <paramref name="from"/> sent it.</summary>
    protected void TellReporter(PageReportingGuest guest, object message, IActorRef from) => guest.Reporter.Tell(message, from);

    /// <summary>Waits until the zone holds an isolated batch (the reporter handed it to the device).</summary>
    protected ZoneStatus AwaitBatchOut(IActorRef zone, long pages = 4 * 1024)
    {
        ZoneStatus? status = null;
        AwaitCondition(() => (status = Status(zone)).IsolatedPages == pages, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(5));
        return status!;
    }
}
