"""Readers' names for layers: every layer name the project's builders use has one."""

from __future__ import annotations

import re
from pathlib import Path

from core.engine.names import reader_name

ROOT = Path(__file__).resolve().parents[3]


def test_reader_names():
    assert reader_name("rnn_1") == "Recurrent layer 1"
    assert reader_name("decoder_2") == "Decoder layer 2"
    assert reader_name("attention_combine") == "Attention + decoder (combine)"
    assert reader_name("embedding") == "Embedding (word vectors)"
    assert reader_name("mystery_layer") == "mystery_layer"  # unknown names are shown, never hidden


def test_every_layer_name_a_builder_writes_has_a_readers_name():
    names = set()
    for path in ROOT.glob("core/**/*.py"):
        if path.parent.name == "codegen":
            continue  # program text for students to take home (Program(name=...) names a file), no app layers
        text = path.read_text()
        if "layers." not in text and "rnn_layer(" not in text:
            continue
        names |= set(re.findall(r'layers\.\w+\([^)]*name="([a-z_]+)"', text))
        names |= {f"{prefix}_1" for prefix in re.findall(r'name=f"([a-z]+)_\{', text)}
        names |= set(re.findall(r'rnn_layer\([^)]*\)\([^)]*name="([a-z_0-9]+)"', text))
    builders = {n for n in names if n not in {"chars", "tokens", "inputs", "ids"}}
    assert {"embedding", "rnn_1", "output"} <= builders
    unnamed = sorted(n for n in builders if reader_name(n) == n)
    assert not unnamed, f"layers without a reader's name: {unnamed}"
