using Sharpformer.Tensors;

namespace Sharpformer.Autograd;

/// <summary>
/// One recorded op in the define-by-run graph: the tensors it read, and how to turn the gradient of
/// its output into gradients of those inputs (the op's backward, written next to its forward).
/// </summary>
public sealed class Node
{
    private readonly Func<Tensor, Tensor?[]> _backward;

    internal Node(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        Name = name;
        Inputs = inputs;
        _backward = backward;
    }

    /// <summary>The op's name, e.g. "MatMul".</summary>
    public string Name { get; }

    /// <summary>The op's inputs, in the order its backward returns their gradients.</summary>
    public IReadOnlyList<Tensor> Inputs { get; }

    /// <summary>Gradients of the inputs given the gradient of the output; null where an input needs none.</summary>
    internal Tensor?[] Backward(Tensor gradOutput) => _backward(gradOutput);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
