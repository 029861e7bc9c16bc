"""Readers' names for the layers the models in this project build (TensorFlow-free).

Charts, tables and captions show these instead of Keras' layer names (`rnn_1`, `decoder_1`,
`attention_combine`): a student reads "Recurrent layer 1", not an identifier. The builders in
core/engine/models.py, core/attention/*.py and core/gradients/through_time.py name their layers
with the prefixes below; a name nobody knows is shown as Keras wrote it, so nothing is hidden.
"""

from __future__ import annotations

import re

_EXACT = {
    "embedding": "Embedding (word vectors)",
    "source_embedding": "Encoder embedding (input characters)",
    "target_embedding": "Decoder embedding (output characters)",
    "attention": "Attention scores",
    "attention_pooling": "Attention pooling",
    "attention_combine": "Attention + decoder (combine)",
    "output": "Output layer",
    "dense": "Dense layer",
    "dense_hidden": "Dense hidden layer",
    "context_vector": "Context vector (repeated)",
    "flatten": "Flatten",
    "output_dropout": "Dropout before the output",
    "repeat_input": "Input repeated per output step",
    "average_pool": "Average over words",
    "mean_over_time": "Mean over time",
    "max_over_time": "Max over time",
}
_NUMBERED = (
    (re.compile(r"^rnn_(\d+)$"), "Recurrent layer {}"),
    (re.compile(r"^encoder_(\d+)$"), "Encoder layer {}"),
    (re.compile(r"^decoder_(\d+)$"), "Decoder layer {}"),
    (re.compile(r"^dense_(\d+)$"), "Dense layer {}"),
    (re.compile(r"^context_(\d+)$"), "Encoder state {} (both directions)"),
    (re.compile(r"^state_(\d+)$"), "Decoder start state {}"),
)


def reader_name(layer: str) -> str:
    """'rnn_1' -> 'Recurrent layer 1'; a name nobody knows is returned as it is."""
    if layer in _EXACT:
        return _EXACT[layer]
    for pattern, words in _NUMBERED:
        if match := pattern.match(layer):
            return words.format(match.group(1))
    return layer
