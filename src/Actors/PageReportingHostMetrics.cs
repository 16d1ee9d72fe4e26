using PageReportingActors.Hypervisor;

namespace PageReportingActors;

/// <summary>
/// Publishes a hypervisor model's counts (<see cref="HostMemory.Ledger"/>) as the
/// <c>page_reporting.host.*</c> counters, tagged with the guest's name: the host's side of a guest
/// the library cannot see, so whoever models the host says which ledger is whose.
/// </summary>
public static class PageReportingHostMetrics
{
    /// <summary>Observes <paramref name="host"/> as guest <paramref name="guest"/>'s host until the result is disposed.</summary>
    public static IDisposable Observe(string guest, HostMemory host)
    {
        ArgumentNullException.ThrowIfNull(guest);
        ArgumentNullException.ThrowIfNull(host);
        var owner = new Registration();
        PageReportingInstruments.AddHost(owner, guest, host.Ledger);
        return owner;
    }

    private sealed class Registration : IDisposable
    {
        public void Dispose() => PageReportingInstruments.RemoveHost(this);
    }
}
