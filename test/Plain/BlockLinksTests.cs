using PageReportingActors.Allocator;
using PageReportingActors.Memory;
using Xunit;

namespace PageReportingActors.Tests.Plain;

/// <summary>
/// The lists' links are kept per order, in chunks made on first use: blocks of different orders at
/// one page keep their own links, and a zone pays for the blocks it has, not for every page.
/// </summary>
public sealed class BlockLinksTests
{
    [Fact]
    public void Blocks_of_different_orders_at_one_page_keep_their_own_links()
    {
        var links = new BlockLinks(1 << 20, 11);
        links.Set(4096, 0, 4097, BlockLinks.None);
        links.Set(4096, 10, 8192, 0);
        links.SetPrev(4097, 0, 4096);

        Assert.Equal(4097, links.Next(4096, 0));
        Assert.Equal(BlockLinks.None, links.Prev(4096, 0));
        Assert.Equal(8192, links.Next(4096, 10));
        Assert.Equal(0, links.Prev(4096, 10));
        Assert.Equal(4096, links.Prev(4097, 0));
        // A place no link was stored at reads as the end of a list.
        Assert.Equal(BlockLinks.None, links.Next(4096, 3));
        Assert.Equal(BlockLinks.None, links.Next(1 << 19, 0));
    }

    [Fact]
    public void Ending_a_list_where_no_chunk_was_made_makes_none()
    {
        var links = new BlockLinks(1 << 20, 11);
        var empty = links.Bytes;
        links.Set(12345, 0, BlockLinks.None, BlockLinks.None);
        Assert.Equal(empty, links.Bytes);
        links.SetNext(12345, 0, 12346);
        // One chunk: 512 places, next and previous, 4 bytes each.
        Assert.Equal(empty + 512 * 2 * 4, links.Bytes);
    }

    [Fact]
    public void An_idle_256_GiB_zone_links_its_order_10_blocks_in_2_5_MiB_where_every_page_took_8_bytes()
    {
        const long pages = 256L << 18;
        var zone = new ZoneFreeArea(new ZoneSpec("Normal", 0, pages, pages, new Watermarks(0, 0, 0)));
        // 65,536 order-10 blocks: 128 chunks of 4 KiB, and for each order o a table of
        // (2^26 >> o) / 512 + 1 chunk references of 8 bytes: 2,620,504 bytes, 0.04 per page.
        Assert.Equal(65_536, zone.NrFree(10));
        var tables = Enumerable.Range(0, 11).Sum(o => ((pages >> o) / 512 + 1) * 8);
        Assert.Equal(tables + 128 * 4096, zone.LinkBytes);
        Assert.Equal(2_620_504, zone.LinkBytes);
        // Two ints for every page, as before, were 512 MiB: this is under a two-hundredth of it.
        Assert.True(zone.LinkBytes * 200 < pages * 2 * sizeof(int), $"{zone.LinkBytes} bytes");
        Assert.Null(zone.CheckInvariants());
    }
}
