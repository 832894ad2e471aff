// Encodes text with a tokenizer.json in Hugging Face's schema through one of their own libraries, so that the
// tests can compare the ids with Sharpformer's (tests/Sharpformer.Tests/Text/HuggingFaceClientTests.cs).
//
//   node encode.mjs CLIENT DIR INPUT OUTPUT
//
// CLIENT: "tokenizers" (the Rust library behind Python's `tokenizers`, through its Node binding) or
// "@huggingface/tokenizers" (the JavaScript port that transformers.js uses). DIR holds tokenizer.json and
// tokenizer_config.json. INPUT has one JSON string per line; OUTPUT gets one line per input:
// {"ids": [...], "text": "..."}, the ids and their decoding with special tokens kept.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [client, dir, input, output] = process.argv.slice(2);
if (!output) {
  console.error("usage: node encode.mjs tokenizers|@huggingface/tokenizers DIR INPUT OUTPUT");
  process.exit(2);
}
const texts = readFileSync(input, "utf8").split("\n").filter((line) => line.length > 0).map((line) => JSON.parse(line));
const tokenizerPath = join(dir, "tokenizer.json");

async function encodeWithRust() {
  const { Tokenizer } = await import("tokenizers");
  const tokenizer = Tokenizer.fromFile(tokenizerPath);
  const results = [];
  const chunk = 4096;
  for (let start = 0; start < texts.length; start += chunk) {
    const encodings = await tokenizer.encodeBatch(texts.slice(start, start + chunk), { addSpecialTokens: false });
    const ids = encodings.map((encoding) => Array.from(encoding.getIds()));
    const decoded = await tokenizer.decodeBatch(ids, false);
    ids.forEach((row, i) => results.push({ ids: row, text: decoded[i] }));
  }
  return results;
}

async function encodeWithJavaScript() {
  const { Tokenizer } = await import("@huggingface/tokenizers");
  const tokenizerJson = JSON.parse(readFileSync(tokenizerPath, "utf8"));
  const tokenizerConfig = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8"));
  const tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
  return texts.map((text) => {
    const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
    // This library refuses to decode an empty list.
    return { ids, text: ids.length === 0 ? "" : tokenizer.decode(ids, { skip_special_tokens: false }) };
  });
}

const encoders = { tokenizers: encodeWithRust, "@huggingface/tokenizers": encodeWithJavaScript };
if (!(client in encoders)) {
  console.error(`unknown client "${client}"; expected ${Object.keys(encoders).join(" or ")}`);
  process.exit(2);
}
const results = await encoders[client]();
writeFileSync(output, results.map((result) => JSON.stringify(result)).join("\n") + "\n");
