using System.Collections.Immutable;

namespace PageReportingActors.Memory;

/// <summary>Pageblock migratetypes, in the kernel's enum order (the pass visits them in this order).</summary>
public enum Migratetype : byte
{
    Unmovable = 0,
    Movable = 1,
    Reclaimable = 2,
    HighAtomic = 3,
    Cma = 4,
    Isolate = 5,
}

/// <summary>Page-size constants shared by every part of the model.</summary>
public static class PageGeometry
{
    public const int PageShift = 12;
    public const int PageSize = 1 << PageShift;
    public const int MaxOrder = 10;
    public const int OrderCount = MaxOrder + 1;
    public const int PageblockOrder = 9;
    public const int PageblockPages = 1 << PageblockOrder;
    public const int MigratetypeCount = 6;

    public static long PagesOf(int order) => 1L << order;
    public static long BytesOfPages(long pages) => pages << PageShift;
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
    public long Pages => 1L << Order;
    public long Bytes => PageGeometry.BytesOfPages(Pages);
    public override string ToString() => $"pfn {Pfn} order {Order}";
}

/// <summary>One scatterlist entry: a guest-physical range and whether it ends the list.</summary>
public sealed record ScatterEntry(long Address, long Length, bool IsEnd)
{
    public long Pfn => Address >> PageGeometry.PageShift;
    public int Order => System.Numerics.BitOperations.Log2((ulong)(Length >> PageGeometry.PageShift));
    public Block ToBlock() => new(Pfn, Order);
}

/// <summary>What a report hands the device: one entry per block, the last marked as the end (R16).</summary>
public sealed record Scatterlist(ImmutableArray<ScatterEntry> Entries)
{
    public static Scatterlist FromBlocks(IReadOnlyList<Block> blocks)
    {
        var builder = ImmutableArray.CreateBuilder<ScatterEntry>(blocks.Count);
        for (var i = 0; i < blocks.Count; i++)
            builder.Add(new ScatterEntry(
                PageGeometry.BytesOfPages(blocks[i].Pfn), blocks[i].Bytes, i == blocks.Count - 1));
        return new Scatterlist(builder.MoveToImmutable());
    }

    public int Count => Entries.Length;

    // Value equality over the entries, so a scatterlist still equals itself after crossing a wire.
    public bool Equals(Scatterlist? other) => other is not null && Entries.SequenceEqual(other.Entries);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var entry in Entries) hash.Add(entry);
        return hash.ToHashCode();
    }
    public long TotalBytes => Entries.Sum(e => e.Length);
    public ImmutableArray<Block> ToBlocks() => Entries.Select(e => e.ToBlock()).ToImmutableArray();
}
