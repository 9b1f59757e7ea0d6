#!/usr/bin/env python3
"""Writes the small tokenizer.json files the tokenizer and dataset tests load: a GPT-2
style byte-level BPE and a BERT-style WordPiece, each with a vocabulary of
a few hundred tokens. Run from this directory; the output is deterministic."""
import json

WORDS = """the of and to in is was for on are as with his they at be this from have or by one had not but
what all were when we there can an your which their said if do will each about how up out them then she many
some so these would other into has more her two like him see time could no make than first been its who now
people my made over did down only way find use may water long little very after words called just where most
know get through back much before go good new write our used me man too any day same right look think""".split()

def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for _, c in sorted(zip(bs, cs))]

def bpe():
    alphabet = bytes_to_unicode()
    vocab = {"<|endoftext|>": 0}
    for ch in alphabet:
        vocab.setdefault(ch, len(vocab))
    merges = []
    for w in WORDS:
        for word in ("Ġ" + w, w):
            cur = word[0]
            for ch in word[1:]:
                nxt = cur + ch
                if nxt not in vocab:
                    vocab[nxt] = len(vocab)
                    merges.append(cur + " " + ch)
                cur = nxt
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": 0, "content": "<|endoftext|>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "vocab": vocab, "merges": merges},
    }

def wordpiece():
    vocab = {}
    for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]:
        vocab[t] = len(vocab)
    for ch in "abcdefghijklmnopqrstuvwxyz0123456789.,!?'-:;()":
        vocab.setdefault(ch, len(vocab))
        vocab.setdefault("##" + ch, len(vocab))
    for w in WORDS:
        vocab.setdefault(w, len(vocab))
        vocab.setdefault("##" + w, len(vocab))
    special = [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
               for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": special,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": None,
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": vocab},
    }

for name, tok in (("bpe.json", bpe()), ("wordpiece.json", wordpiece())):
    with open(name, "w") as f:
        json.dump(tok, f, ensure_ascii=False, indent=1)
        f.write("\n")
