using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sharpformer.Kernels;

/// <summary>
/// The in-memory layout of an int8 weight matrix [rows, columns]: panels of 16 rows (the last padded with zero
/// rows); in a panel, per group of 4 columns (the last padded with zeros), 64 bytes hold the 4 values of each
/// of the 16 rows side by side, row after row. Value (r, c) lies at
/// ((r / 16 · G + c / 4) · 16 + r % 16) · 4 + c % 4 with G = ⌈columns / 4⌉. One 64-byte load is then what
/// VPDPBUSD multiplies by four broadcast activation bytes to add into 16 row sums, with no horizontal adds.
/// </summary>
internal static unsafe class Int8Panels
{
    /// <summary>Rows per panel: the 16 int32 lanes of a 512-bit register.</summary>
    public const int Rows = 16;

    /// <summary>Columns per group: the 4 bytes a VPDPBUSD lane multiplies and adds.</summary>
    public const int Group = 4;

    /// <summary>Panels holding <paramref name="rows"/> rows.</summary>
    public static int Count(int rows) => (rows + Rows - 1) / Rows;

    /// <summary>Groups of 4 columns holding <paramref name="columns"/> columns.</summary>
    public static int Groups(int columns) => (columns + Group - 1) / Group;

    /// <summary>Bytes of one panel.</summary>
    public static long PanelBytes(int columns) => (long)Groups(columns) * Rows * Group;

    /// <summary>Row-major values [rows, columns] in the panel layout, in a new pinned array.</summary>
    public static sbyte[] Pack(ReadOnlySpan<sbyte> values, int rows, int columns)
    {
        long panelBytes = PanelBytes(columns);
        var packed = GC.AllocateArray<sbyte>((int)(Count(rows) * panelBytes), pinned: true);
        for (int r = 0; r < rows; r++)
        {
            long panel = r / Rows * panelBytes, lane = r % Rows * Group;
            var row = values.Slice(r * columns, columns);
            for (int c = 0; c < columns; c++) packed[panel + c / Group * Rows * Group + lane + c % Group] = row[c];
        }
        return packed;
    }

    /// <summary>Row <paramref name="row"/> of a packed matrix into <paramref name="destination"/>: [columns].</summary>
    public static void ReadRow(sbyte[] packed, int columns, int row, Span<sbyte> destination)
    {
        long panel = row / Rows * PanelBytes(columns), lane = row % Rows * Group;
        for (int c = 0; c < columns; c++) destination[c] = packed[panel + c / Group * Rows * Group + lane + c % Group];
    }

    /// <summary>
    /// Panels [p0, p0 + count) as float32, scale·q, transposed: dst[c, 16·i + l] for row 16·(p0 + i) + l, at row
    /// stride <paramref name="ldd"/> (so that a block of panels is the B operand [columns, 16·count] of a product).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DequantizeTransposed(sbyte* packed, float* scales, int columns, int p0, int count, float* dst, int ldd)
    {
        int groups = Groups(columns);
        for (int i = 0; i < count; i++)
        {
            sbyte* panel = packed + (p0 + i) * PanelBytes(columns);
            float* s = scales + (p0 + i) * Rows;
            float* d = dst + i * Rows;
            if (Avx512F.IsSupported)
            {
                var scale = Vector512.Load(s);
                for (int g = 0; g < groups; g++)
                {
                    var lanes = Vector512.Load((int*)(panel + g * Rows * Group));     // 16 rows × 4 bytes
                    for (int t = 0; t < Group && Group * g + t < columns; t++)
                    {
                        Vector512.Store(Avx512F.ConvertToVector512Single(Byte(lanes, t)) * scale, d + (Group * g + t) * (nint)ldd);
                    }
                }
                continue;
            }
            for (int c = 0; c < columns; c++)
                for (int l = 0; l < Rows; l++)
                    d[c * (nint)ldd + l] = s[l] * panel[(c / Group * Rows + l) * Group + c % Group];
        }
    }

    // Byte t of each int32 lane, sign-extended.
    private static Vector512<int> Byte(Vector512<int> lanes, int t) => t switch
    {
        0 => Avx512F.ShiftRightArithmetic(Avx512F.ShiftLeftLogical(lanes, 24), 24),
        1 => Avx512F.ShiftRightArithmetic(Avx512F.ShiftLeftLogical(lanes, 16), 24),
        2 => Avx512F.ShiftRightArithmetic(Avx512F.ShiftLeftLogical(lanes, 8), 24),
        _ => Avx512F.ShiftRightArithmetic(lanes, 24),
    };
}
