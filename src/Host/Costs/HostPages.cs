using System.Runtime.InteropServices;

namespace PageReportingActors.Host.Costs;

/// <summary>
/// This process's own anonymous memory through libc (mmap, madvise, munmap): what <c>calibrate</c>
/// times. P/Invoke into libc, so nothing native is built. The constants are Linux's, the same on
/// x86-64 and arm64.
/// </summary>
internal static partial class HostPages
{
    public const long PageBytes = 4096;
    public const long HugePageBytes = 2L << 20;

    private const int ProtRead = 0x1;
    private const int ProtWrite = 0x2;
    private const int MapPrivate = 0x02;
    private const int MapAnonymous = 0x20;
    private const int MadvDontNeed = 4;
    private const int MadvHugePage = 14;
    private const int MadvNoHugePage = 15;
    private static readonly nint MapFailed = -1;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);

    /// <summary>A private anonymous mapping of <paramref name="bytes"/>, nothing resident yet.</summary>
    public static nint Map(long bytes)
    {
        var address = Mmap(0, (nuint)bytes, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (address == MapFailed) throw new InvalidOperationException($"mmap of {bytes} bytes failed (errno {Marshal.GetLastPInvokeError()})");
        return address;
    }

    public static void Unmap(nint address, long bytes)
    {
        if (Munmap(address, (nuint)bytes) != 0) throw new InvalidOperationException($"munmap failed (errno {Marshal.GetLastPInvokeError()})");
    }

    /// <summary>madvise(MADV_DONTNEED): the pages are gone, the next write faults in a zeroed one.</summary>
    public static void DontNeed(nint address, long bytes) => Advise(address, bytes, MadvDontNeed, "MADV_DONTNEED");

    /// <summary>Asks for (or refuses) transparent huge pages, as QEMU does for guest RAM.</summary>
    public static bool TryHugePages(nint address, long bytes, bool huge) =>
        Madvise(address, (nuint)bytes, huge ? MadvHugePage : MadvNoHugePage) == 0;

    private static void Advise(nint address, long bytes, int advice, string name)
    {
        if (Madvise(address, (nuint)bytes, advice) != 0) throw new InvalidOperationException($"madvise({name}) failed (errno {Marshal.GetLastPInvokeError()})");
    }

    /// <summary>Writes one byte in each <paramref name="stride"/> of the range: one fault per host page not resident.</summary>
    public static void Touch(nint address, long bytes, long stride)
    {
        for (long offset = 0; offset < bytes; offset += stride) Marshal.WriteByte(address, (int)offset, 1);
    }

    /// <summary>
    /// The AnonHugePages of the mapping holding <paramref name="address"/>, from /proc/self/smaps;
    /// null when the file cannot say (not Linux, or no such mapping).
    /// </summary>
    public static long? AnonHugeBytes(nint address)
    {
        const string smaps = "/proc/self/smaps";
        if (!File.Exists(smaps)) return null;
        var target = (ulong)address;
        var inside = false;
        foreach (var line in File.ReadLines(smaps))
        {
            var dash = line.IndexOf('-');
            var space = line.IndexOf(' ');
            if (dash > 0 && space > dash && IsHex(line.AsSpan(0, dash)))
            {
                inside = ulong.TryParse(line.AsSpan(0, dash), System.Globalization.NumberStyles.HexNumber, null, out var start)
                    && ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), System.Globalization.NumberStyles.HexNumber, null, out var end)
                    && start <= target && target < end;
                continue;
            }
            if (inside && line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
            {
                var kb = line["AnonHugePages:".Length..].Trim().Split(' ')[0];
                return long.TryParse(kb, out var value) ? value * 1024 : null;
            }
        }
        return null;
    }

    private static bool IsHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text) if (!char.IsAsciiHexDigit(c)) return false;
        return text.Length > 0;
    }
}
