"""Model builders for the five architecture patterns of recurrent networks.

    one-to-one       x      -> y          a dense net, no recurrence (the baseline)
    one-to-many      x      -> y1..yK     the input vector is fed at every step
    many-to-one      x1..xT -> y          read a sequence, answer once
    many-to-many     x1..xT -> y1..yT     one output per input step (synced)
    encoder-decoder  x1..xT -> y1..yK     compress into a context vector, then unroll

Each builder is a few Keras layers with explanatory names ("embedding", "rnn_1",
"encoder_1", "decoder_1", "output"), because those names label the per-layer gradient
charts the user sees.

Padding: with `InputSpec.mask_zero` (token id 0 = padding), the Embedding emits a mask that the
recurrent layers skip and every read-out respects - "last" is the state after the last real
token, "mean" and "max" pool over real steps only, and the one-to-one baseline averages real
tokens only - so how much padding a sequence has never changes its prediction. Off by default:
only padded token inputs (IMDb) need it; the character and numeric models have no padding.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from core.engine import reuse
from core.engine.cells import rnn_layer
from core.engine.config import ConfigError, InputSpec, ModelConfig, OutputSpec, validate_all
from core.engine.keras_state import set_random_seed


@keras.saving.register_keras_serializable(package="rnn_playground")
class MaskedGlobalMaxPooling1D(layers.GlobalMaxPooling1D):
    """Max over time of the unmasked steps only (Keras' GlobalMaxPooling1D ignores the mask).
    A sequence with no unmasked step pools to zeros."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        keep = ops.expand_dims(ops.cast(mask, "bool"), -1)
        pooled = ops.max(ops.where(keep, inputs, float("-inf")), axis=1)
        return ops.where(ops.any(keep, axis=1), pooled, ops.zeros_like(pooled))

    def compute_mask(self, inputs, mask=None):
        return None


@keras.saving.register_keras_serializable(package="rnn_playground")
class MaskedGlobalAveragePooling1D(layers.GlobalAveragePooling1D):
    """Mean over time of the unmasked steps only; a sequence with no unmasked step pools to
    zeros (Keras' own layer divides 0 by 0 there)."""

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        keep = ops.cast(ops.expand_dims(ops.cast(mask, "bool"), -1), inputs.dtype)
        total = ops.sum(inputs * keep, axis=1)
        return total / ops.maximum(ops.sum(keep, axis=1), 1.0)


def recurrent_layer(config: ModelConfig, name: str, return_sequences: bool, return_state: bool = False) -> layers.Layer:
    """One recurrent layer of the configured cell, wrapped in Bidirectional if asked."""
    rnn = rnn_layer(config.cell)(
        config.units,
        return_sequences=return_sequences,
        return_state=return_state,
        dropout=config.dropout,
        name=name if not config.bidirectional else f"{name}_cell",
    )
    if config.bidirectional:
        return layers.Bidirectional(rnn, name=name)
    return rnn


def _inputs(spec: InputSpec, sequence: bool) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The model's Input and its first hidden representation (embedded if tokens)."""
    if spec.vocab_size is not None:
        shape = (spec.length,) if sequence else (1,)
        inputs = keras.Input(shape=shape, dtype="int32", name="tokens")
        # A single token (one-to-many) has no padding to mask.
        mask_zero = spec.mask_zero and sequence
        x = layers.Embedding(spec.vocab_size, spec.embedding_dim, mask_zero=mask_zero, name="embedding")(inputs)
        return inputs, x
    shape = (spec.length, spec.features) if sequence else (spec.features,)
    inputs = keras.Input(shape=shape, name="inputs")
    return inputs, inputs


def _stack(config: ModelConfig, x, prefix: str, last_returns_sequences: bool):
    """`config.layers` recurrent layers; all but the last return their full sequence."""
    for i in range(1, config.layers + 1):
        is_last = i == config.layers
        x = recurrent_layer(config, f"{prefix}_{i}", return_sequences=not is_last or last_returns_sequences)(x)
    return x


def _head(x, config: ModelConfig, output: OutputSpec):
    if config.dropout > 0:
        x = layers.Dropout(config.dropout, name="output_dropout")(x)
    return layers.Dense(output.size, activation=output.activation, name="output")(x)


def build_one_to_one(config: ModelConfig, spec: InputSpec, output: OutputSpec) -> keras.Model:
    """No recurrence: a token sequence is averaged into one vector (bag of embeddings),
    a feature vector goes straight in. Shows what recurrence adds on top."""
    if spec.vocab_size is not None:
        inputs, x = _inputs(spec, sequence=True)
        x = MaskedGlobalAveragePooling1D(name="average_pool")(x)
    else:
        inputs, x = _inputs(spec, sequence=False)
    x = layers.Dense(config.dense_units, activation="relu", name="dense_hidden")(x)
    return keras.Model(inputs, _head(x, config, output), name="one_to_one")


def build_one_to_many(config: ModelConfig, spec: InputSpec, output: OutputSpec) -> keras.Model:
    """One input vector, repeated as the input of each of the K output steps."""
    inputs, x = _inputs(spec, sequence=False)
    if spec.vocab_size is not None:
        x = layers.Flatten(name="flatten")(x)
    x = layers.RepeatVector(output.steps, name="repeat_input")(x)
    x = _stack(config, x, "rnn", last_returns_sequences=True)
    return keras.Model(inputs, _head(x, config, output), name="one_to_many")


def build_many_to_one(config: ModelConfig, spec: InputSpec, output: OutputSpec) -> keras.Model:
    """Read the whole sequence; answer from the last state (or a pooling of all states)."""
    inputs, x = _inputs(spec, sequence=True)
    pooled = config.readout != "last"
    x = _stack(config, x, "rnn", last_returns_sequences=pooled)
    if config.readout == "mean":
        x = MaskedGlobalAveragePooling1D(name="mean_over_time")(x)
    elif config.readout == "max":
        x = MaskedGlobalMaxPooling1D(name="max_over_time")(x)
    return keras.Model(inputs, _head(x, config, output), name="many_to_one")


def build_many_to_many(config: ModelConfig, spec: InputSpec, output: OutputSpec) -> keras.Model:
    """One output per input step, computed from the state after reading that step."""
    inputs, x = _inputs(spec, sequence=True)
    x = _stack(config, x, "rnn", last_returns_sequences=True)
    return keras.Model(inputs, _head(x, config, output), name="many_to_many")


def build_encoder_decoder(config: ModelConfig, spec: InputSpec, output: OutputSpec) -> keras.Model:
    """Encoder squeezes the input into one context vector; the decoder unrolls K steps
    from that vector alone. (The Attention page adds teacher forcing and attention.)"""
    inputs, x = _inputs(spec, sequence=True)
    context = _stack(config, x, "encoder", last_returns_sequences=False)
    x = layers.RepeatVector(output.steps, name="context_vector")(context)
    decoder_config = ModelConfig(
        pattern=config.pattern,
        cell=config.cell,
        units=config.units,
        layers=config.layers,
        bidirectional=False,
        dropout=config.dropout,
    )
    x = _stack(decoder_config, x, "decoder", last_returns_sequences=True)
    return keras.Model(inputs, _head(x, config, output), name="encoder_decoder")


BUILDERS = {
    "one_to_one": build_one_to_one,
    "one_to_many": build_one_to_many,
    "many_to_one": build_many_to_one,
    "many_to_many": build_many_to_many,
    "encoder_decoder": build_encoder_decoder,
}


@reuse.reusable()
def build_model(config: ModelConfig, spec: InputSpec, output: OutputSpec, seed: int | None = 0) -> keras.Model:
    """Build the configured pattern. Raises ConfigError with every problem found."""
    problems = validate_all(config, spec, output)
    if problems:
        raise ConfigError(problems)
    if seed is not None:
        set_random_seed(seed)
    return BUILDERS[config.pattern](config, spec, output)


def expected_output_shape(config: ModelConfig, spec: InputSpec, output: OutputSpec) -> tuple:
    """The (batch-less) output shape a pattern promises; the tests hold builders to it."""
    if config.pattern in ("one_to_one", "many_to_one"):
        return (output.size,)
    if config.pattern == "many_to_many":
        return (spec.length, output.size)
    return (output.steps, output.size)
