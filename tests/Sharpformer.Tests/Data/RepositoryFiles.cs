namespace Sharpformer.Tests.Data;

/// <summary>Files of the repository the tests were built from (found by walking up to Sharpformer.slnx).</summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> RootDirectory = new(() =>
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Sharpformer.slnx"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException(
            "repository root (Sharpformer.slnx) not found above " + AppContext.BaseDirectory);
    });

    /// <summary>The repository root.</summary>
    public static string Root => RootDirectory.Value;

    /// <summary>A path under the root, given with '/' separators.</summary>
    public static string PathOf(string relative) => Path.Combine([Root, .. relative.Split('/')]);
}
