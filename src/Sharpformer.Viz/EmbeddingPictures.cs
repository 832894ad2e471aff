using System.Globalization;
using ScottPlot;
using Sharpformer.NN;
using Sharpformer.Text;

namespace Sharpformer.Viz;

/// <summary>A 2-D PCA map of token embeddings, each point labelled with its token.</summary>
public static class EmbeddingPictures
{
    /// <summary>How many tokens <see cref="Write"/> shows unless told.</summary>
    public const int DefaultTokens = 100;

    /// <summary>
    /// Projects the target (decoder) embedding rows of up to <paramref name="tokens"/> tokens onto their
    /// top two principal components and writes the labelled scatter plot. Tokens are taken in id order,
    /// skipping padding, tokens whose text is not whole characters (a lone byte of a byte-level BPE) and
    /// control characters other than line breaks and tabs.
    /// Points are coloured by kind: special token, letters, digits, punctuation and other.
    /// </summary>
    public static void Write(SequenceModel model, ITokenizer tokenizer, string path, int tokens = DefaultTokens)
    {
        if (tokens < 2) throw new ArgumentException($"the embedding map needs at least 2 tokens, not {tokens}");
        var targetTable = model is Transformer translation ? translation.TargetEmbedding : ((LanguageModel)model).Embedding;
        // [vocabulary, d_model]; an int8 table's rows dequantized
        var embedding = targetTable.Int8Weight?.Dequantize() ?? targetTable.Weight;
        int vocabulary = embedding.Size(0), dim = embedding.Size(1);
        var chosen = new List<(int Id, string Label)>();
        for (int id = 0; id < vocabulary && chosen.Count < tokens; id++)
        {
            if (id == model.Config.PadId) continue;
            string text = tokenizer.Decode([id]);
            if (text.Contains('\uFFFD') || text.Any(c => char.IsControl(c) && c is not '\n' and not '\t')) continue;
            chosen.Add((id, TokenLabels.Visible(text)));
        }
        if (chosen.Count < 2) throw new ArgumentException("the vocabulary has fewer than 2 tokens to show");

        var weights = embedding.ToArray();
        var rows = new double[chosen.Count, dim];
        for (int r = 0; r < chosen.Count; r++)
            for (int j = 0; j < dim; j++) rows[r, j] = weights[chosen[r].Id * dim + j];
        var pca = Pca.Fit(rows, 2);

        var plot = new Plot();
        EmbeddedFonts.Apply(plot);
        var special = tokenizer.SpecialTokens;
        foreach (var group in chosen.Select((t, r) => (t.Id, t.Label, Row: r)).GroupBy(t => Kind(special, t.Id, t.Label))
            .OrderBy(g => g.Key))
        {
            var color = KindColor(group.Key);
            var points = plot.Add.ScatterPoints(group.Select(t => pca.Projection[t.Row, 0]).ToArray(),
                group.Select(t => pca.Projection[t.Row, 1]).ToArray(), color);
            points.MarkerSize = 7;
            points.LegendText = KindName(group.Key);
            foreach (var t in group)
            {
                var text = plot.Add.Text(t.Label, pca.Projection[t.Row, 0], pca.Projection[t.Row, 1]);
                text.LabelFontSize = 12;
                text.LabelFontName = EmbeddedFonts.Family;
                text.LabelFontColor = color.Darken(0.3);
                text.LabelAlignment = Alignment.LowerLeft;
                text.OffsetX = 4;
                text.OffsetY = -3;
            }
        }
        plot.XLabel(string.Create(CultureInfo.InvariantCulture, $"PC1 ({pca.ExplainedRatios[0]:P1} of variance)"), 14);
        plot.YLabel(string.Create(CultureInfo.InvariantCulture, $"PC2 ({pca.ExplainedRatios[1]:P1} of variance)"), 14);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
        plot.Axes.Margins(left: 0.04, right: 0.14, bottom: 0.04, top: 0.08);   // room for labels, which sit right of their points
        plot.ShowLegend(Edge.Right);                                      // outside the data: it would hide points
        string table = model is Transformer { Config.ShareEmbeddings: false } ? "target embedding table" : "embedding table";
        Figure.Save(path, [plot], 1, 1000, 800, "Token embeddings: 2-D PCA",
                    string.Create(CultureInfo.InvariantCulture, $"{chosen.Count} of {vocabulary} tokens of the {table}, d_model {dim}"));
    }

    private enum TokenKind { Special, Letters, Digits, Punctuation, Other }

    private static TokenKind Kind(SpecialTokenSet special, int id, string label)
    {
        if (special.TryGetText(id, out _)) return TokenKind.Special;
        string core = label.Replace("␣", "", StringComparison.Ordinal);
        if (core.Length == 0) return TokenKind.Other;
        if (core.All(char.IsLetter)) return TokenKind.Letters;
        if (core.All(char.IsDigit)) return TokenKind.Digits;
        if (core.All(c => char.IsPunctuation(c) || char.IsSymbol(c))) return TokenKind.Punctuation;
        return TokenKind.Other;
    }

    private static string KindName(TokenKind kind) => kind switch
    {
        TokenKind.Special => "special",
        TokenKind.Letters => "letters",
        TokenKind.Digits => "digits",
        TokenKind.Punctuation => "punctuation",
        _ => "other",
    };

    private static Color KindColor(TokenKind kind) => kind switch
    {
        TokenKind.Special => Colors.Crimson,
        TokenKind.Letters => Colors.C0,
        TokenKind.Digits => Colors.DarkOrange,
        TokenKind.Punctuation => Colors.ForestGreen,
        _ => Colors.Gray,
    };
}
