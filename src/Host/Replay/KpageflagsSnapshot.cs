using System.Buffers.Binary;
using PageReportingActors.Allocator;
using PageReportingActors.Replay;

namespace PageReportingActors.Host.Replay;

/// <summary>
/// A snapshot of <c>/proc/kpageflags</c>: 8 bytes per pfn (little-endian flag words, as x86-64
/// writes them), plain, gzip or xz. Only <c>KPF_BUDDY</c> is kept: the pages free in the buddy
/// lists when it was read. Pages on per-CPU lists carry no flag and count as in use.
/// </summary>
internal sealed class KpageflagsSnapshot
{
    /// <summary>The bit of <c>KPF_BUDDY</c> in a flag word: the page is free in the buddy lists.</summary>
    public const int BuddyBit = 10;
    private readonly ulong[] _buddy;

    private KpageflagsSnapshot(ulong[] buddy, long pfns)
    {
        _buddy = buddy;
        Pfns = pfns;
    }

    /// <summary>The pfns the snapshot covers (read up to <c>requiredPfns</c>).</summary>
    public long Pfns { get; }

    /// <summary>Whether <paramref name="pfn"/> was free in the buddy lists; false beyond the snapshot.</summary>
    public bool IsBuddy(long pfn) => (uint)pfn < (ulong)Pfns && (_buddy[pfn >> 6] & (1UL << (int)(pfn & 63))) != 0;

    /// <summary>Pages in <paramref name="start"/>..<paramref name="end"/> - 1 that were free in the buddy lists.</summary>
    public long BuddyPages(long start, long end)
    {
        long n = 0;
        for (var p = start; p < end; p++) if (IsBuddy(p)) n++;
        return n;
    }

    /// <summary>Reads the snapshot file at <paramref name="path"/> (plain, gzip or xz) as <see cref="Read"/> does.</summary>
    /// <exception cref="ReplayInputException">The file is missing or too short.</exception>
    public static KpageflagsSnapshot Load(string path, long requiredPfns)
    {
        using var stream = CompressedInput.Open(path);
        return Read(stream, requiredPfns, Path.GetFileName(path));
    }

    /// <summary>
    /// Reads the flags of pfns 0..<paramref name="requiredPfns"/> - 1 (the end of the guest's last
    /// zone); a shorter snapshot is an error, a longer one is read that far.
    /// </summary>
    public static KpageflagsSnapshot Read(Stream stream, long requiredPfns, string name = "kpageflags")
    {
        if (requiredPfns <= 0 || requiredPfns > 1L << 40)
            throw new ReplayInputException($"{name}: {requiredPfns} pfns is not a size to read");
        var buddy = new ulong[(requiredPfns + 63) >> 6];
        var buffer = new byte[1 << 16];
        long pfn = 0;
        var carry = 0;
        while (pfn < requiredPfns)
        {
            var read = stream.Read(buffer, carry, buffer.Length - carry);
            if (read == 0) break;
            var have = carry + read;
            var words = have / 8;
            for (var i = 0; i < words && pfn < requiredPfns; i++, pfn++)
            {
                var flags = BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(i * 8, 8));
                if ((flags & (1UL << BuddyBit)) != 0) buddy[pfn >> 6] |= 1UL << (int)(pfn & 63);
            }
            carry = have - words * 8;
            if (carry > 0) Buffer.BlockCopy(buffer, words * 8, buffer, 0, carry);
        }
        if (pfn < requiredPfns)
            throw new ReplayInputException(
                $"{name}: holds {pfn} pfns ({pfn * 8} bytes), but the guest's zones end at pfn {requiredPfns}; a snapshot is 8 bytes per pfn, read whole from /proc/kpageflags");
        return new KpageflagsSnapshot(buddy, requiredPfns);
    }

    /// <summary>Lays the zone out as the snapshot saw it (see <see cref="ZoneFreeArea.ResetLayout"/>).</summary>
    public void ApplyTo(ZoneFreeArea zone)
    {
        if (zone.EndPfn > Pfns)
            throw new ReplayInputException($"kpageflags: zone {zone.Name} ends at pfn {zone.EndPfn}, past the snapshot's {Pfns}");
        zone.ResetLayout(IsBuddy);
    }
}
