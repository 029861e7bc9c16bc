"""Architectures & inside the cell: the page a teacher opens first.

Three tabs: (1) the architecture explorer - any pattern x cell x direction x depth drawn
unrolled through time, with tensor shapes and a parameter table that shows its formulas;
(2) inside the cell - a model trained on any page of this session (or a fresh one) reads a
sequence, and every hidden state and gate is recomputed from its weights and drawn per
unit and step; (3) word embeddings of an IMDb model.

Widgets -> ExplorerChoice -> core (diagrams, parameters, cell_internals, embeddings) -> charts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import streamlit as st

from core.cells.diagrams import unrolled_diagram
from core.cells.parameters import (
    PATTERN_INFO,
    format_shape,
    input_shape,
    layer_table,
    output_shape,
    rnn_cell_formula,
    rnn_cell_params,
    step_sizes,
    total_params,
)
from core.data.local import DATA_ENV_VAR
from core.engine import limits
from core.engine.config import PATTERNS, InputSpec, ModelConfig, OutputSpec, TrainConfig, validate_all
from ui import controls
from ui.registry import PAGES, available_pages
from ui.training_panel import training_panel

KEY = "architectures"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODEL = ModelConfig(pattern="many_to_one", cell="LSTM", units=32, readout="last")
DEFAULT_REVIEW = (
    "The film starts slowly and the first hour is dull, but the ending is wonderful and moving. "
    "Great acting, I loved it."
)
DEFAULT_LINE = "To be, or not to be, that is the question."
FRESH, QUICK = "fresh", "quick"


@dataclass(frozen=True)
class ExplorerChoice:
    """What the sidebar describes: an architecture, its input and output, how much to draw."""

    model: ModelConfig
    spec: InputSpec
    output: OutputSpec
    max_drawn: int


# ----------------------------------------------------------------------------- sidebar


def sidebar() -> ExplorerChoice:
    st.sidebar.header("Architecture")
    model = controls.model_controls(KEY, DEFAULT_MODEL, patterns=PATTERNS, show_readout=True, container=st.sidebar)
    with st.sidebar.expander("Input and output", expanded=True):
        words = (
            st.radio(
                "Each input step is",
                ["a word (token id → embedding)", "a vector of numbers"],
                key=f"{KEY}:input_kind",
                help="Words go through an Embedding layer first; numbers (prices, sensor readings) go in directly.",
            )
            == "a word (token id → embedding)"
        )
        if words:
            vocab = st.number_input("Vocabulary size", 2, limits.MAX_VOCABULARY, 10_000, 1000, key=f"{KEY}:vocab")
            embedding = st.select_slider("Embedding size", [4, 8, 16, 32, 64, 128, 256], 64, key=f"{KEY}:embedding")
            spec_kwargs = {"vocab_size": int(vocab), "embedding_dim": int(embedding)}
        else:
            features = st.slider("Numbers per step (features)", 1, limits.MAX_FEATURES, 1, key=f"{KEY}:features")
            spec_kwargs = {"features": int(features)}
        reads_sequence = model.pattern != "one_to_many" and (model.pattern != "one_to_one" or words)
        length = st.slider(
            "Input sequence length T",
            1,
            limits.MAX_SEQUENCE_LENGTH,
            200,
            key=f"{KEY}:length",
            disabled=not reads_sequence,
            help="Time steps the network reads (words of a review, days of prices).",
        )
        writes_sequence = model.pattern in ("one_to_many", "encoder_decoder")
        steps = st.slider(
            "Output steps K",
            1,
            limits.MAX_OUTPUT_STEPS,
            10,
            key=f"{KEY}:steps",
            disabled=not writes_sequence,
            help="One-to-many and encoder-decoder write a sequence of their own length.",
        )
        size = st.number_input(
            "Output size (classes or values per step)",
            1,
            limits.MAX_VOCABULARY,
            1,
            key=f"{KEY}:output_size",
            help="1 for a yes/no probability or one number; the number of classes for a softmax.",
        )
    max_drawn = st.sidebar.slider(
        "Time steps drawn", 2, 10, 5, key=f"{KEY}:drawn", help="Longer sequences are drawn with '…' in the middle."
    )
    spec = InputSpec(length=int(length), **spec_kwargs)
    output = OutputSpec(size=int(size), activation="sigmoid" if size == 1 else "softmax", steps=int(steps))
    return ExplorerChoice(model, spec, output, int(max_drawn))


# ----------------------------------------------------------------------------- tab 1: explorer


DIAGRAM_HELP = (
    "**How to read it.** Time runs left to right, data flows bottom to top. Every box in a row is the "
    "*same* cell with the *same* weights, applied once per time step - that is what 'recurrent' means. "
    "The grey arrows along a row carry the hidden state h_(t-1) into step t (the first step starts from "
    "h_0 = 0). A bidirectional layer adds a second row (←) that reads the sequence backwards; the layer "
    "above sees both rows side by side. Try switching the pattern: watch where the outputs y appear."
)


def explorer(choice: ExplorerChoice) -> None:
    problems = validate_all(choice.model, choice.spec, choice.output)
    if problems:
        controls.show_problems(problems)
        return
    info = PATTERN_INFO[choice.model.pattern]
    st.subheader(f"{info.title}, unrolled through time")
    dot = unrolled_diagram(
        choice.model,
        choice.spec.length,
        choice.output.steps,
        choice.max_drawn,
        tokens=choice.spec.vocab_size is not None,
    )
    st.graphviz_chart(dot, width="stretch")
    st.caption(DIAGRAM_HELP + " " + pattern_note(choice.model))
    left, right = st.columns([3, 2])
    with left:
        shapes(choice)
    with right:
        uses(choice.model.pattern)
    parameter_table(choice)


def pattern_note(model: ModelConfig) -> str:
    pattern = model.pattern
    if pattern == "one_to_one":
        return "One-to-one has no recurrence at all: it is the baseline that shows what reading in order adds."
    if pattern == "one_to_many":
        return "One-to-many feeds the single input x at every step; the state is what makes the outputs differ."
    if pattern == "many_to_one" and model.readout == "last":
        tail = (
            " With a bidirectional layer y sees →h_T and ←h_1: each direction's *final* state."
            if model.bidirectional
            else ""
        )
        return "Many-to-one answers once, from the last state h_T only." + tail
    if pattern == "many_to_one":
        return f"Here y reads the {model.readout} of the states of all steps, so early words reach the output directly."
    if pattern == "many_to_many":
        return "Many-to-many (synced) emits y_t at every step from h_t - one output per input."
    return (
        "The encoder's last state becomes the context vector c - the *only* thing the decoder learns about "
        "the input. The decoder starts from zero and reads c at every step: a bottleneck the Attention page removes."
    )


def shapes(choice: ExplorerChoice) -> None:
    st.markdown("**Tensor shapes**")
    sizes = step_sizes(choice.model, choice.spec, choice.output)
    rows = [
        {"tensor": "model input", "shape": format_shape(input_shape(choice.model, choice.spec))},
        {"tensor": "model output", "shape": format_shape(output_shape(choice.model, choice.spec, choice.output))},
        {"tensor": "x_t (one input step)", "shape": f"({sizes['x_t']},)"},
        {
            "tensor": "h_t (hidden state)" if choice.model.pattern != "one_to_one" else "hidden dense layer",
            "shape": f"({sizes['h_t']},)",
        },
        {"tensor": "y_t (one output step)", "shape": f"({sizes['y_t']},)"},
    ]
    if "context" in sizes:
        rows.append({"tensor": "context vector c", "shape": f"({sizes['context']},)"})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption(
        "'batch' is however many examples go through together. Token inputs are ids (one integer per step); "
        "the Embedding layer turns each id into the vector x_t. A cell's hidden state has `units` numbers "
        "(twice that when bidirectional, since both directions are concatenated)."
    )


def uses(pattern: str) -> None:
    info = PATTERN_INFO[pattern]
    st.markdown(f"**{info.title}** reads {info.reads} and writes {info.writes}. Typical uses:")
    st.markdown("\n".join(f"- {use}" for use in info.uses))
    pages = {p.path: p for p in available_pages(ROOT)}
    links = [pages[path] for path in info.pages if path in pages]
    if links:
        st.markdown("**Train one on:**")
        for page in links:
            st.page_link(page.path, label=page.title, icon=page.icon)


def parameter_table(choice: ExplorerChoice) -> None:
    from ui.architectures_data import keras_parameter_counts

    st.markdown("**Layers and parameters**")
    rows = layer_table(choice.model, choice.spec, choice.output)
    keras_counts = keras_parameter_counts(choice.model, choice.spec, choice.output)
    frame = pd.DataFrame(
        [
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
    )
    st.dataframe(frame, hide_index=True, width="stretch")
    total = total_params(rows)
    agree = all(keras_counts.get(r.name) == r.params for r in rows) and sum(keras_counts.values()) == total
    c1, c2 = st.columns(2)
    c1.metric("Total parameters", f"{total:,}")
    c2.metric("Memory for the weights (float32)", f"{total * 4 / 1e6:.2f} MB")
    if agree:
        st.caption(
            "Every count comes from the formula beside it and agrees with Keras' own `count_params()`. "
            "'input' is the size of what the layer reads at one step (the embedding size, or the width of the "
            "layer below). LSTM has 4 weight blocks (input, forget, candidate, output), GRU 3 (update, reset, "
            "candidate; Keras' default GRU has two biases per block), SimpleRNN 1. Bidirectional doubles a layer."
        )
    else:
        st.warning("The formulas and Keras disagree for this configuration - please report it.")
    cell_comparison(choice, rows)


def cell_comparison(choice: ExplorerChoice, rows) -> None:
    """The first recurrent layer's weights for each cell type, side by side."""
    recurrent = next((r for r in rows if r.name in ("rnn_1", "encoder_1")), None)
    if recurrent is None:
        return
    units = choice.model.units
    x_size = step_sizes(choice.model, choice.spec, choice.output)["x_t"]
    table = pd.DataFrame(
        [
            {
                "cell": cell,
                "weights of one direction of the first layer": rnn_cell_params(cell, units, x_size),
                "formula": " = ".join(rnn_cell_formula(cell, units, x_size)),
            }
            for cell in ("SimpleRNN", "LSTM", "GRU")
        ]
    )
    with st.expander("Compare the cells: same width, different weight counts"):
        st.dataframe(table, hide_index=True, width="stretch")
        st.caption(
            f"With {units} units reading {x_size}-number inputs: the gates cost weights. An LSTM has four times "
            "the weights of a SimpleRNN of the same width and a GRU three times - the price of remembering for long."
        )


# ----------------------------------------------------------------------------- tab 2: inside the cell


@dataclass(frozen=True)
class QuickData:
    num_words: int = 2000
    max_length: int = 80
    train_size: int = 2000
    embedding_dim: int = 16


@dataclass(frozen=True)
class QuickRun:
    """A small IMDb model trained here in seconds (same fields as the Sentiment page's run)."""

    data: QuickData
    model: ModelConfig
    train: TrainConfig
    local_path: str = ""


def quick_run(choice: ExplorerChoice) -> QuickRun:
    cell_model = ModelConfig(
        pattern="many_to_one",
        cell=choice.model.cell,
        units=16,
        bidirectional=choice.model.bidirectional,
        readout="last",
    )
    return QuickRun(
        QuickData(),
        cell_model,
        TrainConfig(epochs=2, batch_size=64, learning_rate=1e-2),
        os.environ.get(DATA_ENV_VAR, ""),
    )


def make_quick_work(run: QuickRun):
    from ui import data_cache

    arrays = data_cache.imdb_arrays(run.local_path, run.data.num_words, run.data.max_length)
    vocab_size = data_cache.imdb_capped(run.local_path, run.data.num_words).vocab.num_words

    def work(progress, stop):
        from core.engine.models import build_model
        from core.engine.trainer import Trainer

        progress.set_phase("Building the model")
        spec = InputSpec(length=run.data.max_length, vocab_size=vocab_size, embedding_dim=run.data.embedding_dim)
        model = build_model(run.model, spec, OutputSpec(size=1, activation="sigmoid"), seed=run.train.seed)
        x, y = arrays["x_train"], arrays["y_train"]
        n_val = min(500, max(1, len(y) // 5))  # held out from the end of the training split
        n_train = min(run.data.train_size, len(y) - n_val)
        result = Trainer(model, "binary_crossentropy", ["accuracy"], run.train).fit(
            x[:n_train], y[:n_train], validation=(x[-n_val:], y[-n_val:]), callbacks=[progress], stop=stop
        )
        return {"result": result, "model": model, "run": run}

    return work


def page_title(panel_key: str) -> str:
    for page in PAGES:
        if page.url_path.replace("-", "_") == panel_key:
            return page.title
    return panel_key.replace("_", " ")


def trained_models() -> dict[str, dict]:
    """Finished jobs of every page's training panel in this session: panel key -> job output."""
    found = {}
    for state_key in list(st.session_state.keys()):
        if not str(state_key).startswith("panel:") or state_key == f"panel:{KEY}":
            continue
        job = getattr(st.session_state[state_key], "job", None)
        output = getattr(job, "output", None)
        if job is not None and job.state == "done" and isinstance(output, dict) and output.get("model") is not None:
            found[str(state_key)[len("panel:") :]] = output
    return found


def still_training() -> list[str]:
    keys = []
    for state_key in list(st.session_state.keys()):
        job = getattr(st.session_state[state_key], "job", None) if str(state_key).startswith("panel:") else None
        if job is not None and job.running and state_key != f"panel:{KEY}":
            keys.append(page_title(str(state_key)[len("panel:") :]))
    return keys


def imdb_run(output: dict | None):
    """The output's run when it is an IMDb run (Sentiment page or quick-train), else None."""
    run = (output or {}).get("run")
    data = getattr(run, "data", None)
    if all(hasattr(data, name) for name in ("num_words", "max_length")) and hasattr(run, "local_path"):
        return run
    return None


def source_label(source: str) -> str:
    if source == FRESH:
        return "A fresh model with random weights (the architecture in the sidebar)"
    if source == QUICK:
        return "Quick-train a small model on IMDb here (under a minute)"
    return f"The model trained on the {page_title(source)} page"


def pick_model(choice: ExplorerChoice) -> tuple[str, object, dict | None]:
    """(source, keras model or None, the job output) for the model the user picks."""
    trained = trained_models()
    options = [*trained, FRESH, QUICK]
    # A model that finished training since the last visit is what the user wants to open: select it.
    seen = st.session_state.setdefault(f"{KEY}:seen_models", set())
    new = [key for key, output in trained.items() if (key, id(output)) not in seen]
    seen.update((key, id(output)) for key, output in trained.items())
    if new:
        st.session_state[f"{KEY}:source"] = new[-1]
    source = st.selectbox("Which model?", options, format_func=source_label, key=f"{KEY}:source")
    if running := still_training():
        st.caption(f"Still training: {', '.join(running)}. Those models appear here when they finish.")
    if source == FRESH:
        return source, fresh_model(choice), None
    if source == QUICK:
        run = quick_run(choice)
        job = training_panel(
            KEY,
            start=lambda: make_quick_work(run),
            config=run,
            metric="accuracy",
            metric_label="accuracy",
            train_label="Train quickly",
        )
        if job is None or job.state != "done":
            return source, None, None
        return source, job.output["model"], job.output
    output = trained[source]
    return source, output["model"], output


def fresh_model(choice: ExplorerChoice):
    """The sidebar's architecture with random weights, reading one number per step."""
    from core.engine.models import build_model

    pattern = choice.model.pattern if choice.model.pattern != "one_to_one" else "many_to_one"
    if choice.model.pattern == "one_to_one":
        st.info("One-to-one has no recurrent cell, so the fresh model here is many-to-one with the same cell.")
    left, right = st.columns([3, 1])
    steps = left.slider("Steps the fresh model reads", 5, 200, 40, key=f"{KEY}:fresh_steps")
    if right.button("New random weights", key=f"{KEY}:reseed"):
        st.session_state[f"{KEY}:seed"] = st.session_state.get(f"{KEY}:seed", 0) + 1
    seed = st.session_state.get(f"{KEY}:seed", 0)
    config = replace(choice.model, pattern=pattern, dropout=0.0)
    spec = InputSpec(length=steps, features=1)
    output = OutputSpec(size=1, activation="sigmoid", steps=min(choice.output.steps, 30))
    signature = (config, spec, output, seed)
    cached = st.session_state.get(f"{KEY}:fresh")
    if cached is None or cached[0] != signature:
        cached = (signature, build_model(config, spec, output, seed=seed))
        st.session_state[f"{KEY}:fresh"] = cached
    return cached[1]


def choose_input(source: str, output: dict | None, route):
    """Build the Example to feed, from the widgets that suit this model's input."""
    from core.cells import inputs as cell_inputs
    from core.cells.inputs import NotInterpretable

    run = imdb_run(output)
    try:
        if run is not None and route.tokens:
            return review_input(run, route)
        codec = cell_inputs.text_codec(output, route.vocab_size) if output else None
        if codec is not None and route.tokens:
            text = st.text_input("A line of text to feed", DEFAULT_LINE, key=f"{KEY}:line:{source}")
            return cell_inputs.codec_example(codec, text, route)
        stored = cell_inputs.example_arrays(output, route) if output else None
        if stored is not None:
            where, array = stored
            index = st.slider(f"Stored example (from {where})", 1, len(array), 1, key=f"{KEY}:example:{source}")
            return cell_inputs.stored_example(where, array, index - 1, route)
        if not route.tokens:
            return numbers_input(source, route)
        return cell_inputs.random_token_example(route, 30)
    except NotInterpretable as err:
        st.warning(str(err))
        return None


def review_input(run, route):
    from core.cells.inputs import NotInterpretable, token_example
    from core.data import imdb
    from ui import data_cache

    text = st.text_area("A review to feed", DEFAULT_REVIEW, height=80, key=f"{KEY}:review")
    vocab = data_cache.imdb_capped(run.local_path, run.data.num_words).vocab
    encoded = imdb.encode_user_text(vocab, text, run.data.max_length)
    if encoded.problem:
        raise NotInterpretable(encoded.problem)
    labels = [vocab.decode([i], skip_padding=False) for i in encoded.ids]
    example = token_example([int(i) for i in encoded.ids], labels, route, "your review")
    notes = [f"{encoded.words} words, {encoded.unknown} outside the model's vocabulary (shown as <?>)."]
    if encoded.truncated:
        notes.append(f"Only the last {run.data.max_length} tokens fit.")
    st.caption(" ".join(notes))
    return example


def numbers_input(source: str, route):
    from core.cells import inputs as cell_inputs

    kinds = [*cell_inputs.SIGNALS, "numbers I type"]
    kind = st.radio("Input sequence", kinds, horizontal=True, key=f"{KEY}:signal:{source}")
    if kind == "numbers I type":
        text = st.text_input(
            "Numbers (for example a price window)",
            "101.2, 102.0, 101.7, 103.4, 104.1, 103.9, 105.2, 104.8, 106.0, 107.3",
            key=f"{KEY}:numbers:{source}",
        )
        values = cell_inputs.parse_numbers(text)
        scale = st.checkbox(
            "Standardise (mean 0, spread 1), as the training pages do", True, key=f"{KEY}:scale:{source}"
        )
        return cell_inputs.numbers_example(values, route, scale)
    return cell_inputs.signal_example(kind, route, 40)


@dataclass
class Analysis:
    """One traced sequence: the per-step states and gates, and the proof they are right."""

    traces: list
    check: object
    identity_error: float
    labels: list[str]
    padding: int
    prediction: float | None


def analyse(model, recurrent, feeder, example) -> Analysis:
    """Trace every direction of the layer for the example (memoised per model, layer and input)."""
    from core.cells.inputs import step_labels
    from core.cells.internals import check_against_keras, check_gate_identities, trace_layer

    memo_key = (id(model), recurrent.name, example.x.shape, example.x.tobytes())
    if (cached := remembered(f"{KEY}:memo", memo_key, model)) is not None:
        return cached
    sequence, mask, initial = feeder(example.x)
    traces = trace_layer(recurrent, sequence, mask, initial)
    check = check_against_keras(recurrent, sequence, traces, mask)
    labels, padding = step_labels(example, traces[0].steps)
    analysis = Analysis(
        traces,
        check,
        max(check_gate_identities(t) for t in traces),
        labels,
        padding,
        single_output(model, example.x),
    )
    return remember(f"{KEY}:memo", memo_key, model, analysis)


def remembered(store: str, key: tuple, model):
    """A value memoised for `model` in this session, or None.

    Keys start with id(model); the entry also holds the model itself, so a new model that
    happens to get a freed model's id never sees the old model's results.
    """
    entry = st.session_state.get(store, {}).get(key)
    return entry[1] if entry is not None and entry[0] is model else None


def remember(store: str, key: tuple, model, value, size: int = 6):
    memo = st.session_state.setdefault(store, {})
    if len(memo) >= size:
        memo.clear()
    memo[key] = (model, value)
    return value


def single_output(model, x: np.ndarray) -> float | None:
    """The model's prediction when it is one number (a sentiment probability); None otherwise."""
    from core.cells.internals import walk_layers

    if any(getattr(layer, "stateful", False) for layer in walk_layers(model)) or len(model.inputs) != 1:
        return None  # predicting would change a stateful model's memory
    if tuple(model.outputs[0].shape[1:]) != (1,):
        return None
    return float(np.asarray(model.predict(x, verbose=0)).reshape(-1)[0])


CELL_HELP = {
    "SimpleRNN": "A SimpleRNN has no gates: its whole memory is h_t, rewritten at every step.",
    "LSTM": (
        "An LSTM keeps a separate cell state c_t. The forget gate f_t decides how much of it survives each step, "
        "the input gate i_t how much of the candidate g_t is added, the output gate o_t how much is shown as h_t."
    ),
    "GRU": (
        "A GRU blends old and new: the update gate z_t near 1 keeps h_(t-1), near 0 takes the candidate h̃_t; "
        "the reset gate r_t decides how much of the old state the candidate may look at."
    ),
}


def inside_the_cell(choice: ExplorerChoice) -> None:
    from core.cells.inputs import feeder_for
    from core.cells.internals import NotInterpretable, recurrent_layers

    st.markdown(
        "Feed one sequence to a recurrent layer and see every number it computes: the hidden state h_t, and for "
        "gated cells the gates. They are **recomputed by hand from the layer's own weights** with the textbook "
        "equations, then checked against what Keras computes."
    )
    source, model, output = pick_model(choice)
    if model is None:
        return
    layers = recurrent_layers(model)
    if not layers:
        st.warning(
            "This model has no SimpleRNN, LSTM or GRU layer (a one-to-one baseline, perhaps), so there is no cell "
            "to open. Its word embeddings may still be in the next tab."
        )
        return
    index = 0
    if len(layers) > 1:
        index = st.selectbox(
            "Recurrent layer",
            range(len(layers)),
            format_func=lambda i: layers[i].describe(),
            key=f"{KEY}:layer:{source}",
        )
    recurrent = layers[min(index, len(layers) - 1)]
    try:
        feeder = feeder_for(model, recurrent)
    except NotInterpretable as err:
        st.warning(f"Can't feed this layer: {err}")
        return
    st.caption(f"Layer **{recurrent.describe()}**; the model reads {feeder.route.describe()}.")
    example = choose_input(source, output, feeder.route)
    if example is None:
        return
    if example.notice:
        st.caption(example.notice)
    try:
        with st.spinner("Tracing the cell step by step…"):
            analysis = analyse(model, recurrent, feeder, example)
    except NotInterpretable as err:
        st.warning(str(err))
        return
    show_analysis(recurrent, analysis, run_is_imdb=imdb_run(output) is not None)


def show_analysis(recurrent, analysis: Analysis, run_is_imdb: bool) -> None:
    from core.cells import charts as cell_charts
    from core.cells.internals import equations

    check = analysis.check
    if check.ok and analysis.identity_error < 1e-9:
        st.success(
            f"Recomputed from the layer's weights: matches Keras at every step (largest difference "
            f"{check.max_difference:.1e}, tolerance {check.tolerance:.0e})."
        )
    else:
        st.error(
            "The hand computation does not match Keras for this layer "
            f"(largest difference {check.max_difference:.2e}); the charts below may be wrong."
        )
    with st.expander("The equations and the check", expanded=False):
        trace = analysis.traces[0]
        for line in equations(recurrent.cell, trace.reset_after):
            st.latex(line)
        st.caption(CELL_HELP[recurrent.cell] + " σ is the sigmoid, ⊙ multiplies element by element.")
        st.dataframe(
            pd.DataFrame([{"compared": k, "max |difference|": v} for k, v in check.differences.items()]),
            hide_index=True,
        )
    if analysis.prediction is not None:
        label = "P(positive)" if run_is_imdb else "model output"
        st.metric(label, f"{analysis.prediction:.3f}", help="What the whole model outputs for this input.")

    trace = analysis.traces[0]
    if len(analysis.traces) > 1:
        direction = st.radio(
            "Direction",
            ["forward", "backward"],
            horizontal=True,
            key=f"{KEY}:direction",
            help="The backward layer reads the sequence from the end; its state at step t has seen x_t … x_T.",
        )
        trace = analysis.traces[0 if direction == "forward" else 1]
    quantities = trace.quantities()
    left, middle, right = st.columns([3, 2, 2])
    chosen = left.radio(
        "Show",
        [q.key for q in quantities],
        format_func=lambda k: cell_charts.QUANTITIES[k].label,
        horizontal=True,
        key=f"{KEY}:quantity:{trace.cell}",
    )
    quantity = cell_charts.QUANTITIES[chosen]
    max_units = min(cell_charts.MAX_UNITS_SHOWN, trace.units)
    unit_count = middle.slider(
        "Units shown (most active first)", 1, max_units, min(32, max_units), key=f"{KEY}:units_shown"
    )
    include_padding = False
    if analysis.padding:
        include_padding = right.checkbox(
            f"Include the {analysis.padding} padding steps",
            False,
            key=f"{KEY}:padding",
            help="Short inputs are padded at the front; the cell reads the padding too.",
        )
    values = trace.values[chosen]
    steps = cell_charts.shown_steps(trace.steps, analysis.padding, include_padding=include_padding)
    units = cell_charts.most_active_units(values[list(steps)], unit_count)
    frame = cell_charts.activation_frame(values, analysis.labels, units, steps)
    title = f"{quantity.label} of {recurrent.name} ({trace.direction})"
    st.altair_chart(cell_charts.unit_explorer(frame, quantity, title, units[0]))
    st.caption(
        f"**What to look for.** Each row is one unit (one number of {quantity.symbol}), each column one input "
        f"step; {quantity.symbol}: {quantity.meaning}. **Point at a cell** of the heatmap: the line below shows "
        "that unit across the sequence, and the text below shades every input by it - units that light up on "
        "'not', on full stops or on strong words are the cell's feature detectors. Steps before the first real "
        "token are left out unless you include the padding."
    )
    if len(steps) < trace.steps and not include_padding and trace.steps - analysis.padding > len(steps):
        st.caption(f"Only the last {len(steps)} steps are drawn.")
    gates = cell_charts.gate_means_chart(trace, analysis.labels, steps)
    if gates is not None:
        st.altair_chart(gates, width="stretch")
        st.caption(
            "**What to look for.** The gates averaged over all units. A dip of the forget gate (LSTM) or of "
            "the update gate (GRU) marks a step where the cell throws away much of what it held - often at a "
            "full stop, a 'but', or a jump in the signal. Flat lines mean the cell treats every step alike."
        )
    with st.expander("Which inputs move each unit most"):
        st.dataframe(cell_charts.unit_summary(values, analysis.labels, units, steps), hide_index=True)


# ----------------------------------------------------------------------------- tab 3: embeddings


def word_embeddings(choice: ExplorerChoice) -> None:
    from core.cells import charts as cell_charts
    from core.cells import embeddings
    from ui import data_cache

    candidates = {key: out for key, out in trained_models().items() if imdb_run(out) is not None}
    quick = st.session_state.get(f"panel:{KEY}")
    if quick is not None and quick.job.state == "done" and imdb_run(quick.job.output) is not None:
        candidates[QUICK] = quick.job.output
    if not candidates:
        st.info(
            "Train a model on the **Sentiment** page (the Tiny preset takes seconds), or quick-train one in the "
            "*Inside the cell* tab, to see the word vectors it learns."
        )
        return
    key = next(iter(candidates))
    if len(candidates) > 1:
        key = st.selectbox("Model", list(candidates), format_func=source_label, key=f"{KEY}:emb_source")
    output = candidates[key]
    run, model = imdb_run(output), output["model"]
    matrix = embeddings.embedding_matrix(model)
    if matrix is None:
        st.warning("This model has no Embedding layer.")
        return
    vocab = data_cache.imdb_capped(run.local_path, run.data.num_words).vocab
    usable = min(run.data.num_words, len(matrix), vocab.distinct_words + 4)  # ids 0-3 are reserved
    c1, c2, c3, c4 = st.columns(4)
    count = c1.slider("Words plotted", 50, 1000, 300, 50, key=f"{KEY}:emb_count")
    skip = c2.slider(
        "Skip the most frequent", 0, 200, 20, key=f"{KEY}:emb_skip", help="'the', 'a', 'and' carry little sentiment."
    )
    word = c3.text_input("Word to inspect", "great", key=f"{KEY}:emb_word").strip().lower()
    k = c4.slider("Neighbours", 3, 25, 10, key=f"{KEY}:emb_k")
    ids = embeddings.frequent_word_ids(usable, count, skip)
    if len(ids) < 2:
        st.warning("The vocabulary of this model is too small for a plot; train with more words.")
        return
    query = vocab.word_id(word) if word else 2
    neighbours = []
    if query < 4 or query >= usable:
        st.warning(f"'{word}' is not in this model's {usable:,}-word vocabulary; try a more common word.")
    else:
        neighbours = embeddings.cosine_neighbours(matrix, query, np.arange(4, usable), k)
    shown = np.array(
        list(dict.fromkeys([*ids.tolist(), *([query] if neighbours else []), *(n for n, _ in neighbours)]))
    )
    positivity, neutral = positivity_of(model, shown, run.data.max_length)
    projection = embeddings.pca_2d(matrix[shown])
    neighbour_ids = {n for n, _ in neighbours}
    frame = pd.DataFrame(
        {
            "id": shown,
            "word": [vocab.decode([i]) for i in shown],
            "x": projection.coordinates[:, 0],
            "y": projection.coordinates[:, 1],
            "positivity": positivity,
            "push": positivity - neutral,
            "rank": shown - 3,
            "role": ["chosen word" if i == query else "neighbour" if i in neighbour_ids else "other" for i in shown],
        }
    )
    st.altair_chart(cell_charts.embedding_scatter(frame), width="stretch")
    st.caption(
        f"**What to look for.** Each dot is a word's learned vector, flattened to 2-D by PCA (the axes keep "
        f"{projection.explained[0]:.0%} and {projection.explained[1]:.0%} of the spread). Colour is how far a "
        f"review made of that word alone moves the model's P(positive) away from an empty review "
        f"({neutral:.2f}): green pushes towards positive, red towards negative. After training, positive and "
        "negative words drift apart along one direction - the model invented a 'sentiment axis' - while neutral "
        "words stay in the middle; an untrained model shows a colourless cloud. Drag to pan, scroll to zoom."
    )
    left, right = st.columns([2, 3])
    with left:
        if neighbours:
            by_id = frame.set_index("id")
            table = by_id.loc[[n for n, _ in neighbours], ["word", "positivity", "push"]].assign(
                similarity=[sim for _, sim in neighbours]
            )
            st.altair_chart(cell_charts.neighbours_chart(table, word), width="stretch")
            st.caption(
                "Cosine similarity: 1 = the same direction. In a sentiment model neighbours tend to share "
                "*sentiment* more than meaning: a well-trained model puts 'great' beside 'excellent' and 'superb'."
            )
    with right:
        extremes(frame)


def positivity_of(model, ids: np.ndarray, length: int) -> tuple[np.ndarray, float]:
    """P(positive) of single-word reviews and of an empty one, memoised per model (one small batch)."""
    from core.cells.embeddings import empty_review_positivity, is_sentiment_like, single_word_positivity

    if not is_sentiment_like(model):
        return np.full(len(ids), 0.5), 0.5
    key = (id(model), length, ids.tobytes())
    if (cached := remembered(f"{KEY}:positivity", key, model)) is not None:
        return cached
    value = (single_word_positivity(model, ids, length), empty_review_positivity(model, length))
    return remember(f"{KEY}:positivity", key, model, value, size=4)


def extremes(frame: pd.DataFrame) -> None:
    ranked = frame.sort_values("push")
    st.markdown("**Words that push most towards negative:** " + ", ".join(ranked["word"].head(15)))
    st.markdown("**Words that push most towards positive:** " + ", ".join(ranked["word"].tail(15)[::-1]))
    st.caption("Among the plotted words, each fed to the model on its own.")


# ----------------------------------------------------------------------------- page


def main() -> None:
    st.title("Architectures & inside the cell")
    st.markdown(
        "A recurrent network reads a sequence one step at a time, carrying a **hidden state** h_t from step to "
        "step: h_t = f(x_t, h_(t-1)). The same cell - the same weights - is used at every step. Pick a pattern "
        "and a cell in the sidebar to see it unrolled, count its weights, then open a trained cell and watch its "
        "gates."
    )
    choice = sidebar()
    explorer_tab, cell_tab, embedding_tab = st.tabs(["Architecture explorer", "Inside the cell", "Word embeddings"])
    with explorer_tab:
        explorer(choice)
    with cell_tab:
        inside_the_cell(choice)
    with embedding_tab:
        word_embeddings(choice)


main()
