namespace Sharpformer.Viz.Course;

/// <summary>Chapter 19: what <c>sharpformer export onnx</c> writes from a model directory, and who reads each file.</summary>
internal static class DeploymentPictures
{
    /// <summary>Writes the model directory, the exported files and their readers as three columns of boxes.</summary>
    public static void Write(string path)
    {
        using var diagram = new Diagram(1240, 700, "From a model directory to the tools people deploy with",
            "sharpformer export onnx --model runs/en-es --out deploy/en-es: graphs for ONNX Runtime, " +
            "the tokenizer in Hugging Face's schema");
        const float left = 170, middle = 600, right = 1040;
        diagram.Box(left, 330, 260, 150, Diagram.Input, "model directory", "config.json", "model.safetensors", "tokenizer.json",
            "(trained by sharpformer train)");
        diagram.Text(left, 440, "safetensors: PyTorch's", 14);
        diagram.Text(left, 460, "safetensors.torch reads it too", 14);

        (float Y, string[] Lines)[] exported =
        [
            (130, ["encoder.onnx", "source ids → memory"]),
            (230, ["decoder.onnx", "memory, prefix → next logits"]),
            (330, ["decoder_with_past.onnx", "one new token + the key/value cache"]),
            (440, ["tokenizer.json, tokenizer_config.json", "byte-level BPE in Hugging Face's schema"]),
            (540, ["config.json", "pad/bos/eos ids, Hugging Face's field names too"]),
        ];
        foreach (var (y, lines) in exported)
        {
            diagram.Box(middle, y, 380, 64, y < 400 ? Diagram.Attention : Diagram.Operation, lines);
            diagram.Arrow(left + 132, 330, middle - 192, y);
        }

        diagram.Box(right, 230, 300, 110, Diagram.Norm, "ONNX Runtime", "C#: Microsoft.ML.OnnxRuntime", "Python: onnxruntime",
            "JavaScript, mobile, other engines");
        diagram.Box(right, 470, 300, 90, Diagram.Norm, "Hugging Face tokenizers", "Tokenizer.from_file(...)", "same ids as Sharpformer");
        foreach (float y in new float[] { 130, 230, 330 }) diagram.Arrow(middle + 192, y, right - 152, 230);
        diagram.Arrow(middle + 192, 440, right - 152, 470);
        diagram.Arrow(middle + 192, 540, right - 152, 250);

        diagram.Text(620, 640, "And back: sharpformer train --tokenizer gpt2/tokenizer.json trains with a Hugging Face tokenizer, " +
            "its ids kept.", 15);
        diagram.Text(620, 665, "The greedy search over the graphs agrees with Translator on every test line (example 19).", 15);
        diagram.Save(path);
    }
}
