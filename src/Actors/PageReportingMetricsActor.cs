using System.Diagnostics;
using Akka.Actor;
using PageReportingActors.Messages;

namespace PageReportingActors;

/// <summary>
/// Turns one guest's reporter events (<see cref="PassFinished"/>, <see cref="ReportFinished"/>) into
/// the <see cref="PageReportingMetrics"/> counters and histograms, and puts the guest's zones on the
/// memory-usage gauge while it runs. The event stream is the actor system's: events whose sender is
/// not this guest's reporter belong to another guest and are left alone.
/// </summary>
public sealed class PageReportingMetricsActor : ReceiveActor
{
    private readonly IReadOnlyList<ZoneUsage> _zones;
    private readonly string _guest;

    /// <summary>Counts the events of <paramref name="reporter"/> under the tag <paramref name="guest"/>.</summary>
    public PageReportingMetricsActor(string guest, IActorRef reporter, IReadOnlyList<ZoneUsage> zones)
    {
        _guest = guest;
        _zones = zones;
        var guestTag = new KeyValuePair<string, object?>(PageReportingMetrics.GuestTag, guest);

        Receive<PassFinished>(m =>
        {
            if (!Sender.Equals(reporter)) return;
            PageReportingInstruments.Passes.Add(1, guestTag);
            PageReportingInstruments.PassDuration.Record((m.End - m.Start).TotalSeconds, guestTag);
        });
        Receive<ReportFinished>(m =>
        {
            if (!Sender.Equals(reporter)) return;
            var tags = new TagList { guestTag, { PageReportingMetrics.ZoneTag, m.Zone } };
            PageReportingInstruments.Reports.Add(1, tags);
            PageReportingInstruments.ReportEntries.Record(m.Entries, tags);
            if (m.Success) PageReportingInstruments.MemoryReported.Add(m.Bytes, tags);
            else PageReportingInstruments.ReportsFailed.Add(1, tags);
        });
    }

    /// <summary>Props for a guest's metrics actor.</summary>
    public static Props Props(string guest, IActorRef reporter, IReadOnlyList<ZoneUsage> zones) =>
        Akka.Actor.Props.Create(() => new PageReportingMetricsActor(guest, reporter, zones));

    /// <inheritdoc />
    protected override void PreStart()
    {
        PageReportingInstruments.AddGuest(Self, _guest, _zones);
        base.PreStart();
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        PageReportingInstruments.RemoveGuest(Self);
        Context.System.EventStream.Unsubscribe(Self);
        base.PostStop();
    }
}
