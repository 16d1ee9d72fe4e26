using System.Collections.Immutable;

namespace PageReportingActors.Memory;

/// <summary>Pageblock migratetypes, in the kernel's enum order (the pass visits them in this order).</summary>
public enum Migratetype : byte
{
    /// <summary>Kernel memory that cannot move.</summary>
    Unmovable = 0,
    /// <summary>Memory that can move (user pages); allocations default to it.</summary>
    Movable = 1,
    /// <summary>Kernel memory that can be reclaimed, such as caches.</summary>
    Reclaimable = 2,
    /// <summary>Reserved for high-order atomic allocations; does not mix with others when merging at order 9 and above (R2).</summary>
    HighAtomic = 3,
    /// <summary>Contiguous memory allocator area; does not mix with others when merging at order 9 and above (R2).</summary>
    Cma = 4,
    /// <summary>Pageblocks taken out of use for now; the pass never walks their lists (R8), and they do not mix with others when merging at order 9 and above (R2).</summary>
    Isolate = 5,
}

/// <summary>Page-size constants shared by every part of the model.</summary>
public static class PageGeometry
{
    /// <summary>log2 of the page size.</summary>
    public const int PageShift = 12;
    /// <summary>Bytes per page: 4 KiB.</summary>
    public const int PageSize = 1 << PageShift;
    /// <summary>The largest block order: 2^10 pages, 4 MiB.</summary>
    public const int MaxOrder = 10;
    /// <summary>Number of orders, 0 to <see cref="MaxOrder"/>.</summary>
    public const int OrderCount = MaxOrder + 1;
    /// <summary>Order of a pageblock (2 MiB); also the default reporting order (R18).</summary>
    public const int PageblockOrder = 9;
    /// <summary>Pages per pageblock: 512.</summary>
    public const int PageblockPages = 1 << PageblockOrder;
    /// <summary>Number of <see cref="Migratetype"/> values.</summary>
    public const int MigratetypeCount = 6;

    /// <summary>Pages in a block of <paramref name="order"/>.</summary>
    public static long PagesOf(int order) => 1L << order;
    /// <summary>Bytes in <paramref name="pages"/> pages.</summary>
    public static long BytesOfPages(long pages) => pages << PageShift;
    /// <summary>Whether <paramref name="order"/> is within 0..<see cref="MaxOrder"/>.</summary>
    public static bool IsValidOrder(int order) => order is >= 0 and <= MaxOrder;
}

/// <summary>A zone's watermarks, in pages.</summary>
public sealed record Watermarks(long Min, long Low, long High);

/// <summary>
/// One zone as a guest describes it: <paramref name="Pages"/> pages from <paramref name="StartPfn"/>;
/// the first <c>ReservedPages</c> are not managed, the next <c>Pages - FreePages - ReservedPages</c>
/// are allocated (the guest kernel's own memory), the rest is free. With <paramref name="Kernel"/> the
/// zone follows that kernel (per-CPU page lists, pageblocks, fallback); without it, it keeps no
/// per-CPU lists and its kernel memory sits in Unmovable pageblocks.
/// </summary>
public sealed record ZoneSpec(string Name, long StartPfn, long Pages, long FreePages, Watermarks Watermarks, long ReservedPages = 0, ZoneKernelSpec? Kernel = null);

/// <summary>A block of 2^Order pages starting at an aligned Pfn.</summary>
public readonly record struct Block(long Pfn, int Order)
{
    /// <summary>Pages in the block: 2^Order.</summary>
    public long Pages => 1L << Order;
    /// <summary>Bytes in the block.</summary>
    public long Bytes => PageGeometry.BytesOfPages(Pages);
    /// <summary>The block as "pfn P order O", for logs and errors.</summary>
    public override string ToString() => $"pfn {Pfn} order {Order}";
}

/// <summary>One scatterlist entry: a guest-physical range and whether it ends the list.</summary>
public sealed record ScatterEntry(long Address, long Length, bool IsEnd)
{
    /// <summary>The first page frame of the range.</summary>
    public long Pfn => Address >> PageGeometry.PageShift;
    /// <summary>The block order the range's length stands for.</summary>
    public int Order => System.Numerics.BitOperations.Log2((ulong)(Length >> PageGeometry.PageShift));
    /// <summary>The block this entry describes.</summary>
    public Block ToBlock() => new(Pfn, Order);
}

/// <summary>What a report hands the device: one entry per block, the last marked as the end (R16).</summary>
public sealed record Scatterlist(ImmutableArray<ScatterEntry> Entries)
{
    /// <summary>One entry per block, in the given order, the last marked as the end.</summary>
    public static Scatterlist FromBlocks(IReadOnlyList<Block> blocks)
    {
        var builder = ImmutableArray.CreateBuilder<ScatterEntry>(blocks.Count);
        for (var i = 0; i < blocks.Count; i++)
            builder.Add(new ScatterEntry(
                PageGeometry.BytesOfPages(blocks[i].Pfn), blocks[i].Bytes, i == blocks.Count - 1));
        return new Scatterlist(builder.MoveToImmutable());
    }

    /// <summary>Number of entries (at most the capacity, 32, in a report).</summary>
    public int Count => Entries.Length;

    // Value equality over the entries, so a scatterlist still equals itself after crossing a wire.
    /// <summary>Equal when the entries are equal, in order.</summary>
    public bool Equals(Scatterlist? other) => other is not null && Entries.SequenceEqual(other.Entries);

    /// <summary>A hash over the entries, consistent with <see cref="Equals(Scatterlist?)"/>.</summary>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var entry in Entries) hash.Add(entry);
        return hash.ToHashCode();
    }
    /// <summary>Bytes over all entries.</summary>
    public long TotalBytes => Entries.Sum(e => e.Length);
    /// <summary>The blocks the entries describe, in order.</summary>
    public ImmutableArray<Block> ToBlocks() => Entries.Select(e => e.ToBlock()).ToImmutableArray();
}
