"""Architectures & inside the cell: the page a teacher opens first.

Three tabs: (1) the architecture explorer - any pattern x cell x direction x depth drawn
unrolled through time, with tensor shapes and a parameter table that shows its formulas;
(2) inside the cell - a model trained on any page of this session (or a fresh one) reads a
sequence, and every hidden state and gate is recomputed from its weights and drawn per
unit and step; (3) word embeddings of an IMDb model.

Widgets -> ExplorerChoice -> core.cells (diagrams, parameters, inspect, embeddings) -> charts.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from core import cells
from core.cells import charts as cell_charts
from core.cells import config as lab
from core.cells.config import FRESH, QUICK, Analysis, ExplorerChoice, imdb_config
from core.engine import limits
from core.engine.config import PATTERNS, validate_all
from core.engine.run import TrainedRun
from ui import architectures_data, code_panel, controls, data_cache, experiments, links
from ui.charts import draw_chart
from ui.registry import pages_training, panel_title
from ui.training_panel import finished_runs, running_panels, training_panel

KEY = "architectures"
LINE, REVIEW = limits.MAX_PROMPT_CHARS, limits.MAX_USER_TEXT_CHARS  # max_chars of the typed inputs
ROOT = Path(__file__).resolve().parent.parent
WORDS, NUMBERS = "a word (token id → embedding)", "a vector of numbers"
MAX_WORDS, MAX_FEATURES, EMBEDDINGS = limits.MAX_VOCABULARY, limits.MAX_FEATURES, list(lab.EMBEDDING_SIZES)
HELP, DEFAULT = lab.WIDGET_HELP, lab.DEFAULT_CHOICE


# ----------------------------------------------------------------------------- sidebar


def sidebar() -> ExplorerChoice:
    spec, out = DEFAULT.spec, DEFAULT.output
    st.sidebar.header("Architecture")
    model = controls.model_controls(KEY, DEFAULT.model, patterns=PATTERNS, show_readout=True, container=st.sidebar)
    with st.sidebar.expander("Input and output", expanded=True):
        kind = st.radio("Each input step is", [WORDS, NUMBERS], key=f"{KEY}:input_kind", help=HELP["kind"])
        words = kind == WORDS
        vocab, embedding, features = None, spec.embedding_dim, spec.features
        if words:
            vocab = int(st.number_input("Vocabulary size", 2, MAX_WORDS, spec.vocab_size, 1000, key=f"{KEY}:vocab"))
            embedding = int(st.select_slider("Embedding size", EMBEDDINGS, embedding, key=f"{KEY}:embedding"))
        else:
            features = int(st.slider("Numbers per step (features)", 1, MAX_FEATURES, features, key=f"{KEY}:features"))
        length = st.slider(
            "Input sequence length T",
            1,
            limits.MAX_SEQUENCE_LENGTH,
            spec.length,
            key=f"{KEY}:length",
            disabled=not lab.reads_sequence(model.pattern, words),
            help=HELP["length"],
        )
        steps = st.slider(
            "Output steps K",
            1,
            limits.MAX_OUTPUT_STEPS,
            out.steps,
            key=f"{KEY}:steps",
            disabled=not lab.writes_sequence(model.pattern),
            help=HELP["steps"],
        )
        label = "Output size (classes or values per step)"
        size = st.number_input(label, 1, MAX_WORDS, out.size, key=f"{KEY}:output_size", help=HELP["size"])
    max_drawn = st.sidebar.slider("Time steps drawn", 2, 10, DEFAULT.max_drawn, key=f"{KEY}:drawn", help=HELP["drawn"])
    return lab.explorer_choice(model, int(length), int(size), int(steps), int(max_drawn), vocab, embedding, features)


# ----------------------------------------------------------------------------- tab 1: explorer


def explorer(choice: ExplorerChoice) -> None:
    problems = validate_all(choice.model, choice.spec, choice.output)
    if problems:
        controls.show_problems(problems)
        return
    info = cells.parameters.PATTERN_INFO[choice.model.pattern]
    st.header(f"{info.title}, unrolled through time")
    dot = cells.diagrams.unrolled_diagram(
        choice.model, choice.spec.length, choice.output.steps, choice.max_drawn, tokens=choice.words
    )
    st.graphviz_chart(dot, width="stretch")
    st.caption(lab.DIAGRAM_HELP + " " + cells.parameters.pattern_note(choice.model))
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**Tensor shapes**")
        shapes = cells.parameters.shape_rows(choice.model, choice.spec, choice.output)
        st.dataframe(pd.DataFrame(shapes), hide_index=True, width="stretch")
        st.caption(lab.SHAPES_HELP)
    with right:
        st.markdown(f"**{info.title}** reads {info.reads} and writes {info.writes}. Typical uses:")
        st.markdown("\n".join(f"- {use}" for use in info.uses))
        links = pages_training(choice.model.pattern, ROOT)
        if links:
            st.markdown("**Train one on:**")
            for page in links:
                st.page_link(page.path, label=page.title, icon=page.icon)
    parameter_table(choice)


def parameter_table(choice: ExplorerChoice) -> None:
    parameters = cells.parameters
    st.markdown("**Layers and parameters**")
    rows = parameters.layer_table(choice.model, choice.spec, choice.output)
    counts = architectures_data.checked_counts(choice.model, choice.spec, choice.output)
    st.dataframe(pd.DataFrame(parameters.layer_rows(rows, counts)), hide_index=True, width="stretch")
    total = parameters.total_params(rows)
    c1, c2 = st.columns(2)
    c1.metric("Total parameters", f"{total:,}")
    c2.metric("Memory for the weights (float32)", f"{total * 4 / 1e6:.2f} MB")
    if parameters.counts_agree(rows, counts):
        st.caption(lab.PARAMETERS_HELP)
    else:
        st.warning("The formulas and Keras disagree for this configuration - please report it.")
    if parameters.first_recurrent(rows) is None:
        return
    units, x_size = choice.model.units, parameters.step_sizes(choice.model, choice.spec, choice.output)["x_t"]
    with st.expander("Compare the cells: same width, different weight counts"):
        st.dataframe(pd.DataFrame(parameters.cell_comparison(units, x_size)), hide_index=True, width="stretch")
        st.caption(lab.CELL_COMPARISON_HELP.format(units=units, x_size=x_size))


# ----------------------------------------------------------------------------- tab 2: inside the cell


def source_label(source: str) -> str:
    if source == FRESH:
        return "A fresh model with random weights (the architecture in the sidebar)"
    if source == QUICK:
        return "Quick-train a small model on IMDb here (under a minute)"
    return f"The model trained on the {panel_title(source)} page"


def pick_model(choice: ExplorerChoice) -> tuple[str, object, TrainedRun | None]:
    """(source, keras model or None, the run it comes from) for the model the user picks."""
    trained = finished_runs(exclude=KEY)
    architectures_data.select_newly_finished(f"{KEY}:seen_models", f"{KEY}:source", trained)
    source = st.selectbox("Which model?", [*trained, FRESH, QUICK], format_func=source_label, key=f"{KEY}:source")
    if running := running_panels(exclude=KEY):
        names = ", ".join(panel_title(key) for key in running)
        st.caption(f"Still training: {names}. Those models appear here when they finish.")
    if source == FRESH:
        return source, fresh_model(choice), None
    if source == QUICK:
        run = lab.quick_run(choice)
        job = training_panel(
            KEY,
            start=lambda: architectures_data.quick_work(run),
            config=run,
            metric="accuracy",
            metric_label="accuracy",
            train_label="Train quickly",
            prepare=False,  # its IMDb data loads on the first press, not when the page opens
        )
        code_panel.code_panel(KEY, run)
        if job is None or job.state != "done" or not isinstance(job.output, TrainedRun):
            return source, None, None
        return source, job.output.model, job.output
    return source, trained[source].model, trained[source]


def fresh_model(choice: ExplorerChoice):
    """The sidebar's architecture with random weights, reading one number per step."""
    if choice.model.pattern == "one_to_one":
        st.info("One-to-one has no recurrent cell, so the fresh model here is many-to-one with the same cell.")
    left, right = st.columns([3, 1])
    steps = left.slider("Steps the fresh model reads", 5, 200, 40, key=f"{KEY}:fresh_steps")
    if right.button("New random weights", key=f"{KEY}:reseed"):
        st.session_state[f"{KEY}:seed"] = st.session_state.get(f"{KEY}:seed", 0) + 1
    fresh = lab.fresh_model_config(choice, steps, st.session_state.get(f"{KEY}:seed", 0))
    return architectures_data.fresh_model(f"{KEY}:fresh", fresh)


def choose_input(source: str, run: TrainedRun | None, route):
    """Build the Example to feed, from the widgets that suit this model's input."""
    inputs = cells.inputs
    imdb_run = imdb_config(run)
    try:
        if imdb_run is not None and route.tokens:
            text = st.text_area("A review to feed", lab.DEFAULT_REVIEW, 80, REVIEW, key=f"{KEY}:review")
            vocab = data_cache.imdb_capped(imdb_run.local_path, imdb_run.data.num_words).vocab
            return inputs.review_example(vocab, text, imdb_run.data.max_length, route)
        codec = inputs.text_codec(run, route.vocab_size) if run else None
        if codec is not None and route.tokens:
            text = st.text_input("A line of text to feed", lab.DEFAULT_LINE, LINE, key=f"{KEY}:line:{source}")
            return inputs.codec_example(codec, text, route)
        stored = inputs.example_arrays(run, route) if run else None
        if stored is not None:
            where, array = stored
            index = st.slider(f"Stored example (from {where})", 1, len(array), 1, key=f"{KEY}:example:{source}")
            return inputs.stored_example(where, array, index - 1, route)
        if not route.tokens:
            return numbers_input(source, route)
        return inputs.random_token_example(route, 30)
    except cells.internals.NotInterpretable as err:
        st.warning(str(err))
        return None


def numbers_input(source: str, route):
    kind = st.radio(
        "Input sequence", [*cells.inputs.SIGNALS, "numbers I type"], horizontal=True, key=f"{KEY}:signal:{source}"
    )
    if kind != "numbers I type":
        return cells.inputs.signal_example(kind, route, 40)
    text = st.text_input("Numbers (e.g. a price window)", lab.DEFAULT_NUMBERS, LINE, key=f"{KEY}:numbers:{source}")
    values = cells.inputs.parse_numbers(text)
    scale = st.checkbox("Standardise (mean 0, spread 1), as the training pages do", True, key=f"{KEY}:scale:{source}")
    return cells.inputs.numbers_example(values, route, scale)


def inside_the_cell(choice: ExplorerChoice) -> None:
    st.markdown(lab.INSIDE_INTRO)
    source, model, run = pick_model(choice)
    if model is None:
        return
    layers = cells.internals.recurrent_layers(model)
    if not layers:
        st.warning(lab.NO_RECURRENT_LAYER)
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
        feeder = cells.inputs.feeder_for(model, recurrent)
    except cells.internals.NotInterpretable as err:
        st.warning(f"Can't feed this layer: {err}")
        return
    st.caption(f"Layer **{recurrent.describe()}**; the model reads {feeder.route.describe()}.")
    example = choose_input(source, run, feeder.route)
    if example is None:
        return
    if example.notice:
        st.caption(example.notice)
    memo_key = (id(model), recurrent.name, example.x.shape, example.x.tobytes())
    try:
        with st.spinner("Tracing the cell step by step…"):
            analysis = architectures_data.memoised(
                f"{KEY}:memo", memo_key, model, lambda: cells.inspect.analyse(model, recurrent, feeder, example)
            )
    except cells.internals.NotInterpretable as err:
        st.warning(str(err))
        return
    show_analysis(recurrent, analysis, run_is_imdb=imdb_config(run) is not None)


def show_check(recurrent, analysis: Analysis, run_is_imdb: bool) -> None:
    check = analysis.check
    if analysis.matches:
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
        for line in cells.internals.equations(recurrent.cell, analysis.traces[0].reset_after):
            st.latex(line)
        st.caption(lab.CELL_HELP[recurrent.cell] + " σ is the sigmoid, ⊙ multiplies element by element.")
        differences = [{"compared": k, "max |difference|": v} for k, v in check.differences.items()]
        st.dataframe(pd.DataFrame(differences), hide_index=True)
    if analysis.prediction is not None:
        label = "P(positive)" if run_is_imdb else "model output"
        st.metric(label, f"{analysis.prediction:.3f}", help="What the whole model outputs for this input.")


def show_analysis(recurrent, analysis: Analysis, run_is_imdb: bool) -> None:
    show_check(recurrent, analysis, run_is_imdb)
    trace = analysis.traces[0]
    if len(analysis.traces) > 1:
        direction = st.radio(
            "Direction", ["forward", "backward"], horizontal=True, key=f"{KEY}:direction", help=HELP["direction"]
        )
        trace = analysis.traces[0 if direction == "forward" else 1]
    quantities = {q.key: q for q in trace.quantities()}
    left, middle, right = st.columns([3, 2, 2])
    chosen = left.radio(
        "Show",
        list(quantities),
        format_func=lambda k: quantities[k].label,
        horizontal=True,
        key=f"{KEY}:quantity:{trace.cell}",
    )
    quantity = quantities[chosen]
    max_units = min(cell_charts.MAX_UNITS_SHOWN, trace.units)
    unit_count = middle.slider(
        "Units shown (most active first)", 1, max_units, min(32, max_units), key=f"{KEY}:units_shown"
    )
    include_padding = False
    if analysis.padding:
        label = f"Include the {analysis.padding} padding steps"
        include_padding = right.checkbox(label, False, key=f"{KEY}:padding", help=HELP["padding"])
    values = trace.values[chosen]
    steps = cell_charts.shown_steps(trace.steps, analysis.padding, include_padding=include_padding)
    units = cell_charts.most_active_units(values[list(steps)], unit_count)
    frame = cell_charts.activation_frame(values, analysis.labels, units, steps)
    title = f"{quantity.label} of {recurrent.reader.lower()} ({trace.direction})"
    draw_chart(cell_charts.unit_explorer(frame, quantity, title, units[0]), width="content")
    st.caption(lab.UNIT_VIEW_HELP.format(symbol=quantity.symbol, meaning=quantity.meaning))
    if len(steps) < trace.steps and not include_padding and trace.steps - analysis.padding > len(steps):
        st.caption(f"Only the last {len(steps)} steps are drawn.")
    gates = cell_charts.gate_means_chart(trace, analysis.labels, steps)
    if gates is not None:
        draw_chart(gates)
        st.caption(lab.GATES_HELP)
    with st.expander("Which inputs move each unit most"):
        st.dataframe(cell_charts.unit_summary(values, analysis.labels, units, steps), hide_index=True)


# ----------------------------------------------------------------------------- tab 3: embeddings


def word_embeddings() -> None:
    candidates = architectures_data.imdb_models(KEY, QUICK)
    if not candidates:
        st.info(lab.NO_IMDB_MODEL)
        return
    key = next(iter(candidates))
    if len(candidates) > 1:
        key = st.selectbox("Model", list(candidates), format_func=source_label, key=f"{KEY}:emb_source")
    run = candidates[key]
    imdb_run, model = imdb_config(run), run.model
    matrix = cells.embeddings.embedding_matrix(model)
    if matrix is None:
        st.warning("This model has no Embedding layer.")
        return
    vocab = data_cache.imdb_capped(imdb_run.local_path, imdb_run.data.num_words).vocab
    c1, c2, c3, c4 = st.columns(4)
    count = c1.slider("Words plotted", 50, 1000, 300, 50, key=f"{KEY}:emb_count")
    skip = c2.slider("Skip the most frequent", 0, 200, 20, key=f"{KEY}:emb_skip", help=HELP["skip"])
    word = c3.text_input("Word to inspect", "great", 40, key=f"{KEY}:emb_word").strip().lower()
    k = c4.slider("Neighbours", 3, 25, 10, key=f"{KEY}:emb_k")
    data = imdb_run.data
    plot = lambda: cells.embeddings.word_map(  # noqa: E731
        model, matrix, vocab, data.num_words, data.max_length, count, skip, word, k
    )
    try:
        words = architectures_data.memoised(
            f"{KEY}:words", (id(model), data, count, skip, word, k), model, plot, size=4
        )
    except cells.internals.NotInterpretable as err:
        st.warning(str(err))
        return
    if not words.word_known:
        st.warning(f"'{word}' is not in this model's {words.usable:,}-word vocabulary; try a more common word.")
    draw_chart(cell_charts.embedding_scatter(words.frame))
    first, second = words.explained
    st.caption(lab.EMBEDDINGS_HELP.format(first=first, second=second, neutral=words.neutral))
    left, right = st.columns([2, 3])
    with left:
        if len(words.neighbours):
            draw_chart(cell_charts.neighbours_chart(words.neighbours, word))
            st.caption(lab.NEIGHBOURS_HELP)
    with right:
        ranked = words.frame.sort_values("push")
        st.markdown("**Words that push most towards negative:** " + ", ".join(ranked["word"].head(15)))
        st.markdown("**Words that push most towards positive:** " + ", ".join(ranked["word"].tail(15)[::-1]))
        st.caption("Among the plotted words, each fed to the model on its own.")


# ----------------------------------------------------------------------------- page


def main() -> None:
    st.title("Architectures & inside the cell")
    st.markdown(lab.PAGE_INTRO)
    experiments.section(KEY)
    choice = sidebar()
    views = ["Architecture explorer", "Inside the cell", "Word embeddings"]
    explorer_tab, cell_tab, embedding_tab = st.tabs(views, key=f"{KEY}:view", on_change="rerun")  # in links
    with explorer_tab:
        explorer(choice)
    with cell_tab:
        inside_the_cell(choice)
    with embedding_tab:
        word_embeddings()


links.restore(KEY)
main()
links.publish(KEY)
