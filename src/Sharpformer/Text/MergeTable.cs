namespace Sharpformer.Text;

/// <summary>BPE merges by rank, and the merge loop that applies them to one piece's token ids.</summary>
internal sealed class MergeTable
{
    private readonly Dictionary<long, int> _ranks = [];
    private readonly List<int> _results = [];

    /// <summary>Number of merges.</summary>
    public int Count => _results.Count;

    /// <summary>The key of the adjacent pair (left, right).</summary>
    public static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>Adds the merge of rank <see cref="Count"/>; false if the pair already has one.</summary>
    public bool TryAdd(int left, int right, int result)
    {
        if (!_ranks.TryAdd(PairKey(left, right), _results.Count)) return false;
        _results.Add(result);
        return true;
    }

    /// <summary>
    /// Merges <paramref name="symbols"/> (overwriting it) lowest rank first, leftmost first among equal
    /// ranks, until no adjacent pair has a merge, and returns the result. A linked list over positions and
    /// a heap of candidate pairs keyed by (rank, position) make a long piece cost O(n log n), not O(n²).
    /// </summary>
    public int[] Apply(int[] symbols)
    {
        int n = symbols.Length;
        if (n < 2) return symbols;
        var next = new int[n];
        var previous = new int[n];
        for (int i = 0; i < n; i++)
        {
            next[i] = i + 1 < n ? i + 1 : -1;
            previous[i] = i - 1;
        }
        var heap = new PriorityQueue<int, long>();
        for (int i = 0; i + 1 < n; i++) Push(heap, symbols, i, i + 1);
        int alive = n;
        while (heap.TryDequeue(out int position, out long priority))
        {
            int right = next[position];
            int rank = (int)(priority >> 32);
            // Stale entry: the pair at this position has changed since it was queued.
            if (symbols[position] < 0 || right < 0
                || !_ranks.TryGetValue(PairKey(symbols[position], symbols[right]), out int current) || current != rank) continue;
            symbols[position] = _results[rank];
            symbols[right] = -1;
            next[position] = next[right];
            if (next[right] >= 0) previous[next[right]] = position;
            alive--;
            if (previous[position] >= 0) Push(heap, symbols, previous[position], position);
            if (next[position] >= 0) Push(heap, symbols, position, next[position]);
        }
        var result = new int[alive];
        for (int i = 0, k = 0; i >= 0; i = next[i]) result[k++] = symbols[i];
        return result;
    }

    private void Push(PriorityQueue<int, long> heap, int[] symbols, int left, int right)
    {
        if (_ranks.TryGetValue(PairKey(symbols[left], symbols[right]), out int rank)) heap.Enqueue(left, ((long)rank << 32) | (uint)left);
    }
}
