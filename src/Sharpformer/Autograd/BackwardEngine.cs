using Sharpformer.Tensors;

namespace Sharpformer.Autograd;

/// <summary>Reverse-mode differentiation: walks the recorded graph from an output back to its leaves.</summary>
internal static class BackwardEngine
{
    public static void Run(Tensor root, Tensor? gradient)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException("Backward: the tensor does not require grad (no input that requires grad was used to make it)");
        if (gradient is null)
        {
            if (root.Length != 1)
                throw new InvalidOperationException($"Backward: a gradient must be given for a non-scalar output of shape {Shapes.Format(root.Shape)}");
            gradient = Tensor.OnesLike(root);
        }
        else if (!gradient.Shape.SequenceEqual(root.Shape))
        {
            throw new ShapeMismatchException($"Backward: gradient shape {Shapes.Format(gradient.Shape)} does not match output shape {Shapes.Format(root.Shape)}");
        }

        using var _ = GradMode.NoGrad();
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = gradient };
        var order = TopologicalOrder(root);
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (!grads.Remove(t, out var g)) continue;
            if (t.GradFn is null)
            {
                t.AccumulateGrad(g);
                continue;
            }
            long start = OpProfiler.Enabled ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
            var inputGrads = t.GradFn.Backward(g);
            var inputs = t.GradFn.Inputs;
            if (OpProfiler.Enabled) OpProfiler.Backward(t.GradFn.Name, start);
            for (int k = 0; k < inputs.Count; k++)
            {
                var input = inputs[k];
                var ig = inputGrads[k];
                if (!input.RequiresGrad || ig is null) continue;
                if (!ig.Shape.SequenceEqual(input.Shape))
                    throw new InvalidOperationException($"Backward of {t.GradFn.Name}: gradient of input {k} has shape {Shapes.Format(ig.Shape)}, expected {Shapes.Format(input.Shape)}");
                grads[input] = grads.TryGetValue(input, out var acc) ? acc.Add(ig) : ig;
            }
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
