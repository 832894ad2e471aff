using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sharpformer.Kernels;

/// <summary>
/// bfloat16: the top 16 bits of a float32 (sign, the same 8-bit exponent, 7 fraction bits), held as a
/// <see cref="ushort"/>. Widening is exact; narrowing rounds to nearest, ties to even, as PyTorch and the
/// hardware do, so the range is float32's and only precision is lost (a relative step of 2⁻⁸). NaN stays
/// NaN (quiet, sign kept), ±∞ stays ±∞, and values past the largest bfloat16 round to ∞.
/// </summary>
internal static class BFloat16
{
    private const uint QuietBit = 0x0040;   // the top fraction bit of a bfloat16: set in every NaN it makes

    /// <summary>x rounded to the nearest bfloat16, ties to even.</summary>
    public static ushort FromFloat(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) return (ushort)((bits >> 16) | QuietBit);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>The float32 with the same value as <paramref name="b"/> (exact).</summary>
    public static float ToFloat(ushort b) => BitConverter.UInt32BitsToSingle((uint)b << 16);

    /// <summary>Narrows every value, ties to even. source, destination: [n]</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Narrow(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("BFloat16.Narrow: destination too short");
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 32 <= source.Length; i += 32)
            {
                var low = NarrowBits(Vector512.Create(source.Slice(i, 16)).AsUInt32());
                var high = NarrowBits(Vector512.Create(source.Slice(i + 16, 16)).AsUInt32());
                Vector512.Narrow(low, high).CopyTo(destination.Slice(i, 32));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 16 <= source.Length; i += 16)
            {
                var low = NarrowBits(Vector256.Create(source.Slice(i, 8)).AsUInt32());
                var high = NarrowBits(Vector256.Create(source.Slice(i + 8, 8)).AsUInt32());
                Vector256.Narrow(low, high).CopyTo(destination.Slice(i, 16));
            }
        }
        for (; i < source.Length; i++) destination[i] = FromFloat(source[i]);
    }

    /// <summary>Widens every value (exact). source, destination: [n]</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Widen(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("BFloat16.Widen: destination too short");
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 32 <= source.Length; i += 32)
            {
                var (low, high) = Vector512.Widen(Vector512.Create(source.Slice(i, 32)));
                Vector512.ShiftLeft(low, 16).AsSingle().CopyTo(destination.Slice(i, 16));
                Vector512.ShiftLeft(high, 16).AsSingle().CopyTo(destination.Slice(i + 16, 16));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 16 <= source.Length; i += 16)
            {
                var (low, high) = Vector256.Widen(Vector256.Create(source.Slice(i, 16)));
                Vector256.ShiftLeft(low, 16).AsSingle().CopyTo(destination.Slice(i, 8));
                Vector256.ShiftLeft(high, 16).AsSingle().CopyTo(destination.Slice(i + 8, 8));
            }
        }
        for (; i < source.Length; i++) destination[i] = ToFloat(source[i]);
    }

    /// <summary>
    /// Narrows <paramref name="count"/> values of <paramref name="source"/> into bfloat16 slots
    /// <paramref name="packedStart"/>… of <paramref name="packed"/> (two to a float32), split over threads.
    /// </summary>
    public static void Narrow(float[] source, float[] packed, int packedStart, int count)
    {
        var job = new NarrowJob(source, packed, packedStart);
        ParallelRange.For(count, Grain, ref job);
    }

    /// <summary>
    /// Widens bfloat16 slots <paramref name="packedStart"/>… of <paramref name="packed"/> into
    /// <paramref name="destination"/>, split over threads.
    /// </summary>
    public static void Widen(float[] packed, int packedStart, float[] destination, int count)
    {
        var job = new WidenJob(packed, packedStart, destination);
        ParallelRange.For(count, Grain, ref job);
    }

    /// <summary>
    /// Writes <paramref name="count"/> values of <paramref name="source"/> from <paramref name="sourceOffset"/> on, rounded to
    /// bfloat16 (still float32), into <paramref name="destination"/>: one pass over memory, split over threads.
    /// </summary>
    public static void Round(float[] source, int sourceOffset, float[] destination, int count)
    {
        var job = new RoundJob(source, sourceOffset, destination);
        ParallelRange.For(count, Grain, ref job);
    }

    // Conversions stream memory: below this many values a second thread costs more than it saves.
    private const int Grain = 1 << 15;

    private static Span<ushort> Slots(float[] packed, int start, int count) =>
        MemoryMarshal.Cast<float, ushort>(packed.AsSpan()).Slice(start, count);

    private readonly struct NarrowJob(float[] source, float[] packed, int packedStart) : IRangeJob
    {
        public void Run(int start, int end) =>
            Narrow(source.AsSpan(start, end - start), Slots(packed, packedStart + start, end - start));
    }

    private readonly struct WidenJob(float[] packed, int packedStart, float[] destination) : IRangeJob
    {
        public void Run(int start, int end) =>
            Widen(Slots(packed, packedStart + start, end - start), destination.AsSpan(start, end - start));
    }

    private readonly struct RoundJob(float[] source, int offset, float[] destination) : IRangeJob
    {
        public void Run(int start, int end) =>
            Round(source.AsSpan(offset + start, end - start), destination.AsSpan(start, end - start));
    }

    /// <summary>
    /// Writes every value of <paramref name="source"/> rounded to bfloat16 (still float32) into <paramref name="destination"/>,
    /// which may be the same memory (rounding in place).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Round(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("BFloat16.Round: the destination is too short");
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= source.Length; i += 16)   // the bfloat16 bits shifted back up: the float32 of the rounded value
                Vector512.ShiftLeft(NarrowBits(Vector512.Create(source.Slice(i, 16)).AsUInt32()), 16).AsSingle()
                    .CopyTo(destination.Slice(i, 16));
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= source.Length; i += 8)
                Vector256.ShiftLeft(NarrowBits(Vector256.Create(source.Slice(i, 8)).AsUInt32()), 16).AsSingle()
                    .CopyTo(destination.Slice(i, 8));
        }
        for (; i < source.Length; i++) destination[i] = ToFloat(FromFloat(source[i]));
    }

    // The bfloat16 bits of each lane in its low half: the NaN lanes quieted, the rest rounded to nearest even.
    private static Vector512<uint> NarrowBits(Vector512<uint> bits)
    {
        var rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) >> 16;
        var nan = Vector512.GreaterThan(bits & Vector512.Create(0x7FFF_FFFFu), Vector512.Create(0x7F80_0000u));
        return Vector512.ConditionalSelect(nan, (bits >> 16) | Vector512.Create(QuietBit), rounded);
    }

    private static Vector256<uint> NarrowBits(Vector256<uint> bits)
    {
        var rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) >> 16;
        var nan = Vector256.GreaterThan(bits & Vector256.Create(0x7FFF_FFFFu), Vector256.Create(0x7F80_0000u));
        return Vector256.ConditionalSelect(nan, (bits >> 16) | Vector256.Create(QuietBit), rounded);
    }
}
