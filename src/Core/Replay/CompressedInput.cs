using System.IO.Compression;
using SharpCompress.Compressors.Xz;

namespace PageReportingActors.Replay;

/// <summary>Opens a trace or snapshot that may be plain, gzip or xz, told apart by its first bytes.</summary>
public static class CompressedInput
{
    /// <summary>Opens the file at <paramref name="path"/> for reading, decompressed if it is gzip or xz.</summary>
    /// <exception cref="ReplayInputException">There is no such file.</exception>
    public static Stream Open(string path)
    {
        if (!File.Exists(path)) throw new ReplayInputException($"{path}: no such file");
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            return Wrap(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Wraps a seekable stream in the decompressor its magic bytes ask for.</summary>
    public static Stream Wrap(Stream stream)
    {
        Span<byte> magic = stackalloc byte[6];
        var read = stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        stream.Seek(0, SeekOrigin.Begin);
        if (read >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
            return new GZipStream(stream, CompressionMode.Decompress, leaveOpen: false);
        if (read >= 6 && magic.SequenceEqual((ReadOnlySpan<byte>)[0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00]))
            return new XZStream(stream);
        return stream;
    }
}
