using System.IO.Compression;
using SharpCompress.Compressors.Xz;

namespace PageReportingActors.Host.Replay;

/// <summary>Opens a trace or snapshot that may be plain, gzip or xz, told apart by its first bytes.</summary>
internal static class CompressedInput
{
    /// <summary>Opens the file at <paramref name="path"/> for reading, decompressed if it is gzip or xz.</summary>
    /// <exception cref="ReplayInputException">There is no such file; reading it later throws it too
    /// when the compressed data is corrupt or cut short, naming the file.</exception>
    public static Stream Open(string path)
    {
        if (!File.Exists(path)) throw new ReplayInputException($"{path}: no such file");
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            return Wrap(file, Path.GetFileName(path));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Wraps a seekable stream in the decompressor its magic bytes ask for; <paramref name="name"/> names it in errors.</summary>
    public static Stream Wrap(Stream stream, string name = "input")
    {
        Span<byte> magic = stackalloc byte[6];
        var read = stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        stream.Seek(0, SeekOrigin.Begin);
        if (read >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
            return new CheckedDecompression(new GZipStream(stream, CompressionMode.Decompress, leaveOpen: false), name, "gzip", GzipTrailerSize(stream));
        if (read >= 6 && magic.SequenceEqual((ReadOnlySpan<byte>)[0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00]))
            return new CheckedDecompression(new XZStream(stream), name, "xz", null);
        return stream;
    }

    /// <summary>
    /// The uncompressed size mod 2^32 a gzip file's trailer gives (its last 4 bytes, ISIZE), or null
    /// when it is too short to have one. GZipStream ends quietly where a cut file ends, so the reader
    /// holds what it decompressed against this (a single-member file, as gzip writes one).
    /// </summary>
    private static uint? GzipTrailerSize(Stream stream)
    {
        if (!stream.CanSeek || stream.Length < 18) return null;
        Span<byte> trailer = stackalloc byte[4];
        stream.Seek(-4, SeekOrigin.End);
        stream.ReadExactly(trailer);
        stream.Seek(0, SeekOrigin.Begin);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer);
    }

    /// <summary>
    /// A decompressor whose errors name the file: corrupt data and a gzip stream cut before its
    /// trailer throw <see cref="ReplayInputException"/> instead of the decompressor's own words.
    /// </summary>
    private sealed class CheckedDecompression(Stream inner, string name, string format, uint? trailerSize) : Stream
    {
        private long _decompressed;
        private bool _checked;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int read;
            try
            {
                read = inner.Read(buffer);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or InvalidOperationException or ArgumentException
                                          || e.GetType().Namespace?.StartsWith("SharpCompress", StringComparison.Ordinal) == true)
            {
                throw new ReplayInputException($"{name}: not valid {format} data ({e.Message.TrimEnd('.')}); the file is corrupt or not what its first bytes say");
            }
            _decompressed += read;
            if (read == 0 && buffer.Length > 0 && !_checked)
            {
                _checked = true;
                if (trailerSize is { } size && (uint)_decompressed != size)
                    throw new ReplayInputException(FormattableString.Invariant(
                        $"{name}: the {format} data is cut short ({_decompressed} bytes decompressed, its trailer says {size} mod 2^32); copy the whole file again"));
            }
            return read;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _decompressed; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
