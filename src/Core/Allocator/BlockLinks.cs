using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PageReportingActors.Allocator;

/// <summary>
/// The next and previous links of the blocks on a zone's buddy and per-CPU lists (the kernel's
/// page->buddy_list and page->pcp_list). A block of order o is linked in order o's table, at its
/// place among the blocks of that order (its page index shifted right by o): blocks of one order
/// never overlap, so no two share a place. A table is made of chunks, each made when a first
/// link is stored in it. So a zone holds links for the blocks it has of each order, not two ints
/// for every page: an idle 256 GiB guest, free in order-10 blocks, links 65,536 blocks instead of
/// 67 million pages.
/// </summary>
internal sealed class BlockLinks
{
    /// <summary>No block: the end of a list.</summary>
    public const int None = -1;

    // 512 places a chunk, next and previous side by side: 4 KiB each.
    private const int ChunkBits = 9;
    private const int ChunkMask = (1 << ChunkBits) - 1;

    private readonly int[]?[][] _chunks;

    // Order 0 is where a churning guest's pages live: its table is kept at hand.
    private readonly int[]?[] _order0;

    public BlockLinks(long pages, int orderCount)
    {
        _chunks = new int[]?[orderCount][];
        for (var order = 0; order < orderCount; order++)
            _chunks[order] = new int[]?[((pages >> order) >> ChunkBits) + 1];
        _order0 = _chunks[0];
    }

    /// <summary>The block after <paramref name="page"/> (an index in the zone) on its list of order <paramref name="order"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Next(int page, int order)
    {
        var place = page >> order;
        var chunk = Table(order)[place >> ChunkBits];
        return chunk is null ? None : Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk), (place & ChunkMask) << 1);
    }

    /// <summary>The block before <paramref name="page"/> on its list of order <paramref name="order"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Prev(int page, int order)
    {
        var place = page >> order;
        var chunk = Table(order)[place >> ChunkBits];
        return chunk is null ? None : Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk), ((place & ChunkMask) << 1) + 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetNext(int page, int order, int next)
    {
        var place = page >> order;
        var chunk = Chunk(order, place, next);
        // A chunk holds 2 << ChunkBits ints and the offset is below that: no bounds check needed.
        if (chunk is not null) Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk), (place & ChunkMask) << 1) = next;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetPrev(int page, int order, int prev)
    {
        var place = page >> order;
        var chunk = Chunk(order, place, prev);
        if (chunk is not null) Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk), ((place & ChunkMask) << 1) + 1) = prev;
    }

    /// <summary>Both links at once: the common case of a block put on a list or taken off it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(int page, int order, int next, int prev)
    {
        var place = page >> order;
        var chunk = Chunk(order, place, next == None ? prev : next);
        if (chunk is null) return;
        ref var at = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk), (place & ChunkMask) << 1);
        at = next;
        Unsafe.Add(ref at, 1) = prev;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int[]?[] Table(int order) => order == 0 ? _order0 : _chunks[order];

    /// <summary>Bytes the chunks made so far hold: what the links cost this zone.</summary>
    public long Bytes
    {
        get
        {
            long bytes = 0;
            foreach (var table in _chunks)
            {
                bytes += (long)table.Length * IntPtr.Size;
                foreach (var chunk in table)
                    if (chunk is not null) bytes += (long)chunk.Length * sizeof(int);
            }
            return bytes;
        }
    }

    // A chunk that was never made holds only None: storing None there needs no chunk.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int[]? Chunk(int order, int place, int value)
    {
        ref var chunk = ref Table(order)[place >> ChunkBits];
        if (chunk is null && value != None)
        {
            chunk = new int[2 << ChunkBits];
            Array.Fill(chunk, None);
        }
        return chunk;
    }
}
