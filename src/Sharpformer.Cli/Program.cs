using System.CommandLine;

var root = new RootCommand("Sharpformer: the Transformer of \"Attention Is All You Need\", from scratch in C#.");
return root.Parse(args).Invoke();
