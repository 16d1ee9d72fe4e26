using System.Numerics;

namespace PageReportingActors.Hypervisor;

/// <summary>
/// One bit per page (or per host frame), indexed by a <see langword="long"/>: a 64 GiB guest's pages
/// are 2 MiB of words. Range operations work a 64-bit word at a time and say how many bits changed,
/// so a 4 MiB block costs 16 word operations, not 1024 bit operations.
/// </summary>
public sealed class PageBitmap
{
    private readonly ulong[] _words;

    /// <summary>A bitmap of <paramref name="length"/> bits, all clear.</summary>
    public PageBitmap(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _words = new ulong[(length + 63) >> 6];
    }

    /// <summary>How many bits the bitmap holds.</summary>
    public long Length { get; }

    /// <summary>The memory the bits take.</summary>
    public long SizeBytes => _words.LongLength * sizeof(ulong);

    /// <summary>Bit <paramref name="index"/>.</summary>
    public bool this[long index]
    {
        get
        {
            CheckRange(index, 1);
            return (_words[index >> 6] & (1UL << (int)(index & 63))) != 0;
        }
    }

    /// <summary>Sets the bits of the range; returns how many were clear before.</summary>
    public long Set(long start, long count)
    {
        CheckRange(start, count);
        long changed = 0;
        for (var r = new WordRange(start, count); r.Next(out var w, out var mask);)
        {
            changed += BitOperations.PopCount(~_words[w] & mask);
            _words[w] |= mask;
        }
        return changed;
    }

    /// <summary>Clears the bits of the range; returns how many were set before.</summary>
    public long Clear(long start, long count)
    {
        CheckRange(start, count);
        long changed = 0;
        for (var r = new WordRange(start, count); r.Next(out var w, out var mask);)
        {
            changed += BitOperations.PopCount(_words[w] & mask);
            _words[w] &= ~mask;
        }
        return changed;
    }

    /// <summary>How many bits of the range are set.</summary>
    public long Count(long start, long count)
    {
        CheckRange(start, count);
        long set = 0;
        for (var r = new WordRange(start, count); r.Next(out var w, out var mask);)
            set += BitOperations.PopCount(_words[w] & mask);
        return set;
    }

    /// <summary>Whether any bit of the range is set.</summary>
    public bool Any(long start, long count)
    {
        CheckRange(start, count);
        for (var r = new WordRange(start, count); r.Next(out var w, out var mask);)
            if ((_words[w] & mask) != 0) return true;
        return false;
    }

    /// <summary>How many bits of the range are set here and clear in <paramref name="other"/> (of the same length).</summary>
    public long CountSetWhereClear(PageBitmap other, long start, long count)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Length != Length) throw new ArgumentException("the bitmaps differ in length", nameof(other));
        CheckRange(start, count);
        long set = 0;
        for (var r = new WordRange(start, count); r.Next(out var w, out var mask);)
            set += BitOperations.PopCount(_words[w] & ~other._words[w] & mask);
        return set;
    }

    /// <summary>Clears every bit.</summary>
    public void ClearAll() => Array.Clear(_words);

    private void CheckRange(long start, long count)
    {
        if (start < 0 || count < 0 || start > Length - count)
            throw new ArgumentOutOfRangeException(nameof(start), $"bits {start}+{count} are outside 0..{Length}");
    }

    /// <summary>The words a bit range covers, each with the mask of its bits in the range.</summary>
    private struct WordRange(long start, long count)
    {
        private long _at = start;
        private readonly long _end = start + count;

        public bool Next(out long word, out ulong mask)
        {
            if (_at >= _end)
            {
                word = 0;
                mask = 0;
                return false;
            }
            word = _at >> 6;
            var from = (int)(_at & 63);
            var wordEnd = (word + 1) << 6;
            var to = _end < wordEnd ? (int)(_end & 63) : 64;
            mask = (to == 64 ? ulong.MaxValue : (1UL << to) - 1) & ~((1UL << from) - 1);
            _at = Math.Min(_end, wordEnd);
            return true;
        }
    }
}
