"""Character-level encoder-decoder with optional attention, and the tools to look inside it.

    source chars -> embedding -> encoder RNN -> h_1 .. h_T              (one vector per input char)
                                               \\-> final state s         (the single "context vector")
    <start> y_1 .. y_K-1 -> embedding -> decoder RNN (initial state s) -> d_1 .. d_K
    attention:  a_kt = softmax_t score(d_k, h_t)        (padding masked: weight exactly 0)
                c_k  = sum_t a_kt h_t                    (what step k looks at)
                o_k  = tanh(W [c_k; d_k])  -> softmax over output characters

Without attention the decoder knows the input only through s: one fixed-size vector for
the whole input, the bottleneck that makes long inputs hard. With attention every output
step can read any input character directly, and the weights a_kt say which ones it read.

Scores: "additive" (Bahdanau et al., 2015) v^T tanh(W_q d_k + W_k h_t); "dot" (Luong
et al., 2015, "general") d_k^T W h_t. Both are applied Luong-style to the decoder RNN's
outputs, so a whole teacher-forced target sequence trains in one parallel pass.

Training uses teacher forcing (the decoder reads the true previous character);
inference uses greedy decoding (it reads its own previous guess) and stops at <end>.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from keras import layers, ops

from core.attention.config import (
    Seq2SeqConfig,
    TranslationOutcome,
    TranslationRun,
    TwinOutcome,
)
from core.data.dates import TranslationTask, digit_word_spans
from core.engine import reuse
from core.engine.cells import PAD_ID, rnn_layer
from core.engine.config import TrainConfig
from core.engine.keras_state import set_random_seed
from core.engine.trainer import BatchRecord, Callback, EpochRecord, Trainer, TrainingPlan, TrainingResult

PAD, UNKNOWN = PAD_ID, 1  # source ids
START, END = 1, 2  # target ids (0 is padding too)
MASKED_SCORE = -1e9  # added to padding scores: softmax gives them exactly 0 in float32


# ----------------------------------------------------------------------------- vocabularies


@dataclass(frozen=True)
class CharVocab:
    """Characters <-> ids. Ids below `offset` are special tokens (padding, start, end...)."""

    chars: str
    specials: tuple[str, ...]
    lowercase: bool = True

    @property
    def offset(self) -> int:
        return len(self.specials)

    @property
    def size(self) -> int:
        return self.offset + len(self.chars)

    def normalise(self, text: str) -> str:
        return text.lower() if self.lowercase else text

    def unknown_chars(self, text: str) -> list[str]:
        """Characters of `text` this vocabulary has no id for, in order of appearance."""
        known = set(self.chars)
        return list(dict.fromkeys(c for c in self.normalise(text) if c not in known))

    @cached_property
    def _index(self) -> dict[str, int]:
        """char -> id, built once per vocabulary (encoding a data set calls `encode` per text)."""
        return {c: i + self.offset for i, c in enumerate(self.chars)}

    def __getstate__(self) -> dict:
        """Pickled as its fields only; the lookup table is rebuilt on first use."""
        return {k: v for k, v in self.__dict__.items() if k != "_index"}

    def encode(self, text: str) -> list[int]:
        index = self._index
        return [index.get(c, UNKNOWN) for c in self.normalise(text)]

    def token(self, i: int) -> str:
        i = int(i)
        return self.specials[i] if i < self.offset else self.chars[i - self.offset]

    def decode(self, ids: Sequence[int]) -> str:
        """Text of the non-special ids; stops at <end> when the vocabulary has one."""
        out = []
        for i in ids:
            i = int(i)
            if "<end>" in self.specials and i == self.specials.index("<end>"):
                break
            if i >= self.offset:
                out.append(self.chars[i - self.offset])
        return "".join(out)


def source_vocab(texts: Sequence[str]) -> CharVocab:
    """Every character the training inputs use (lower-cased), plus <pad> and <unk>."""
    chars = sorted({c for t in texts for c in t.lower()})
    return CharVocab("".join(chars), ("<pad>", "<unk>"), lowercase=True)


def target_vocab(texts: Sequence[str]) -> CharVocab:
    chars = sorted({c for t in texts for c in t})
    return CharVocab("".join(chars), ("<pad>", "<start>", "<end>"), lowercase=False)


# ----------------------------------------------------------------------------- arrays


@dataclass(frozen=True)
class Seq2SeqArrays:
    """Padded id matrices for teacher forcing.

    encoder_input  (n, S)   source ids, padded with 0 at the end
    decoder_input  (n, K)   <start> y_1 .. y_K-1   (the true previous character)
    decoder_target (n, K)   y_1 .. y_K-1 <end>     (what to predict at each step)
    weights        (n, K)   1 for real steps (incl. <end>), 0 for padding: the loss ignores padding
    """

    encoder_input: np.ndarray
    decoder_input: np.ndarray
    decoder_target: np.ndarray
    weights: np.ndarray

    @property
    def x(self) -> tuple[np.ndarray, np.ndarray]:
        return self.encoder_input, self.decoder_input

    def __len__(self) -> int:
        return len(self.encoder_input)


def encode_sources(vocab: CharVocab, texts: Sequence[str], length: int) -> np.ndarray:
    out = np.zeros((len(texts), length), dtype=np.int32)
    for row, text in enumerate(texts):
        ids = vocab.encode(text)[:length]
        out[row, : len(ids)] = ids
    return out


def encode_pairs(
    src: CharVocab, tgt: CharVocab, sources: Sequence[str], targets: Sequence[str], source_len: int, target_len: int
) -> Seq2SeqArrays:
    """Arrays for training/evaluation; `target_len` counts the <end> token."""
    n = len(sources)
    dec_in = np.zeros((n, target_len), dtype=np.int32)
    dec_out = np.zeros((n, target_len), dtype=np.int32)
    for row, text in enumerate(targets):
        ids = [*tgt.encode(text)[: target_len - 1], END]
        dec_out[row, : len(ids)] = ids
        dec_in[row, 0] = START
        dec_in[row, 1 : len(ids)] = ids[:-1]
    return Seq2SeqArrays(encode_sources(src, sources, source_len), dec_in, dec_out, (dec_out != PAD).astype("float32"))


# ----------------------------------------------------------------------------- model


@keras.saving.register_keras_serializable(package="rnn_playground")
class AlignmentAttention(layers.Layer):
    """Scores every encoder output against every decoder output; padding gets weight 0.

    call(query (B, K, Dq), keys (B, S, Dk), source_ids (B, S)) -> (context (B, K, Dk), weights (B, K, S))
    """

    def __init__(self, kind: str = "additive", units: int = 64, **kwargs):
        super().__init__(**kwargs)
        if kind not in ("additive", "dot"):
            raise ValueError(f"AlignmentAttention kind must be 'additive' or 'dot', not {kind!r}.")
        self.kind = kind
        self.units = units

    def build(self, query_shape, keys_shape, source_ids_shape=None):
        dq, dk = int(query_shape[-1]), int(keys_shape[-1])
        if self.kind == "additive":
            self.query_kernel = self.add_weight(shape=(dq, self.units), name="query_kernel")
            self.key_kernel = self.add_weight(shape=(dk, self.units), name="key_kernel")
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
            self.score_vector = self.add_weight(shape=(self.units,), name="score_vector")
        else:
            self.key_kernel = self.add_weight(shape=(dk, dq), name="key_kernel")

    def scores(self, query, keys):
        if self.kind == "additive":
            q = ops.matmul(query, self.query_kernel)[:, :, None, :]  # (B, K, 1, U)
            k = ops.matmul(keys, self.key_kernel)[:, None, :, :]  # (B, 1, S, U)
            return ops.sum(ops.tanh(q + k + self.bias) * self.score_vector, axis=-1)  # (B, K, S)
        projected = ops.matmul(keys, self.key_kernel)  # (B, S, Dq)
        return ops.matmul(query, ops.transpose(projected, (0, 2, 1)))  # (B, K, S)

    def call(self, query, keys, source_ids):
        real = ops.cast(ops.not_equal(source_ids, PAD), self.compute_dtype)[:, None, :]  # (B, 1, S)
        scores = self.scores(query, keys) * real + (1.0 - real) * MASKED_SCORE
        weights = ops.softmax(scores, axis=-1)
        return ops.matmul(weights, keys), weights

    def compute_output_spec(self, query, keys, source_ids):
        batch, steps, width = query.shape[0], query.shape[1], keys.shape[-1]
        return (
            keras.KerasTensor((batch, steps, width), dtype=self.compute_dtype),
            keras.KerasTensor((batch, steps, keys.shape[1]), dtype=self.compute_dtype),
        )

    def get_config(self):
        return {**super().get_config(), "kind": self.kind, "units": self.units}


@dataclass
class Seq2SeqModels:
    """One set of layers, wired three ways.

    train:   (encoder ids, decoder ids) -> next-character probabilities (what the Trainer fits)
    encoder: encoder ids -> (encoder outputs, *initial decoder states)
    decoder: (decoder ids, encoder outputs, encoder ids, *states) -> (probabilities, attention weights)
    """

    train: keras.Model
    encoder: keras.Model
    decoder: keras.Model
    config: Seq2SeqConfig
    source: CharVocab
    target: CharVocab
    source_len: int
    target_len: int

    @property
    def has_attention(self) -> bool:
        return self.config.attention != "none"

    def __post_init__(self) -> None:
        # Compiled once per model, for any batch size (one trace each; tracing costs seconds):
        # greedy decoding calls the decoder once per output step.
        source = tf.TensorSpec((None, self.source_len), tf.int32)
        self._encode = tf.function(self._run_encoder, input_signature=[source], autograph=False)
        width = self.encoder.outputs[0].shape[-1]
        state_width = self.encoder.outputs[1].shape[-1]
        decoder_inputs = [
            tf.TensorSpec((None, self.target_len), tf.int32),
            tf.TensorSpec((None, self.source_len, width), tf.float32),
            source,
            *[tf.TensorSpec((None, state_width), tf.float32) for _ in self.encoder.outputs[1:]],
        ]
        self._decode = tf.function(self._run_decoder, input_signature=[decoder_inputs], autograph=False)

    def __getstate__(self) -> dict:
        """Pickled (to leave a worker process) without the compiled functions; they are rebuilt on load."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_encode", "_decode")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.__post_init__()

    def _run_encoder(self, source_ids):
        return self.encoder(source_ids, training=False)

    def _run_decoder(self, inputs):
        return self.decoder(inputs, training=False)

    def encode(self, source_ids: np.ndarray) -> list[tf.Tensor]:
        """[encoder outputs, *decoder initial states] for a batch of source ids."""
        return _as_list(self._encode(tf.constant(source_ids, tf.int32)))

    def decode(self, decoder_ids: np.ndarray, encoded: list[tf.Tensor], source_ids: np.ndarray) -> list[np.ndarray]:
        """[probabilities (B, K, V)] plus [weights (B, K, S)] when the model has attention."""
        inputs = [tf.constant(decoder_ids, tf.int32), encoded[0], tf.constant(source_ids, tf.int32), *encoded[1:]]
        return [np.asarray(o) for o in _as_list(self._decode(inputs))]


def _rnn(config: Seq2SeqConfig, units: int, name: str, **kwargs) -> layers.Layer:
    return rnn_layer(config.cell)(units, return_sequences=True, return_state=True, name=name, **kwargs)


@reuse.reusable(trained=lambda models: models.train)
def build_seq2seq(
    config: Seq2SeqConfig, source: CharVocab, target: CharVocab, source_len: int, target_len: int, seed: int = 0
) -> Seq2SeqModels:
    """Build the encoder-decoder for fixed padded lengths (`target_len` includes <end>)."""
    problems = config.problems()
    if problems:
        raise ValueError("; ".join(problems))
    set_random_seed(seed)
    lstm = config.cell == "LSTM"
    states_per_direction = 2 if lstm else 1
    decoder_units = config.units * (2 if config.bidirectional else 1)

    source_embedding = layers.Embedding(source.size, config.embedding_dim, mask_zero=True, name="source_embedding")
    encoder_rnn = _rnn(config, config.units, "encoder_1")
    if config.bidirectional:
        encoder_rnn = layers.Bidirectional(encoder_rnn, merge_mode="concat", name="encoder_1")
    target_embedding = layers.Embedding(target.size, config.embedding_dim, name="target_embedding")
    decoder_rnn = _rnn(config, decoder_units, "decoder_1")
    attention = None
    if config.attention != "none":
        attention = AlignmentAttention(config.attention, config.attention_units, name="attention")
        combine = layers.Dense(decoder_units, activation="tanh", name="attention_combine")
    output = layers.Dense(target.size, activation="softmax", name="output")

    # Encoder: one output per source character, and the final state(s) = the context vector.
    encoder_ids = keras.Input((source_len,), dtype="int32", name="encoder_ids")
    encoded, *final = encoder_rnn(source_embedding(encoder_ids))
    if config.bidirectional:  # (h_fwd[, c_fwd], h_bwd[, c_bwd]) -> (h_fwd;h_bwd[, c_fwd;c_bwd])
        forward, backward = final[:states_per_direction], final[states_per_direction:]
        final = [
            layers.Concatenate(name=f"context_{i}")([f, b])
            for i, (f, b) in enumerate(zip(forward, backward, strict=True))
        ]

    def decode(decoder_ids, encoder_outputs, source_ids, states):
        decoded, *_ = decoder_rnn(target_embedding(decoder_ids), initial_state=list(states))
        if attention is None:
            return output(decoded), None
        context, weights = attention(decoded, encoder_outputs, source_ids)
        return output(combine(layers.concatenate([context, decoded]))), weights

    decoder_ids = keras.Input((target_len,), dtype="int32", name="decoder_ids")
    probabilities, _ = decode(decoder_ids, encoded, encoder_ids, final)
    train = keras.Model([encoder_ids, decoder_ids], probabilities, name=f"seq2seq_{config.attention}")

    encoder = keras.Model(encoder_ids, [encoded, *final], name="encoder")
    encoded_in = keras.Input((source_len, encoded.shape[-1]), name="encoder_outputs")
    source_in = keras.Input((source_len,), dtype="int32", name="source_ids")
    state_in = [keras.Input((decoder_units,), name=f"state_{i}") for i in range(states_per_direction)]
    step_ids = keras.Input((target_len,), dtype="int32", name="decoder_ids_step")
    step_probabilities, step_weights = decode(step_ids, encoded_in, source_in, state_in)
    step_outputs = [step_probabilities] if step_weights is None else [step_probabilities, step_weights]
    decoder = keras.Model([step_ids, encoded_in, source_in, *state_in], step_outputs, name="decoder")
    return Seq2SeqModels(train, encoder, decoder, config, source, target, source_len, target_len)


# ----------------------------------------------------------------------------- greedy decoding

StepFn = Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Decoded:
    """Greedy decoding output for a batch.

    tokens  (n, K) predicted ids, <end> included, padded with 0 after it
    weights (n, K, S) attention at each decoder step (zeros without attention)
    steps   how many decoder steps were run (stops early when every row has produced <end>)
    """

    tokens: np.ndarray
    weights: np.ndarray
    steps: int

    def lengths(self) -> np.ndarray:
        """Decoder steps each row used, <end> included (K when it never produced <end>)."""
        ended = self.tokens == END
        return np.where(ended.any(axis=1), ended.argmax(axis=1) + 1, self.tokens.shape[1])


def greedy_loop(step: StepFn, batch: int, max_steps: int, source_len: int) -> Decoded:
    """Feed each step's most likely character back in until every row has said <end>.

    `step(decoder_ids, t)` returns (probabilities (B, V), weights (B, S)) for position t;
    decoder_ids holds <start> and the guesses made so far (zeros after position t).
    """
    decoder_ids = np.zeros((batch, max_steps), dtype=np.int32)
    decoder_ids[:, 0] = START
    tokens = np.zeros((batch, max_steps), dtype=np.int32)
    weights = np.zeros((batch, max_steps, source_len), dtype=np.float32)
    finished = np.zeros(batch, dtype=bool)
    steps = 0
    for t in range(max_steps):
        probabilities, step_weights = step(decoder_ids, t)
        guess = np.asarray(probabilities).argmax(axis=-1).astype(np.int32)
        tokens[:, t] = np.where(finished, PAD, guess)
        weights[:, t] = np.where(finished[:, None], 0.0, step_weights)
        finished |= guess == END
        steps = t + 1
        if finished.all():
            break
        if t + 1 < max_steps:
            decoder_ids[:, t + 1] = guess
    return Decoded(tokens, weights, steps)


def greedy_decode(models: Seq2SeqModels, encoder_input: np.ndarray, batch_size: int = 1024) -> Decoded:
    """Translate a batch of encoded sources, reading the decoder's own guesses back in."""
    parts = []
    for start in range(0, len(encoder_input), batch_size):
        source_ids = encoder_input[start : start + batch_size]
        encoded = models.encode(source_ids)

        def step(decoder_ids: np.ndarray, t: int, encoded=encoded, source_ids=source_ids):
            outputs = models.decode(decoder_ids, encoded, source_ids)
            if len(outputs) == 1:  # no attention: nothing to look at, report zeros
                return outputs[0][:, t], np.zeros(source_ids.shape, np.float32)
            return outputs[0][:, t], outputs[1][:, t]

        parts.append(greedy_loop(step, len(source_ids), models.target_len, models.source_len))
    if not parts:
        empty = np.zeros((0, models.target_len), dtype=np.int32)
        return Decoded(empty, np.zeros((0, models.target_len, models.source_len), np.float32), 0)
    return Decoded(
        np.concatenate([p.tokens for p in parts]),
        np.concatenate([p.weights for p in parts]),
        max(p.steps for p in parts),
    )


def _as_list(outputs) -> list:
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def attention_weights(models: Seq2SeqModels, arrays: Seq2SeqArrays) -> np.ndarray:
    """Teacher-forced attention (n, K, S): where the decoder looks when fed the true prefix."""
    if not models.has_attention:
        raise ValueError("This model has no attention layer: it only sees the final encoder state.")
    encoded = models.encode(arrays.encoder_input)
    return models.decode(arrays.decoder_input, encoded, arrays.encoder_input)[1]


# ----------------------------------------------------------------------------- translation


@dataclass(frozen=True)
class Translation:
    """One source translated greedily, with the attention matrix cut to its real size."""

    source: str
    prediction: str
    output_tokens: tuple[str, ...]  # one per decoder step, '<end>' included
    weights: np.ndarray  # (decoder steps, source characters)


@dataclass(frozen=True)
class InputCheck:
    """A user's text, checked before translation; `problem` explains why it can't be used."""

    text: str
    problem: str = ""


def check_user_input(models: Seq2SeqModels, text: str) -> InputCheck:
    """Refuse input the model cannot read (empty, too long, characters it never saw)."""
    cleaned = (text or "").strip()
    if not cleaned:
        return InputCheck("", "The input is empty - type something to translate.")
    if len(cleaned) > models.source_len:
        return InputCheck(
            cleaned,
            f"The input has {len(cleaned)} characters; this model reads at most {models.source_len} "
            "(the longest training input). Shorten it.",
        )
    unknown = models.source.unknown_chars(cleaned)
    if unknown:
        shown = ", ".join(repr(c) for c in unknown[:10])
        return InputCheck(
            cleaned,
            f"The model never saw these characters in training: {shown}. It knows: {models.source.chars!r}.",
        )
    return InputCheck(cleaned)


def translate(models: Seq2SeqModels, texts: Sequence[str]) -> list[Translation]:
    """Greedy translations with their attention matrices (rows: output steps, cols: input chars)."""
    decoded = greedy_decode(models, encode_sources(models.source, texts, models.source_len))
    out = []
    for row, text in enumerate(texts):
        steps = int(decoded.lengths()[row])
        ids = decoded.tokens[row, :steps]
        chars = min(len(models.source.normalise(text)), models.source_len)
        out.append(
            Translation(
                source=text[:chars],
                prediction=models.target.decode(ids),
                output_tokens=tuple(models.target.token(i) for i in ids),
                weights=decoded.weights[row, :steps, :chars].copy(),
            )
        )
    return out


def attention_on_spans(weights: np.ndarray, spans: Sequence[tuple[int, int]]) -> float:
    """Mean share of its attention that output step k puts on source characters [start_k, end_k).

    `weights` is one translation's (decoder steps, source characters) matrix; `spans[k]` is the
    source piece output k is read from (e.g. the k-th spoken digit word). Steps beyond the spans
    (such as <end>) do not count. 1.0 means every output looked only at its own piece.
    """
    weights = np.asarray(weights, dtype=float)
    rows = min(len(spans), weights.shape[0])
    if rows == 0:
        return 0.0
    return float(np.mean([weights[k, start:end].sum() for k, (start, end) in enumerate(spans[:rows])]))


def alignment_on_words(
    models: Seq2SeqModels, sources: Sequence[str], targets: Sequence[str]
) -> tuple[float, float] | None:
    """(learned, chance): the mean share of attention each output digit puts on its own spoken word, over many
    held-out pairs (teacher-forced), and the same share for attention spread evenly over the input.

    None when the model has no attention or the task is not spoken digits (one word per output character).
    """
    pairs = [(s, t) for s, t in zip(sources, targets, strict=True) if len(s.split(" ")) == len(t)]
    if not models.has_attention or not pairs or len(pairs) < len(sources):
        return None
    kept_sources, kept_targets = [p[0] for p in pairs], [p[1] for p in pairs]
    arrays = encode_pairs(
        models.source, models.target, kept_sources, kept_targets, models.source_len, models.target_len
    )
    weights = attention_weights(models, arrays)
    learned, chance = [], []
    for row, source in enumerate(kept_sources):
        spans = digit_word_spans(source[: models.source_len])
        learned.append(attention_on_spans(weights[row], spans))
        length = min(len(source), models.source_len)
        chance.append(float(np.mean([(end - start) / length for start, end in spans])))
    return float(np.mean(learned)), float(np.mean(chance))


# ----------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Evaluation:
    """Greedy-decoding quality on held-out pairs, with one row per example in `frame`."""

    exact_match: float  # share of outputs exactly equal to the target
    char_accuracy: float  # share of target characters (and <end>) predicted at the right position
    frame: pd.DataFrame  # source, target, prediction, correct, chars_correct, input_length, format


def evaluate(
    models: Seq2SeqModels, sources: Sequence[str], targets: Sequence[str], formats: Sequence[str] | None = None
) -> Evaluation:
    decoded = greedy_decode(models, encode_sources(models.source, sources, models.source_len))
    truth = encode_pairs(
        models.source, models.target, sources, targets, models.source_len, models.target_len
    ).decoder_target
    real = truth != PAD
    char_hits = ((decoded.tokens == truth) & real).sum(axis=1)
    predictions = [models.target.decode(row) for row in decoded.tokens]
    correct = np.array([p == t for p, t in zip(predictions, targets, strict=True)])
    frame = pd.DataFrame(
        {
            "source": list(sources),
            "target": list(targets),
            "prediction": predictions,
            "correct": correct,
            "char_accuracy": char_hits / np.maximum(real.sum(axis=1), 1),
            "input_length": [len(s) for s in sources],
            "format": list(formats) if formats is not None else [""] * len(sources),
        }
    )
    return Evaluation(
        exact_match=float(correct.mean()) if len(correct) else 0.0,
        char_accuracy=float(char_hits.sum() / max(real.sum(), 1)),
        frame=frame,
    )


def accuracy_by_length(frame: pd.DataFrame, bin_width: int = 5) -> pd.DataFrame:
    """Exact-match accuracy per input-length bin (e.g. 10-14 characters), with counts."""
    if frame.empty:
        return pd.DataFrame(columns=["length_from", "length_to", "lengths", "exact_match", "examples"])
    low = (frame["input_length"] // bin_width) * bin_width
    grouped = frame.assign(length_from=low).groupby("length_from")
    table = grouped.agg(exact_match=("correct", "mean"), examples=("correct", "size")).reset_index()
    table["length_to"] = table["length_from"] + bin_width - 1
    table["lengths"] = table["length_from"].astype(str) + "-" + table["length_to"].astype(str)
    return table[["length_from", "length_to", "lengths", "exact_match", "examples"]]


# ----------------------------------------------------------------------------- live snapshots


@dataclass(frozen=True)
class AttentionSnapshot:
    """The model's view of one fixed held-out example at the end of an epoch (0 = untrained)."""

    epoch: int
    translation: Translation
    exact_match: float | None  # greedy exact match on a held-out sample at that moment
    alignment: float | None = None  # mean share of attention on each digit's own word, over the held-out probe
    chance: float | None = None  # the same share for attention spread evenly over the input (the blur)
    probed: int = 0  # held-out examples the alignment was measured on


class AttentionSnapshots(Callback):
    """Trainer callback: translate a fixed held-out example after every epoch, on the training thread.

    `publish(list_of_snapshots)` receives the growing list each time (e.g. progress.put_extra),
    so a UI can scrub through training and watch the alignment sharpen.
    """

    def __init__(
        self,
        models: Seq2SeqModels,
        example: str,
        publish: Callable[[list[AttentionSnapshot]], None],
        probe_sources: Sequence[str] = (),
        probe_targets: Sequence[str] = (),
    ):
        self.models = models
        self.example = example
        self.publish = publish
        self.probe = (list(probe_sources), list(probe_targets))
        self.snapshots: list[AttentionSnapshot] = []
        self._initial: list[np.ndarray] | None = None  # the untrained weights, until epoch 0 is taken

    def take(self, epoch: int) -> None:
        translation = translate(self.models, [self.example])[0]
        accuracy = None
        if self.probe[0]:
            accuracy = evaluate(self.models, *self.probe).exact_match
        alignment = alignment_on_words(self.models, *self.probe)
        self.snapshots.append(
            AttentionSnapshot(epoch, translation, accuracy, *(alignment or (None, None)), len(self.probe[0]))
        )
        self.publish(list(self.snapshots))

    def _take_untrained(self) -> None:
        """Epoch 0 (the untrained model), taken once the first batch is reported, not before it.

        Decoding and scoring the probe costs seconds (compiling the decoder included); taken before
        training, it delayed the first loss point by as much. The weights are those kept at the start,
        put back for the snapshot and then swapped out again, so epoch 0 is exactly what it was.
        """
        if self._initial is None:
            return
        initial, self._initial = self._initial, None
        current = self.models.train.get_weights()
        self.models.train.set_weights(initial)
        try:
            self.take(0)
        finally:
            self.models.train.set_weights(current)

    def on_train_begin(self, plan: TrainingPlan) -> None:
        self._initial = self.models.train.get_weights()

    def on_batch_end(self, record: BatchRecord) -> None:
        self._take_untrained()  # callbacks before this one (the progress) have seen the first batch

    def on_epoch_end(self, record: EpochRecord) -> None:
        self._take_untrained()
        self.take(record.epoch)

    def on_train_end(self, result: TrainingResult) -> None:
        self._take_untrained()  # stopped before the first batch


# ----------------------------------------------------------------------------- a whole run


VALIDATION_FRACTION = 0.1  # of the training pairs, held back for the per-epoch validation curve


def validation_split(
    sources: Sequence[str], targets: Sequence[str], held_out: Sequence[str] = (), seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(training, validation) indices into the training pairs; the test split stays untouched.

    Validation mirrors how the test split was drawn: a target value that the task shares with
    its held-out split by design (`held_out`, e.g. the numbers 0-99 whose words every larger
    number needs) may be in both, so its pairs are split one by one; every other value goes
    wholly to one side, so validation, like test, measures translation of values the model
    never trained on, not memorisation. About VALIDATION_FRACTION of the pairs are held back.
    """
    n = len(targets)
    if n < 2:
        raise ValueError("The training split needs at least two pairs to hold some back for validation.")
    rng = np.random.default_rng([seed, 4243])
    shared = set(held_out)
    values = sorted({t for t in targets if t not in shared})
    chosen = {values[i] for i in rng.permutation(len(values))[: round(len(values) * VALIDATION_FRACTION)]}
    pair_draw = rng.random(n) < VALIDATION_FRACTION
    is_val = np.array([t in chosen or (t in shared and pair_draw[i]) for i, t in enumerate(targets)])
    if not is_val.any() or is_val.all():  # tiny tasks: still keep one pair on each side
        is_val = np.zeros(n, dtype=bool)
        is_val[rng.integers(n)] = True
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


@dataclass(frozen=True)
class Prepared:
    """Everything training needs: the task, vocabularies, arrays and freshly built models.

    `train` and `validation` partition the task's training pairs (the validation curve is drawn
    on `validation` every epoch); `test` is the task's held-out split, kept for the final score.
    """

    task: TranslationTask
    models: Seq2SeqModels
    train: Seq2SeqArrays
    validation: Seq2SeqArrays
    test: Seq2SeqArrays
    validation_sources: tuple[str, ...]
    validation_targets: tuple[str, ...]


def prepare(task: TranslationTask, config: Seq2SeqConfig, seed: int = 0) -> Prepared:
    """Vocabularies from the training split, padded arrays, and the models sized to the task."""
    source, target = source_vocab(task.train_sources), target_vocab(task.train_targets)
    source_len, target_len = task.max_source_length, task.max_target_length + 1
    models = build_seq2seq(config, source, target, source_len, target_len, seed=seed)
    train_idx, val_idx = validation_split(task.train_sources, task.train_targets, task.test_targets, seed)

    def pairs(index: np.ndarray) -> tuple[list[str], list[str]]:
        return [task.train_sources[i] for i in index], [task.train_targets[i] for i in index]

    (train_src, train_tgt), (val_src, val_tgt) = pairs(train_idx), pairs(val_idx)
    train = encode_pairs(source, target, train_src, train_tgt, source_len, target_len)
    validation = encode_pairs(source, target, val_src, val_tgt, source_len, target_len)
    test = encode_pairs(source, target, task.test_sources, task.test_targets, source_len, target_len)
    return Prepared(task, models, train, validation, test, tuple(val_src), tuple(val_tgt))


def make_trainer(models: Seq2SeqModels, config: TrainConfig, examples: int) -> Trainer:
    """Per-character cross-entropy on the decoder targets; padding is masked by sample weights.

    The Trainer divides a weighted loss by the sum of the weights, so the loss (reported and
    optimised) is the mean over real decoder steps (<end> included), never diluted by padding.

    Every batch has the same size (the few examples of a last, smaller batch wait for the next
    shuffle): a second batch shape would make TensorFlow compile the training step again.
    """
    config = replace(config, drop_remainder=examples >= config.batch_size)
    return Trainer(models.train, "sparse_categorical_crossentropy", ["sparse_accuracy"], config)


def validation_arrays(arrays: Seq2SeqArrays, config: TrainConfig) -> tuple[tuple, np.ndarray, np.ndarray]:
    """Teacher-forced validation data in whole evaluation batches (again: one compiled shape)."""
    batch = max(config.batch_size, 256)  # the Trainer's evaluation batch size
    n = len(arrays) if len(arrays) <= batch else len(arrays) - len(arrays) % batch
    return (arrays.encoder_input[:n], arrays.decoder_input[:n]), arrays.decoder_target[:n], arrays.weights[:n]


def snapshot_example(sources: Sequence[str]) -> str:
    """The validation source the live heatmap follows: a long one, so the alignment has room to show."""
    longest = max(len(s) for s in sources)
    return next(s for s in sources if len(s) >= 0.8 * longest)


class PhaseProgress(Callback):
    """Reports a second model's training as phase text, leaving the main curves to the main model."""

    def __init__(self, on_phase: Callable[[str], None], label: str):
        self.on_phase, self.label = on_phase, label
        self.plan: TrainingPlan | None = None

    def on_train_begin(self, plan: TrainingPlan) -> None:
        self.plan = plan

    def on_batch_end(self, record) -> None:
        if self.plan is not None and (record.batch == 1 or record.batch % 10 == 0):
            plan = self.plan
            self.on_phase(
                f"{self.label}: epoch {record.epoch}/{plan.epochs}, batch {record.batch}/{plan.steps_per_epoch}"
            )


def train_translation(
    run: TranslationRun,
    task: TranslationTask,
    callbacks: Sequence[Callback] = (),
    stop=None,
    publish: Callable[[list[AttentionSnapshot]], None] = lambda snapshots: None,
    on_phase: Callable[[str], None] = lambda phase: None,
    twin: bool = False,
    probe_size: int = 300,
) -> TranslationOutcome:
    """Train the translator (snapshotting its attention every epoch) and score the held-out split.

    The per-epoch validation loss, accuracy and exact match use validation pairs held back from
    the training split; the test split is only translated once training has ended.

    With `twin`, a no-attention model with otherwise identical settings is trained next, for
    the bottleneck comparison; its progress goes to `on_phase` only.
    """
    on_phase("Building the model")
    prepared = prepare(task, run.model, seed=run.data.seed)
    # Everything watched during training reads validation pairs; the test split is scored once, at the end.
    snapshots = AttentionSnapshots(
        prepared.models,
        snapshot_example(prepared.validation_sources),
        publish,
        prepared.validation_sources[:probe_size],
        prepared.validation_targets[:probe_size],
    )
    result = make_trainer(prepared.models, run.train, len(prepared.train)).fit(
        prepared.train.x,
        prepared.train.decoder_target,
        sample_weight=prepared.train.weights,
        validation=validation_arrays(prepared.validation, run.train),
        callbacks=[*callbacks, snapshots],
        stop=stop,
    )
    on_phase("Translating the held-out set")
    evaluation = evaluate(prepared.models, task.test_sources, task.test_targets, task.test_formats)
    outcome = TranslationOutcome(
        result=result,
        model=prepared.models.train,
        config=run,
        models=prepared.models,
        task=task,
        evaluation=evaluation,
        snapshots=list(snapshots.snapshots),
    )
    stopped = stop is not None and stop.requested
    if twin and run.model.attention != "none" and not stopped:
        twin_config = replace(run.model, attention="none")
        twin_run = replace(run, model=twin_config)
        twin_models = prepare(task, twin_config, seed=run.data.seed)
        label = f"Training the no-attention twin ({twin_config.label})"
        on_phase(label)
        twin_result = make_trainer(twin_models.models, run.train, len(twin_models.train)).fit(
            twin_models.train.x,
            twin_models.train.decoder_target,
            sample_weight=twin_models.train.weights,
            callbacks=[PhaseProgress(on_phase, label)],
            stop=stop,
        )
        on_phase("Translating the held-out set with the twin")
        outcome.twin = TwinOutcome(
            result=twin_result,
            model=None,
            config=twin_run,
            evaluation=evaluate(twin_models.models, task.test_sources, task.test_targets, task.test_formats),
        )
    return outcome
