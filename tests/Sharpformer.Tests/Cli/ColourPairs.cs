using Sharpformer.Tensors;

namespace Sharpformer.Tests.Cli;

/// <summary>A toy English → Spanish corpus for end-to-end runs: 2–4 colour words, translated word for word.</summary>
internal static class ColourPairs
{
    private static readonly string[] English = ["red", "green", "blue", "black", "white"];
    private static readonly string[] Spanish = ["rojo", "verde", "azul", "negro", "blanco"];

    /// <summary>Writes <paramref name="count"/> pairs drawn from <paramref name="rng"/> to <paramref name="path"/> as TSV.</summary>
    public static void Write(string path, int count, Rng rng) =>
        File.WriteAllText(path, string.Concat(Enumerable.Range(0, count).Select(_ =>
        {
            int[] words = [.. Enumerable.Range(0, 2 + rng.NextInt(3)).Select(_ => rng.NextInt(English.Length))];
            return string.Join(' ', words.Select(w => English[w])) + "\t" + string.Join(' ', words.Select(w => Spanish[w])) + "\n";
        })));
}
