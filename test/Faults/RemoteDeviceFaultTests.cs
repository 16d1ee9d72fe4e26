using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using PageReportingActors.Devices;
using PageReportingActors.Memory;
using PageReportingActors.Messages;
using PageReportingActors.Tests.Actors;
using Xunit;
using Xunit.Abstractions;

namespace PageReportingActors.Tests.Faults;

/// <summary>
/// A device in another actor system, reached through Akka.Remote on 127.0.0.1, whose system shuts down
/// while it holds a batch: the batch comes back unflagged (through DeathWatch or the reporter's report
/// timeout), the pass ends failed, and a new local device registers and works.
/// </summary>
public class RemoteDeviceFaultTests(ITestOutputHelper output) : FaultTestBase(output, RemoteConfig)
{
    private const string RemoteConfig = """
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        """;

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task R12_R19_remote_device_whose_system_shuts_down_mid_report_loses_nothing_and_a_local_device_takes_over()
    {
        var wall = Stopwatch.StartNew();
        var remote = ActorSystem.Create("remote-device", ConfigurationFactory.ParseString(RemoteConfig + """

            akka.loglevel = INFO
            akka.coordinated-shutdown.run-by-actor-system-terminate = on
            """));
        IActorRef device;
        var hanging = new TaskCompletionSource<ReportOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new FirstReportHandler(() => hanging.Task);
        try
        {
            // The device actor's own timeout runs on the remote system's wall clock: long enough never to fire here.
            remote.ActorOf(PageReporting.DeviceProps(handler, TimeSpan.FromMinutes(5)), "device");
            var address = ((ExtendedActorSystem)remote).Provider.DefaultAddress;
            Assert.Equal("127.0.0.1", address.Host);
            var identity = await Sys.ActorSelection(new RootActorPath(address) / "user" / "device")
                .Ask<ActorIdentity>(new Identify(1), Bound);
            device = identity.Subject ?? throw new InvalidOperationException("remote device not found");
            Assert.Equal(address, device.Path.Address);

            var (guest, events) = Registered(device);
            var zone = guest.Zones[0];
            var before = Status(zone);
            Advance(guest, Delay);
            Assert.IsType<PassStarted>(events.ExpectMsg<object>(Bound));
            AwaitCondition(() => handler.Calls == 1, Bound, TimeSpan.FromMilliseconds(10)); // the report crossed the wire
            var at = AwaitBatchOut(zone);
            Assert.True(at.WalkInProgress);

            // The remote system goes away while it holds the batch.
            await remote.Terminate().WaitAsync(Bound);

            // DeathWatch notices the lost association (a failed report with Gone); should it not, the
            // reporter's report timeout does (TimedOut). Either way the clock passes ReportTimeout.
            Advance(guest, ReportTimeout);
            var (reports, pass) = CollectPass(events);
            var failed = Assert.Single(reports);
            Assert.Contains(failed.ErrorCode, new[] { ReportErrors.TimedOut, ReportErrors.Gone });
            AssertFailedPass(reports, pass, failed.Pages, failed.ErrorCode);
            AssertBatchBackUnflagged(zone, before, failed.Pages);

            EventFilter.Warning(contains: "ignored: no report is outstanding").ExpectOne(
                () => TellReporter(guest, ReportCompleted.Ok(failed.ReportId), device));

            // The dead device leaves the registry (by DeathWatch, or here by hand), and a local one takes over.
            var answer = await guest.Registry.Ask<object>(new UnregisterDevice(device), Bound);
            Assert.True(answer is DeviceUnregistered or UnregistrationRejected, answer.GetType().Name);
            Assert.Null(AskFor<RegistrationStatus>(guest.Registry, GetRegistration.Instance).Device);
            var local = DeviceActor(new InstantHandler());
            Register(guest, local);
            Advance(guest, Delay);
            var (nextReports, nextPass) = CollectPass(events);
            Assert.Equal(2, nextReports.Count);
            Assert.All(nextReports, r => Assert.True(r.Success));
            Assert.False(nextPass.Failed);
            Assert.Equal(8 * 1024, Status(zone).ReportedPages);
            AssertInvariants(guest);
            Assert.True(wall.Elapsed < TimeSpan.FromSeconds(20), $"took {wall.Elapsed}");
        }
        finally
        {
            await remote.Terminate().WaitAsync(Bound);
        }
    }
}
