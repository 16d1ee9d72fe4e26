using System.IO.Compression;
using PageReportingActors.Allocator;
using PageReportingActors.Host.Replay;
using PageReportingActors.Memory;
using PageReportingActors.Replay;
using Xunit;

namespace PageReportingActors.Tests.Replay;

/// <summary>The /proc/kpageflags snapshot: KPF_BUDDY pages become the starting free blocks.</summary>
public sealed class KpageflagsSnapshotTests
{
    private static byte[] Flags(long pfns, params long[] buddy)
    {
        var bytes = new byte[pfns * 8];
        foreach (var pfn in buddy) bytes[pfn * 8 + 1] |= 1 << (KpageflagsSnapshot.BuddyBit - 8);
        // Other flags (here KPF_LRU, bit 5) do not make a page free.
        bytes[0] |= 1 << 5;
        return bytes;
    }

    [Fact]
    public void Buddy_pages_become_the_largest_aligned_free_blocks_and_the_rest_is_in_use()
    {
        var free = Enumerable.Range(8, 8).Select(i => (long)i).Append(17).Concat(Enumerable.Range(32, 32).Select(i => (long)i)).ToArray();
        var snapshot = KpageflagsSnapshot.Read(new MemoryStream(Flags(64, free)), 64);
        var zone = new ZoneFreeArea(new ZoneSpec("Z", 0, 64, 64, new Watermarks(0, 0, 0)));
        snapshot.ApplyTo(zone);

        Assert.Null(zone.CheckInvariants());
        var freeBlocks = zone.Blocks().Where(b => b.Kind == PageKind.Free).Select(b => b.Block).ToArray();
        Assert.Equal([new Block(8, 3), new Block(17, 0), new Block(32, 5)], freeBlocks);
        Assert.Equal(41, zone.FreePages);
        Assert.Equal(23, zone.AllocatedPages);
    }

    [Fact]
    public void The_reference_snapshot_shows_the_trace_buffer_taken_from_zoneinfos_free_pages()
    {
        var zones = ReplayKit.ZonesFromSnapshot();
        foreach (var zone in zones) Assert.Null(zone.CheckInvariants());
        var zoneinfoFree = ReplayKit.GuestZones().Sum(z => z.Spec.FreePages);
        Assert.Equal(235_528 + 3_808, zoneinfoFree);
        var snapshotFree = zones.Sum(z => z.FreePages);
        // The README: about 14,000 fewer, the 48 MiB trace buffer (12,288 pages) among them.
        Assert.InRange(zoneinfoFree - snapshotFree, 12_288, 16_000);
        // KPF_BUDDY bits below pfn 262,106, counted in the raw file on its own.
        Assert.Equal(225_036, snapshotFree);
    }

    [Fact]
    public void A_snapshot_shorter_than_the_zones_is_an_error_that_names_both_sizes()
    {
        var error = Assert.Throws<ReplayInputException>(() => KpageflagsSnapshot.Read(new MemoryStream(Flags(100)), 262_106, "kpageflags.bin"));
        Assert.Contains("holds 100 pfns (800 bytes)", error.Message);
        Assert.Contains("end at pfn 262106", error.Message);
    }

    [Fact]
    public void A_gzip_snapshot_reads_as_the_plain_one()
    {
        var raw = Flags(64, 3, 4, 5);
        var gz = new MemoryStream();
        using (var zip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) zip.Write(raw);
        gz.Position = 0;
        var snapshot = KpageflagsSnapshot.Read(CompressedInput.Wrap(gz), 64);
        Assert.Equal(3, snapshot.BuddyPages(0, 64));
        Assert.True(snapshot.IsBuddy(4));
        Assert.False(snapshot.IsBuddy(6));
    }

    [Fact]
    public void A_snapshot_is_read_only_as_far_as_the_zones_reach()
    {
        var snapshot = KpageflagsSnapshot.Read(new MemoryStream(Flags(128, 100)), 64);
        Assert.Equal(64, snapshot.Pfns);
        Assert.False(snapshot.IsBuddy(100));
    }
}
