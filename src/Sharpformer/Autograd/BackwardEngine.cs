using Sharpformer.Tensors;

namespace Sharpformer.Autograd;

/// <summary>Reverse-mode differentiation: walks the recorded graph from an output back to its leaves.</summary>
internal static class BackwardEngine
{
    public static void Run(Tensor root, Tensor? gradient)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException(
                "Backward: the tensor does not require grad (no input that requires grad was used to make it)");
        if (gradient is null)
        {
            if (root.Length != 1)
                throw new InvalidOperationException(
                    $"Backward: a gradient must be given for a non-scalar output of shape {Shapes.Format(root.Shape)}");
            gradient = Tensor.OnesLike(root);
        }
        else if (!gradient.Shape.SequenceEqual(root.Shape))
        {
            throw new ShapeMismatchException(
                $"Backward: gradient shape {Shapes.Format(gradient.Shape)} does not match output shape {Shapes.Format(root.Shape)}");
        }

        using var _ = GradMode.NoGrad();
        bool early = TensorArena.BeginBackward();
        try
        {
            Propagate(root, gradient, new PendingBuffers(early));
        }
        finally
        {
            if (early) TensorArena.EndBackward();
        }
    }

    private static void Propagate(Tensor root, Tensor gradient, PendingBuffers pending)
    {
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = gradient };
        pending.Hold(gradient);
        var order = TopologicalOrder(root);
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (!grads.Remove(t, out var g)) continue;
            if (t.GradFn is null)
            {
                t.AccumulateGrad(g);
                pending.Drop(g);
                continue;
            }
            var start = OpProfiler.Enabled ? OpProfiler.Now() : default;
            TensorArena.BeginNode();
            var inputGrads = t.GradFn.Backward(g);
            TensorArena.EndNode(g, inputGrads);
            var inputs = t.GradFn.Inputs;
            if (OpProfiler.Enabled) OpProfiler.Backward(t.GradFn.Name, start);
            for (int k = 0; k < inputs.Count; k++)
            {
                var input = inputs[k];
                var ig = inputGrads[k];
                if (ig is null) continue;
                pending.Hold(ig);
                if (input.RequiresGrad)
                {
                    if (!ig.Shape.SequenceEqual(input.Shape))
                        throw new InvalidOperationException(
                            $"Backward of {t.GradFn.Name}: gradient of input {k} has shape {Shapes.Format(ig.Shape)}, " +
                            $"expected {Shapes.Format(input.Shape)}");
                    if (grads.TryGetValue(input, out var acc))
                    {
                        var sum = acc.Add(ig);
                        pending.Hold(sum);
                        pending.Drop(acc);
                        pending.Drop(ig);
                        grads[input] = sum;
                    }
                    else
                    {
                        grads[input] = ig;
                    }
                }
                else
                {
                    pending.Drop(ig);
                }
            }
            pending.Drop(g);
        }
    }

    /// <summary>
    /// How many pending gradients read each storage buffer (views share one). When none does, the buffer
    /// goes back to the active <see cref="TensorArena"/> at once, so a backward pass needs memory for its
    /// frontier of gradients rather than for all of them. A gradient whose values wait packed (bf16) has no
    /// float32 buffer to give back, and is not counted: looking would widen it.
    /// </summary>
    private sealed class PendingBuffers(bool enabled)
    {
        private readonly Dictionary<float[], int> _counts = new(ReferenceEqualityComparer.Instance);

        public void Hold(Tensor t)
        {
            if (enabled && t.SharedStorage.DataIfPresent is { } buffer) _counts[buffer] = _counts.GetValueOrDefault(buffer) + 1;
        }

        public void Drop(Tensor t)
        {
            if (!enabled || t.SharedStorage.DataIfPresent is not { } buffer || !_counts.TryGetValue(buffer, out int held)) return;
            if (held > 1)
            {
                _counts[buffer] = held - 1;
                return;
            }
            _counts.Remove(buffer);
            TensorArena.ReturnEarly(buffer);
        }
    }

    /// <summary>Tensors reachable from <paramref name="root"/> through recorded ops, each after all its inputs.</summary>
    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor Tensor, int NextInput)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn?.Inputs;
            if (inputs is not null && next < inputs.Count)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child.RequiresGrad && visited.Add(child)) stack.Push((child, 0));
            }
            else
            {
                order.Add(t);
            }
        }
        return order;
    }
}
