using System.CommandLine;
using System.Globalization;
using Sharpformer.Server;

namespace Sharpformer.Cli.Commands;

/// <summary><c>sharpformer serve</c>: puts models behind an HTTP API until Ctrl-C, which lets requests in flight finish.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var defaults = new ServerOptions();
        var models = new Option<string[]>("--model")
        {
            HelpName = "DIR",
            Description = "Model directory to serve, named after its folder, or NAME=DIR; repeat for several.",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var host = new Option<string>("--host")
        {
            HelpName = "ADDRESS",
            Description = "Address to listen on: 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).",
            DefaultValueFactory = _ => defaults.Host,
        };
        var port = CliOptions.Int("--port", "TCP port (0: any free one, printed at start).", defaults.Port, minimum: 0);
        var maxBatch = CliOptions.Int("--max-batch", "Most lines decoded together, from all requests.", defaults.MaxBatch);
        var batchWait = CliOptions.Float("--batch-wait", "Most milliseconds a batch waits for requests still arriving.",
                                         (float)defaults.BatchWaitMilliseconds, 0f, 1000f);
        var maxTexts = CliOptions.Int("--max-texts", "Most texts in one request (more: 413).", defaults.MaxTexts);
        var maxChars = CliOptions.Int("--max-chars", "Most characters in one text or prompt (more: 413).", defaults.MaxTextCharacters);
        var maxBody = CliOptions.Int("--max-body-kb", "Most KiB in a request body (more: 413).", defaults.MaxBodyBytes / 1024,
                                     maximum: int.MaxValue / 1024);
        var maxQueue = CliOptions.Int("--max-queue", "Most lines waiting for a model (more: 503 overloaded, unless none wait).",
                                      defaults.MaxQueuedLines);
        var threads = CliOptions.Threads();
        var command = new Command("serve",
            "Serve models over HTTP: POST /v1/translate, POST /v1/generate, GET /v1/health, /v1/models, /v1/model, /openapi.json.")
        {
            models, host, port, maxBatch, batchWait, maxQueue, maxTexts, maxChars, maxBody, threads
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            Kernels.Parallelism.Threads = result.GetValue(threads);
            var options = new ServerOptions
            {
                Host = result.GetValue(host)!,
                Port = result.GetValue(port),
                MaxBatch = result.GetValue(maxBatch),
                BatchWaitMilliseconds = result.GetValue(batchWait),
                MaxQueuedLines = result.GetValue(maxQueue),
                MaxTexts = result.GetValue(maxTexts),
                MaxTextCharacters = result.GetValue(maxChars),
                MaxBodyBytes = result.GetValue(maxBody) * 1024,
            };
            options.Validate();
            var served = result.GetValue(models)!.Select(ServedModel.Open).ToList();
            return Serve(served, options).GetAwaiter().GetResult();
        }));
        return command;
    }

    private static async Task<int> Serve(IReadOnlyList<ServedModel> models, ServerOptions options)
    {
        static void Log(string line) => Console.Error.WriteLine($"sharpformer serve: {line}");
        await using var server = await TranslationServer.StartAsync(models, options, Log);
        foreach (var model in models)
        {
            string endpoint = model.Translator is not null ? "POST /v1/translate" : "POST /v1/generate";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"serving '{model.Name}' ({model.Kind}, {
                model.Parameters:N0} parameters, {model.Files.Tokenizer.Type} tokenizer) at {endpoint}"));
        }
        Console.WriteLine($"listening on {server.Url} (max batch {options.MaxBatch}, {Kernels.Parallelism.Threads} threads); Ctrl-C stops");
        await server.WaitForShutdownAsync();
        Log("stopped");
        return 0;
    }
}
