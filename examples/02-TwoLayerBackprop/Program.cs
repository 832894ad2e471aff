// Week 2 mini project: a two-layer network, h = tanh(x·W1 + b1), ŷ = h·W2 + b2, trained by gradient
// descent on mean squared error to fit y = tanh(2x₀) + x₁². Each step computes the gradients twice —
// by hand-written backprop (the chain rule, layer by layer) and by autograd — and shows they agree.
using Sharpformer.Autograd;
using Sharpformer.Tensors;

var rng = new Rng(seed: 7);
const int n = 64, inputs = 2, hidden = 16;
const float learningRate = 0.1f;

var x = Tensor.Uniform([n, inputs], rng, -1.5f, 1.5f);                      // x: [N, 2]
var target = (x.Slice(1, 0, 1) * 2f).Tanh() + x.Slice(1, 1, 2).Pow(2f);        // y: [N, 1]

var w1 = Tensor.Normal([inputs, hidden], rng, std: 0.5f).RequireGrad();   // W1: [2, H]
var b1 = Tensor.Zeros(hidden).RequireGrad();                                // b1: [H]
var w2 = Tensor.Normal([hidden, 1], rng, std: 0.5f).RequireGrad();        // W2: [H, 1]
var b2 = Tensor.Zeros(1).RequireGrad();                                     // b2: [1]
Tensor[] parameters = [w1, b1, w2, b2];

for (int step = 0; step <= 300; step++)
{
    // Forward, recorded by autograd.
    var h = (x.MatMul(w1) + b1).Tanh();                                      // h: [N, H]
    var prediction = h.MatMul(w2) + b2;                                      // ŷ: [N, 1]
    var error = prediction - target;
    var loss = (error * error).Mean();

    // Backward by hand: L = mean(e²) ⇒ dL/dŷ = 2e/N, then the chain rule through each layer.
    Tensor[] manual;
    using (GradMode.NoGrad())
    {
        var dPrediction = error * (2f / n);                                  // [N, 1]
        var dW2 = h.Transpose(0, 1).MatMul(dPrediction);                     // [H, 1]
        var dB2 = dPrediction.Sum(0);                                        // [1]
        var dH = dPrediction.MatMul(w2.Transpose(0, 1));                     // [N, H]
        var dPre = dH * (1f - h * h);                                        // tanh' = 1 − tanh²
        var dW1 = x.Transpose(0, 1).MatMul(dPre);                            // [2, H]
        var dB1 = dPre.Sum(0);                                               // [H]
        manual = [dW1, dB1, dW2, dB2];
    }

    // Backward by autograd.
    foreach (var p in parameters) p.ZeroGrad();
    loss.Backward();

    float largestDifference = 0;
    for (int i = 0; i < parameters.Length; i++)
    {
        var auto = parameters[i].Grad!.ToArray();
        var hand = manual[i].ToArray();
        for (int j = 0; j < auto.Length; j++) largestDifference = MathF.Max(largestDifference, MathF.Abs(auto[j] - hand[j]));
    }
    if (largestDifference > 1e-5f)
        throw new InvalidOperationException($"step {step}: manual and autograd gradients differ by {largestDifference}");
    if (step % 50 == 0)
    {
        // libtorch ran the same 300 steps from the same weights, with its own autograd (in float64).
        double theirs = Libtorch.Values("02.loss")[step / 50];
        Console.WriteLine($"step {step,3}  loss {loss.Item():F5}  max |manual − autograd| = {largestDifference:E2}  " +
                          $"libtorch's loss {theirs:F5}");
        if (Math.Abs(loss.Item() - theirs) > 1e-4 * Math.Max(1, theirs))
            throw new InvalidOperationException($"step {step}: the loss {loss.Item()} is not libtorch's {theirs}");
    }

    // Plain gradient descent: p ← p − lr·∂L/∂p, in place.
    using (GradMode.NoGrad())
        for (int i = 0; i < parameters.Length; i++) parameters[i].AddInPlace(manual[i], -learningRate);
}

