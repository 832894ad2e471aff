namespace Sharpformer.Generation;

/// <summary>
/// A prompt's continuation: the prompt and its token count, the new text and its token ids, their summed
/// log-probability, and whether the model ended it (false: the token limit or the model's length stopped it).
/// </summary>
public sealed record GenerationResult(string Prompt, int PromptTokens, string Text, int[] Tokens, float Score, bool Ended);
