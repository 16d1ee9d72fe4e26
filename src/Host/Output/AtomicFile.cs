namespace PageReportingActors.Host.Output;

/// <summary>
/// Files written whole or not at all: the content goes to a temporary name in the target's own
/// directory (so the rename stays on one file system), and only a complete file is renamed over
/// the target. A reader never sees half a file, and a failed write leaves the old one as it was.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, which is given the temporary path to fill.</summary>
    public static void Write(string path, Action<string> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var temporary = WriteTemporary(path, write);
        Commit(temporary, path);
    }

    /// <summary>Fills a new temporary file beside <paramref name="path"/> and returns its path; on failure nothing is left behind.</summary>
    public static string WriteTemporary(string path, Action<string> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? ".";
        // Hidden, unique, and ending in the target's extension (a writer may choose its format by it).
        var temporary = Path.Combine(directory,
            $".{Path.GetFileNameWithoutExtension(full)}.{Guid.NewGuid():N}.tmp{Path.GetExtension(full)}");
        try
        {
            write(temporary);
            return temporary;
        }
        catch
        {
            Discard(temporary);
            throw;
        }
    }

    /// <summary>Puts a complete temporary file in place of <paramref name="path"/>.</summary>
    public static void Commit(string temporary, string path) => File.Move(temporary, path, overwrite: true);

    /// <summary>Removes a temporary file, if it is there.</summary>
    public static void Discard(string temporary)
    {
        try
        {
            File.Delete(temporary);
        }
        catch (IOException)
        {
            // Best effort: the write's own failure is the one to report.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
