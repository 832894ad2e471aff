using Sharpformer.Tensors;

namespace Sharpformer.Generation;

/// <summary>
/// A <see cref="TensorArena"/> per thread for cached decoding: the encoder pass and the cache set-up of one
/// decode take their tensors from it and give them back when the decode returns, so repeated translations
/// make no garbage. Uncached decoding does not use it (its whole-prefix passes would all be kept until the end).
/// </summary>
internal static class DecodingMemory
{
    [ThreadStatic] private static TensorArena? t_arena;

    /// <summary>
    /// Activates this thread's decoding arena, unless <paramref name="useCache"/> is off or an arena is
    /// already active (whose scope then holds the tensors).
    /// </summary>
    public static TensorArena.Scope? Enter(bool useCache) =>
        !useCache || TensorArena.IsActive ? null : (t_arena ??= new TensorArena()).Activate();
}
