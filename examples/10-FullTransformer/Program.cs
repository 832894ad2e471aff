// Week 10 mini project: the complete Transformer and its parameter count.
// Builds the reference configurations, prints parameters per module beside the count of the same model built from
// torch.nn.Transformer, its embedding table and output layer, and runs a forward pass on dummy data.
using Sharpformer.NN;
using Sharpformer.Tensors;

foreach (var (name, config) in new[] { ("small", TransformerConfig.Small()), ("big", TransformerConfig.Big()) })
{
    var model = new Transformer(config, new Rng(10));
    Console.WriteLine($"{name}: d_model {config.DModel}, {config.Heads} heads, d_ff {config.DimFeedForward}, " +
                      $"{config.EncoderLayers}+{config.DecoderLayers} layers, vocabulary {config.SourceVocab}");
    foreach (var (childName, child) in model.Children())
    {
        long count = child.ParameterCount();
        if (count > 0) Console.WriteLine($"  {childName,-12} {count,10:N0}");
    }
    long theirs = (long)Libtorch.Values($"10.parameters.{name}")[0];
    Console.WriteLine($"  {"total",-12} {model.ParameterCount(),10:N0}   (shared tensors counted once; libtorch: {theirs:N0})");
    if (theirs != model.ParameterCount()) throw new InvalidOperationException($"{name}: libtorch counts {theirs:N0}");
}

var small = new Transformer(TransformerConfig.Small(), new Rng(10));
small.Eval();
var src = Tensor.FromArray([5, 17, 42, 8, 3, 0], 2, 3);                    // [B=2, S=3], id 0 is padding
var tgt = Tensor.FromArray([1, 9, 1, 30], 2, 2);                            // [B=2, T=2]
var logits = small.Forward(src, tgt);
Console.WriteLine($"\nforward on dummy data: src {Shapes.Format(src.Shape)}, tgt {Shapes.Format(tgt.Shape)} → " +
                  $"logits {Shapes.Format(logits.Shape)}");
var probabilities = logits.Softmax(-1);
Console.WriteLine($"next-token distribution sums to {probabilities.Narrow(0, 0, 1).Narrow(1, 1, 1).Sum().Item():F4}; " +
                  $"most likely id {logits.ArgMax(-1)[0, 1]}");
