namespace Sharpformer.Autograd;

/// <summary>Whether ops record the graph. Turn recording off for inference and inside backward passes.</summary>
public static class GradMode
{
    [ThreadStatic] private static int _disabledDepth;

    /// <summary>True unless inside a <see cref="NoGrad"/> scope on this thread.</summary>
    public static bool IsEnabled => _disabledDepth == 0;

    /// <summary>Stops recording until the returned scope is disposed: <c>using (GradMode.NoGrad()) { … }</c>.</summary>
    public static NoGradScope NoGrad()
    {
        _disabledDepth++;
        return new NoGradScope();
    }

    /// <summary>Ends a <see cref="NoGrad"/> scope.</summary>
    public readonly struct NoGradScope : IDisposable
    {
        /// <summary>Restores recording (scopes nest).</summary>
        public void Dispose() => _disabledDepth--;
    }
}
