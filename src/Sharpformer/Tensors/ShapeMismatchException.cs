namespace Sharpformer.Tensors;

/// <summary>Thrown when an op receives shapes it cannot work with; the message names the op and the shapes.</summary>
public sealed class ShapeMismatchException(string message) : ArgumentException(message);
