using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Sharpformer.Text;

/// <summary>
/// Learns byte-level BPE merges. The texts are cut by GPT-2's pre-tokenizer and the distinct pieces
/// counted; then, repeatedly, the most frequent adjacent pair of tokens (summed over pieces, weighted by
/// piece counts) becomes a new token. Pair counts are kept up to date incrementally: each merge visits
/// only the pieces that hold the pair (an index from pair to pieces), and a max-heap with lazy deletion
/// finds the next pair. Ties go to the pair of smaller ids (left, then right), so training is deterministic.
/// </summary>
public static class BpeTrainer
{
    /// <summary>
    /// Trains a vocabulary: the special tokens (ids 0..), the 256 bytes in byte order, then one token per
    /// merge, until <see cref="TokenizerTrainingOptions.VocabSize"/> ids or until no pair occurs at least
    /// <see cref="TokenizerTrainingOptions.MinFrequency"/> times. <paramref name="progress"/> receives a
    /// line per phase.
    /// </summary>
    public static BpeTokenizer Train(IEnumerable<string> texts, TokenizerTrainingOptions options, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(options);
        var specials = options.Validate(minimumVocab: SpecialTokens.Count + 256);
        int firstByte = specials.All.Count, firstMerged = firstByte + 256;
        var clock = Stopwatch.StartNew();

        var counts = PieceCounter.Count(texts, Gpt2PreTokenizer.PieceEnd);
        var state = new TrainingState(counts, firstByte);
        double countSeconds = clock.Elapsed.TotalSeconds;
        progress?.Invoke($"counted {counts.Count:N0} distinct pieces ({state.TotalPieces:N0} in all) in {countSeconds:F2} s");

        var tokenBytes = new List<byte[]?>(options.VocabSize);
        tokenBytes.AddRange(Enumerable.Repeat<byte[]?>(null, firstByte));
        for (int b = 0; b < 256; b++) tokenBytes.Add([(byte)b]);
        var merges = new List<(int, int, int)>();
        while (tokenBytes.Count < options.VocabSize && state.TryTakeBest(options.MinFrequency, out int left, out int right))
        {
            int result = tokenBytes.Count;
            tokenBytes.Add([.. tokenBytes[left]!, .. tokenBytes[right]!]);
            merges.Add((left, right, result));
            state.Merge(left, right, result);
        }
        progress?.Invoke($"learned {merges.Count:N0} merges ({tokenBytes.Count:N0} tokens, first merged id {firstMerged}) " +
                         $"in {clock.Elapsed.TotalSeconds - countSeconds:F2} s");
        return new BpeTokenizer([.. tokenBytes], merges, specials);
    }

    /// <summary>The distinct pieces as token sequences, the pair counts, the pair → pieces index and the heap.</summary>
    private sealed class TrainingState
    {
        private readonly int[][] _words;
        private readonly int[] _lengths;
        private readonly int[] _frequencies;
        private readonly Dictionary<long, long> _pairCounts = [];
        private readonly Dictionary<long, List<int>> _wordsWithPair = [];
        private readonly PriorityQueue<long, (long NegatedCount, long Pair)> _heap = new();
        private readonly List<long> _newPairs = [];

        public TrainingState(Dictionary<string, int> pieceCounts, int firstByte)
        {
            _words = new int[pieceCounts.Count][];
            _lengths = new int[pieceCounts.Count];
            _frequencies = new int[pieceCounts.Count];
            int w = 0;
            // Ordinal order, so that the result never depends on the dictionary's enumeration order.
            foreach (var (piece, count) in pieceCounts.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            {
                byte[] bytes = Encoding.UTF8.GetBytes(piece);
                _words[w] = [.. bytes.Select(b => firstByte + b)];
                _lengths[w] = bytes.Length;
                _frequencies[w] = count;
                TotalPieces += count;
                AddPairs(w, newOnly: -1);
                w++;
            }
            foreach (var (pair, count) in _pairCounts) _heap.Enqueue(pair, (-count, pair));
        }

        public long TotalPieces { get; }

        /// <summary>The most frequent pair, if it occurs at least <paramref name="minFrequency"/> times.</summary>
        public bool TryTakeBest(int minFrequency, out int left, out int right)
        {
            while (_heap.TryDequeue(out long pair, out var priority))
            {
                long count = _pairCounts.GetValueOrDefault(pair);
                if (count != -priority.NegatedCount)
                {
                    if (count > 0) _heap.Enqueue(pair, (-count, pair)); // stale entry: requeue at its true count
                    continue;
                }
                if (count < minFrequency) break;
                left = (int)(pair >> 32);
                right = (int)pair;
                return true;
            }
            left = right = -1;
            return false;
        }

        /// <summary>Replaces (left, right) by <paramref name="result"/> in every piece that holds it, updating the counts.</summary>
        public void Merge(int left, int right, int result)
        {
            long key = MergeTable.PairKey(left, right);
            _wordsWithPair.Remove(key, out var words);
            _newPairs.Clear();
            foreach (int w in words!)
            {
                int[] word = _words[w];
                int length = _lengths[w];
                if (!Holds(word, length, left, right)) continue; // the index keeps pieces the pair has since left
                RemovePairs(w);
                int output = 0;
                for (int i = 0; i < length;)
                {
                    if (i + 1 < length && word[i] == left && word[i + 1] == right)
                    {
                        word[output++] = result;
                        i += 2;
                    }
                    else word[output++] = word[i++];
                }
                _lengths[w] = output;
                AddPairs(w, newOnly: result);
            }
            foreach (long pair in _newPairs)
            {
                if (_pairCounts.TryGetValue(pair, out long count) && count > 0) _heap.Enqueue(pair, (-count, pair));
            }
        }

        private static bool Holds(int[] word, int length, int left, int right)
        {
            for (int i = 0; i + 1 < length; i++)
            {
                if (word[i] == left && word[i + 1] == right) return true;
            }
            return false;
        }

        private void RemovePairs(int w)
        {
            int[] word = _words[w];
            for (int i = 0; i + 1 < _lengths[w]; i++)
                CollectionsMarshal.GetValueRefOrAddDefault(_pairCounts, MergeTable.PairKey(word[i], word[i + 1]), out _) -= _frequencies[w];
        }

        // Counts the piece's pairs; indexes the piece under each pair that involves newOnly (all pairs when it is -1).
        private void AddPairs(int w, int newOnly)
        {
            int[] word = _words[w];
            for (int i = 0; i + 1 < _lengths[w]; i++)
            {
                long pair = MergeTable.PairKey(word[i], word[i + 1]);
                CollectionsMarshal.GetValueRefOrAddDefault(_pairCounts, pair, out _) += _frequencies[w];
                if (newOnly >= 0 && word[i] != newOnly && word[i + 1] != newOnly) continue;
                ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(_wordsWithPair, pair, out bool existed);
                if (!existed)
                {
                    list = [];
                    if (newOnly >= 0) _newPairs.Add(pair);
                }
                if (list!.Count == 0 || list[^1] != w) list.Add(w);
            }
        }
    }
}
