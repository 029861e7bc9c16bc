"""Tensor shapes and parameter counts of the five patterns, derived by hand.

The numbers here are computed from the formulas a student would write on the board
(an LSTM layer has 4·(units·(units + input) + units) weights), *not* read back from
Keras, so the page can show the formula next to every count and the tests can hold the
formulas to `count_params()` of the models `core.engine.models` really builds.

Everything mirrors `core.engine.models`: same layer names, same order, same shapes.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.engine.cells import CELLS
from core.engine.config import InputSpec, ModelConfig, OutputSpec

Shape = tuple[int | None, ...]  # None = the batch dimension


@dataclass(frozen=True)
class LayerParams:
    """One row of the layer table: what the layer outputs and how many weights it has."""

    name: str
    kind: str  # Keras class name, e.g. "LSTM" or "Bidirectional(GRU)"
    output_shape: Shape
    params: int
    formula: str  # the general rule, in words: "4·(units·(units + input) + units)"
    arithmetic: str  # the rule with this layer's numbers: "4·(32·(32 + 64) + 32)"


@dataclass(frozen=True)
class PatternInfo:
    """What a pattern reads and writes, and what it is used for (ui.registry says which pages train it)."""

    title: str
    reads: str
    writes: str
    uses: tuple[str, ...]


PATTERN_INFO: dict[str, PatternInfo] = {
    "one_to_one": PatternInfo(
        "One-to-one",
        "one input (a vector, or a bag of words averaged into one)",
        "one output",
        (
            "the no-recurrence baseline: sentiment from averaged word vectors, ignoring word order",
            "classifying a fixed-size feature vector (a plain dense network)",
        ),
    ),
    "one_to_many": PatternInfo(
        "One-to-many",
        "one input, fed to every step",
        "a sequence of K outputs",
        (
            "image captioning: one image vector in, a sentence out",
            "music generation from a seed (a genre or a first chord)",
            "text from a prompt vector",
        ),
    ),
    "many_to_one": PatternInfo(
        "Many-to-one",
        "a sequence x₁…x_T",
        "one output after the last step",
        (
            "sentiment of a review (positive or negative)",
            "next-day price from the last N days",
            "classifying a sensor recording or a spoken word",
        ),
    ),
    "many_to_many": PatternInfo(
        "Many-to-many (synced)",
        "a sequence x₁…x_T",
        "one output per input step",
        (
            "language modelling: predict the next character at every position",
            "music: the next note at every step",
            "tagging each word (part of speech, named entities)",
        ),
    ),
    "encoder_decoder": PatternInfo(
        "Encoder-decoder",
        "a sequence x₁…x_T (read by the encoder)",
        "another sequence y₁…y_K of a different length (written by the decoder)",
        (
            "machine translation (a sentence in, its translation out)",
            "reformatting text, e.g. dates to ISO format",
            "multi-day price forecasts (next K days)",
        ),
    ),
}


# ----------------------------------------------------------------------------- formulas


def rnn_cell_params(cell: str, units: int, input_size: int, reset_after: bool = True) -> int:
    """Weights of one recurrent cell: kernel (input x units), recurrent kernel (units x units), bias.

    LSTM has four such blocks (input, forget, candidate, output), GRU three (update, reset,
    candidate); Keras' default GRU (`reset_after=True`) keeps separate input and recurrent
    biases, hence 2·units biases per block.
    """
    block = units * (units + input_size)
    if cell == "SimpleRNN":
        return block + units
    if cell == "LSTM":
        return 4 * (block + units)
    if cell == "GRU":
        return 3 * (block + (2 if reset_after else 1) * units)
    raise ValueError(f"Unknown cell {cell!r}")


def rnn_cell_formula(cell: str, units: int, input_size: int, reset_after: bool = True) -> tuple[str, str]:
    """(rule in words, rule with numbers) for one recurrent cell."""
    core_rule = "units·(units + input)"
    core_numbers = f"{units}·({units} + {input_size})"
    if cell == "SimpleRNN":
        return f"{core_rule} + units", f"{core_numbers} + {units}"
    if cell == "LSTM":
        return f"4·({core_rule} + units)", f"4·({core_numbers} + {units})"
    if reset_after:
        return f"3·({core_rule} + 2·units)", f"3·({core_numbers} + 2·{units})"
    return f"3·({core_rule} + units)", f"3·({core_numbers} + {units})"


def dense_params(input_size: int, units: int) -> int:
    return input_size * units + units


# ----------------------------------------------------------------------------- layer table


class _Table:
    """Collects rows while walking a pattern the way its builder does."""

    def __init__(self) -> None:
        self.rows: list[LayerParams] = []

    def add(self, name: str, kind: str, shape: Shape, params: int = 0, formula: str = "", arithmetic: str = ""):
        self.rows.append(
            LayerParams(name, kind, shape, params, formula or "no weights", arithmetic or ("0" if not params else ""))
        )

    def embedding(self, spec: InputSpec, shape: Shape) -> None:
        vocab, dim = spec.vocab_size, spec.embedding_dim
        self.add("embedding", "Embedding", shape, vocab * dim, "vocabulary · embedding size", f"{vocab}·{dim}")

    def dense(self, name: str, input_size: int, units: int, shape: Shape) -> None:
        self.add(
            name,
            "Dense",
            shape,
            dense_params(input_size, units),
            "input·units + units",
            f"{input_size}·{units} + {units}",
        )

    def recurrent(
        self, name: str, config: ModelConfig, input_size: int, steps: int, sequences: bool, bidirectional: bool
    ) -> int:
        """Add one recurrent layer; returns the width of what it outputs (2·units if bidirectional)."""
        params = rnn_cell_params(config.cell, config.units, input_size)
        formula, arithmetic = rnn_cell_formula(config.cell, config.units, input_size)
        width = config.units * (2 if bidirectional else 1)
        kind = config.cell
        if bidirectional:
            params, kind = 2 * params, f"Bidirectional({config.cell})"
            formula, arithmetic = f"2 × [{formula}]", f"2 × [{arithmetic}]"
        shape = (None, steps, width) if sequences else (None, width)
        self.add(name, kind, shape, params, formula, arithmetic)
        return width

    def stack(self, config: ModelConfig, prefix: str, input_size: int, steps: int, last_sequences: bool, bidi: bool):
        width = input_size
        for i in range(1, config.layers + 1):
            sequences = i < config.layers or last_sequences
            width = self.recurrent(f"{prefix}_{i}", config, width, steps, sequences, bidi)
        return width

    def head(self, config: ModelConfig, output: OutputSpec, input_size: int, steps: int | None) -> None:
        shape_in: Shape = (None, steps, input_size) if steps else (None, input_size)
        if config.dropout > 0:
            self.add("output_dropout", "Dropout", shape_in)
        shape_out: Shape = (None, steps, output.size) if steps else (None, output.size)
        self.dense("output", input_size, output.size, shape_out)


def pooling(kind: str, spec: InputSpec) -> str:
    """A pooling layer's type: "(masked)" when padding is masked - it then pools over the real steps only
    (core.engine.models' MaskedGlobal*Pooling1D), which Keras' own pooling layers would not."""
    return f"{kind} (masked)" if spec.vocab_size is not None and spec.mask_zero else kind


def layer_table(config: ModelConfig, spec: InputSpec, output: OutputSpec) -> list[LayerParams]:
    """Every layer `core.engine.models.build_model` creates, with its output shape and weight count."""
    table = _Table()
    tokens = spec.vocab_size is not None
    step_size = spec.embedding_dim if tokens else spec.features
    bidi = config.bidirectional
    pattern = config.pattern
    if pattern == "one_to_one":
        if tokens:
            table.embedding(spec, (None, spec.length, spec.embedding_dim))
            table.add("average_pool", pooling("GlobalAveragePooling1D", spec), (None, spec.embedding_dim))
        table.dense("dense_hidden", step_size, config.dense_units, (None, config.dense_units))
        table.head(config, output, config.dense_units, None)
    elif pattern == "one_to_many":
        if tokens:
            table.embedding(spec, (None, 1, spec.embedding_dim))
            table.add("flatten", "Flatten", (None, spec.embedding_dim))
        table.add("repeat_input", "RepeatVector", (None, output.steps, step_size))
        width = table.stack(config, "rnn", step_size, output.steps, True, bidi)
        table.head(config, output, width, output.steps)
    elif pattern == "many_to_one":
        if tokens:
            table.embedding(spec, (None, spec.length, spec.embedding_dim))
        pooled = config.readout != "last"
        width = table.stack(config, "rnn", step_size, spec.length, pooled, bidi)
        if config.readout == "mean":
            table.add("mean_over_time", pooling("GlobalAveragePooling1D", spec), (None, width))
        elif config.readout == "max":
            table.add("max_over_time", pooling("GlobalMaxPooling1D", spec), (None, width))
        table.head(config, output, width, None)
    elif pattern == "many_to_many":
        if tokens:
            table.embedding(spec, (None, spec.length, spec.embedding_dim))
        width = table.stack(config, "rnn", step_size, spec.length, True, bidi)
        table.head(config, output, width, spec.length)
    elif pattern == "encoder_decoder":
        if tokens:
            table.embedding(spec, (None, spec.length, spec.embedding_dim))
        context = table.stack(config, "encoder", step_size, spec.length, False, bidi)
        table.add("context_vector", "RepeatVector", (None, output.steps, context))
        width = table.stack(config, "decoder", context, output.steps, True, False)
        table.head(config, output, width, output.steps)
    else:
        raise ValueError(f"Unknown pattern {pattern!r}")
    return table.rows


def total_params(rows: list[LayerParams]) -> int:
    return sum(r.params for r in rows)


# ----------------------------------------------------------------------------- shapes


def input_shape(config: ModelConfig, spec: InputSpec) -> Shape:
    """The batch-first shape of the model's input tensor (tokens are ids, so no feature axis)."""
    tokens = spec.vocab_size is not None
    # One-to-many reads a single vector; one-to-one reads one vector, or a whole bag of tokens.
    sequence = config.pattern != "one_to_many" and (config.pattern != "one_to_one" or tokens)
    if tokens:
        return (None, spec.length) if sequence else (None, 1)
    return (None, spec.length, spec.features) if sequence else (None, spec.features)


def output_shape(config: ModelConfig, spec: InputSpec, output: OutputSpec) -> Shape:
    if config.pattern in ("one_to_one", "many_to_one"):
        return (None, output.size)
    if config.pattern == "many_to_many":
        return (None, spec.length, output.size)
    return (None, output.steps, output.size)


def format_shape(shape: Shape) -> str:
    """(None, 200, 64) -> "(batch, 200, 64)"."""
    return "(" + ", ".join("batch" if d is None else f"{d:,}" for d in shape) + ")"


def step_sizes(config: ModelConfig, spec: InputSpec, output: OutputSpec) -> dict[str, int]:
    """Size of one time step's vectors: x_t going in, h_t inside, y_t coming out."""
    x_size = spec.embedding_dim if spec.vocab_size is not None else spec.features
    sizes = {"x_t": x_size, "h_t": config.units, "y_t": output.size}
    if config.pattern == "one_to_one":
        sizes["h_t"] = config.dense_units
    if config.pattern == "encoder_decoder":
        sizes["context"] = config.units * (2 if config.bidirectional else 1)
    return sizes


def shape_rows(config: ModelConfig, spec: InputSpec, output: OutputSpec) -> list[dict[str, str]]:
    """The tensor-shape table: the model's input and output, and one step's x_t, h_t, y_t (and c)."""
    sizes = step_sizes(config, spec, output)
    hidden = "h_t (hidden state)" if config.pattern != "one_to_one" else "hidden dense layer"
    rows = [
        {"tensor": "model input", "shape": format_shape(input_shape(config, spec))},
        {"tensor": "model output", "shape": format_shape(output_shape(config, spec, output))},
        {"tensor": "x_t (one input step)", "shape": f"({sizes['x_t']},)"},
        {"tensor": hidden, "shape": f"({sizes['h_t']},)"},
        {"tensor": "y_t (one output step)", "shape": f"({sizes['y_t']},)"},
    ]
    if "context" in sizes:
        rows.append({"tensor": "context vector c", "shape": f"({sizes['context']},)"})
    return rows


# ----------------------------------------------------------------------------- against Keras, and across cells


def layer_rows(rows: list[LayerParams], keras_counts: dict[str, int]) -> list[dict[str, object]]:
    """The layer table: every layer's formula and count beside Keras' own `count_params()`."""
    return [
        {
            "layer": r.name,
            "type": r.kind,
            "output shape": format_shape(r.output_shape),
            "parameters": r.params,
            "formula": r.formula,
            "with these sizes": r.arithmetic,
            "Keras count_params()": keras_counts.get(r.name),
        }
        for r in rows
    ]


def counts_agree(rows: list[LayerParams], keras_counts: dict[str, int]) -> bool:
    """True when every layer's formula gives Keras' count and Keras has no layer the table misses."""
    return all(keras_counts.get(r.name) == r.params for r in rows) and sum(keras_counts.values()) == total_params(rows)


def first_recurrent(rows: list[LayerParams]) -> LayerParams | None:
    return next((r for r in rows if r.name in ("rnn_1", "encoder_1")), None)


def cell_comparison(units: int, input_size: int) -> list[dict[str, object]]:
    """One direction of a recurrent layer of this width, for each cell type: its weights and their formula."""
    return [
        {
            "cell": cell,
            "weights of one direction of the first layer": rnn_cell_params(cell, units, input_size),
            "formula": " = ".join(rnn_cell_formula(cell, units, input_size)),
        }
        for cell in CELLS
    ]


# ----------------------------------------------------------------------------- what the diagram shows


def pattern_note(config: ModelConfig) -> str:
    """One sentence on where this pattern's outputs come from, for under its diagram."""
    pattern = config.pattern
    if pattern == "one_to_one":
        return "One-to-one has no recurrence at all: it is the baseline that shows what reading in order adds."
    if pattern == "one_to_many":
        return "One-to-many feeds the single input x at every step; the state is what makes the outputs differ."
    if pattern == "many_to_one" and config.readout == "last":
        tail = (
            " With a bidirectional layer y sees →h_T and ←h_1: each direction's *final* state."
            if config.bidirectional
            else ""
        )
        return "Many-to-one answers once, from the last state h_T only." + tail
    if pattern == "many_to_one":
        return (
            f"Here y reads the {config.readout} of the states of all steps, so early words reach the output directly."
        )
    if pattern == "many_to_many":
        return "Many-to-many (synced) emits y_t at every step from h_t - one output per input."
    return (
        "The encoder's last state becomes the context vector c - the *only* thing the decoder learns about "
        "the input. The decoder starts from zero and reads c at every step: a bottleneck the Attention page removes."
    )
