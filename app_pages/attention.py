"""Attention: an encoder-decoder translates digits read aloud, dates or number words (heatmaps show
where it looks), and attention pooling colours the words of IMDb reviews. Widgets ->
core/attention/config.py runs -> seq2seq.py / pooling.py -> charts.py; presets and the longer
texts are in config.py."""

from __future__ import annotations

import streamlit as st

from core import attention
from core.attention import charts as attention_charts
from core.attention import config as lab
from core.attention.config import AttentionPageRun, PoolingOutcome, PoolingRun, TranslationOutcome
from core.data import imdb
from core.data.dates import TASK_LABELS
from core.engine import limits
from core.engine.cells import CELLS
from core.engine.training_job import WorkSpec
from core.sentiment.config import ImdbChoice, imdb_run_checks
from ui import attention_data, controls, data_cache, experiments, links, presenter
from ui.charts import draw_chart
from ui.code_panel import code_panel
from ui.training_panel import history_table, trained_config, training_panel

KEY = "attention"
IMDB_KEY = "attention_imdb"
PART_TRANSLATION = "Translation (encoder-decoder)"
PART_IMDB = "Attention on IMDb reviews"


# ----------------------------------------------------------------------------- translation: controls


def translation_sidebar() -> AttentionPageRun:
    st.sidebar.header("Translation settings")
    name = st.sidebar.selectbox(
        "Preset", list(lab.TRANSLATION_PRESETS), key=f"{KEY}:preset", help="Each preset remembers its own settings."
    )
    preset = lab.TRANSLATION_PRESETS[name]
    key = f"{KEY}:{list(lab.TRANSLATION_PRESETS).index(name)}"
    with st.sidebar.expander("Task", expanded=False):
        task = st.radio(
            "Translate",
            list(TASK_LABELS),
            index=list(TASK_LABELS).index(preset.data.task),
            format_func=TASK_LABELS.get,
            key=f"{key}:task",
        )
        train_size = st.number_input(
            "Training pairs", 100, limits.MAX_SAMPLES, preset.data.train_size, 500, key=f"{key}:train"
        )
        test_size = st.number_input("Held-out pairs", 50, 5_000, preset.data.test_size, 50, key=f"{key}:test")
    with st.sidebar.expander("Model", expanded=True):
        kind = st.radio(
            "Attention",
            list(lab.ATTENTIONS),
            index=list(lab.ATTENTIONS).index(preset.model.attention),
            format_func=lab.ATTENTION_LABELS.get,
            key=f"{key}:attention",
            help=lab.ATTENTION_HELP,
        )
        cell = st.radio("Cell", list(CELLS), index=CELLS.index(preset.model.cell), horizontal=True, key=f"{key}:cell")
        units = st.select_slider(
            "Units", [8, 16, 32, 48, 64, 96, 128, 192, 256], preset.model.units, key=f"{key}:units"
        )
        bidirectional = st.toggle(
            "Bidirectional encoder", preset.model.bidirectional, key=f"{key}:bidirectional", help=lab.BIDIRECTIONAL_HELP
        )
        embedding_dim = st.select_slider(
            "Character embedding size", [8, 16, 32, 64], preset.model.embedding_dim, key=f"{key}:emb"
        )
    with st.sidebar.expander("Training", expanded=True):
        train = controls.training_controls(key, preset.train, container=st, max_epochs=30)
        twin = st.checkbox(
            "Also train a no-attention twin",
            value=name in lab.TWIN_PRESETS,
            key=f"{key}:twin",
            disabled=kind == "none",
            help=lab.TWIN_HELP,
        )
    model = lab.translation_model(preset.model, kind, cell, int(units), bidirectional, int(embedding_dim))
    data = lab.TranslationData(task=task, train_size=int(train_size), test_size=int(test_size), seed=preset.data.seed)
    return AttentionPageRun(lab.TranslationRun(data, model, train), twin=twin and kind != "none")


def make_work(page_run: AttentionPageRun) -> WorkSpec:
    """The run request: the task's pairs are generated here (cached per server), trained in a worker."""
    run = page_run.translation
    return attention.jobs.translation_spec(run, attention_data.translation_task(run.data), page_run.twin)


def live_snapshot(job) -> None:
    """While training: the fixed example's attention after the latest epoch."""
    if not job.running or not (snapshots := job.progress.extra("snapshots", [])):
        return
    latest = snapshots[-1]
    st.markdown(
        f"**Live: after epoch {latest.epoch}** the model translates `{latest.translation.source}` "
        f"as `{latest.translation.prediction or '(nothing)'}`."
    )
    if latest.translation.weights.any():
        draw_chart(attention_charts.snapshot_chart(latest, presenter.heatmap_scale()), width="content")
        st.caption(lab.LIVE_SNAPSHOT_CAPTION)


# ----------------------------------------------------------------------------- translation: results


def record_history(outcome: TranslationOutcome) -> dict:
    """Remember each trained model's accuracy-by-length (per task) for the comparison chart."""
    runs = st.session_state.setdefault(f"{KEY}:history", {}).setdefault(outcome.config.data.task, {})
    for label, evaluation in outcome.evaluations().items():
        runs[label] = attention.seq2seq.accuracy_by_length(evaluation.frame)
    return runs


def show_translation_results(outcome: TranslationOutcome) -> None:
    evaluation = outcome.evaluation
    st.subheader("How good is it?")
    scores = f"{evaluation.exact_match:.1%}", f"{evaluation.char_accuracy:.1%}", f"{len(evaluation.frame):,}"
    values = (*scores, f"{outcome.seconds:.0f} s")
    for column, (label, help_text), value in zip(st.columns(4), lab.SCORE_HELP.items(), values, strict=True):
        column.metric(label, value, help=help_text)

    show_snapshots(outcome)
    show_heldout_example(outcome)
    show_user_input(outcome)
    show_bottleneck(outcome)
    show_mistakes(outcome)
    with st.expander("Training history per epoch"):
        st.dataframe(history_table(outcome.result), hide_index=True)
    if outcome.config.model.attention == "none":
        st.info(lab.NO_ATTENTION_NOTE)


def show_snapshots(outcome: TranslationOutcome) -> None:
    snapshots = outcome.snapshots
    if not outcome.models.has_attention or not snapshots:
        return
    st.subheader("Watch the alignment form during training")
    epochs = [s.epoch for s in snapshots]
    epoch = epochs[0]
    if len(epochs) > 1:
        epoch = st.select_slider(
            "Epoch", epochs, value=epochs[-1], key=f"{KEY}:snapshot_epoch", help="0 = before any training."
        )
    scale = presenter.heatmap_scale()
    with presenter.stage():  # presenter mode: under the title; the epoch slider stays here
        draw_chart(attention_charts.snapshot_chart(snapshots[epochs.index(epoch)], scale), width="content")
        st.caption(lab.SNAPSHOT_CAPTION)
    draw_chart(attention_charts.exact_match_history_chart(epochs, [s.exact_match for s in snapshots]))
    st.caption(lab.EXACT_MATCH_CAPTION)


def show_translation(translation, truth: str | None = None) -> None:
    verdict = ""
    if truth is not None:
        verdict = " ✓" if translation.prediction == truth else f" ✗ (right answer: `{truth}`)"
    st.markdown(f"`{translation.source}` → **`{translation.prediction or '(nothing)'}`**{verdict}")
    if translation.weights.size and translation.weights.any():
        draw_chart(attention_charts.translation_heatmap(translation, presenter.heatmap_scale()), width="content")


def show_heldout_example(outcome: TranslationOutcome) -> None:
    if not outcome.models.has_attention:
        return
    st.subheader("Where does it look? Pick a held-out example")
    frame = outcome.evaluation.frame.head(300)
    only_mistakes = st.toggle("Only mistakes", False, key=f"{KEY}:only_mistakes")
    if only_mistakes:
        frame = frame[~frame["correct"]]
        if frame.empty:
            st.success("No mistakes among the first 300 held-out examples.")
            return
    index = st.selectbox(
        "Held-out input",
        list(frame.index),
        format_func=lambda i: f"{'✓' if frame.at[i, 'correct'] else '✗'}  {frame.at[i, 'source']}",
        key=f"{KEY}:heldout",
    )
    translation = attention.seq2seq.translate(outcome.models, [frame.at[index, "source"]])[0]
    show_translation(translation, frame.at[index, "target"])
    st.caption(lab.HELDOUT_CAPTION)


def show_user_input(outcome: TranslationOutcome) -> None:
    models, task = outcome.models, outcome.config.data.task
    st.subheader("Try your own input")
    text = st.text_input(
        "Type an input to translate",
        lab.USER_EXAMPLES.get(task, ""),
        max_chars=200,
        key=f"{KEY}:user_input:{task}",
        help=lab.USER_INPUT_HELP[task],
    )
    check = attention.seq2seq.check_user_input(models, text)
    if check.problem:
        st.warning(check.problem)
        return
    show_translation(attention.seq2seq.translate(models, [check.text])[0])
    st.caption(lab.USER_INPUT_CAPTION)


def show_bottleneck(outcome: TranslationOutcome) -> None:
    st.subheader("The bottleneck: exact match vs input length")
    runs = record_history(outcome)
    draw_chart(attention_charts.length_comparison_chart(runs))
    st.caption(lab.BOTTLENECK_CAPTION)
    if not any(label.startswith("No attention") for label in runs):
        st.info(lab.NO_TWIN_YET)


def show_mistakes(outcome: TranslationOutcome) -> None:
    frame = outcome.evaluation.frame
    st.subheader("Which inputs are hard?")
    draw_chart(attention_charts.accuracy_by_format_chart(frame))
    st.caption(lab.FORMAT_CAPTIONS[outcome.config.data.task])
    wrong = frame[~frame["correct"]].head(12)
    if wrong.empty:
        st.success("Every held-out input was translated exactly right.")
    else:
        st.markdown(f"**{int((~frame['correct']).sum())} mistakes** on held-out inputs; the first few:")
        st.dataframe(wrong[["source", "target", "prediction", "format"]], hide_index=True)


def translation_part() -> None:
    st.markdown(lab.TRANSLATION_INTRO)
    page_run = translation_sidebar()
    run = page_run.translation
    task = attention_data.translation_task(run.data)
    st.caption(lab.task_caption(task))
    can_train = controls.show_problems(run.model.problems() + run.train.problems())
    job = training_panel(
        KEY,
        start=lambda: make_work(page_run),
        config=page_run,
        metric="sparse_accuracy",
        metric_label="per-character accuracy (teacher forced)",
        clip_norm=run.train.clip_norm,
        can_train=can_train,
        live_extra=live_snapshot,
    )
    code_panel(KEY, page_run)
    if job is not None and job.state == "done":
        show_translation_results(job.output)
    elif job is None and trained_config(KEY) is None:
        st.caption(lab.TRANSLATION_TIP)


# ----------------------------------------------------------------------------- IMDb part


def imdb_sidebar() -> PoolingRun:
    st.sidebar.header("IMDb attention settings")
    name = st.sidebar.selectbox("Preset", list(lab.IMDB_PRESETS), key=f"{IMDB_KEY}:preset")
    preset = lab.IMDB_PRESETS[name]
    key = f"{IMDB_KEY}:{list(lab.IMDB_PRESETS).index(name)}"
    with st.sidebar.expander("Data", expanded=False):
        num_words = st.number_input(
            "Vocabulary size", 100, limits.MAX_VOCABULARY, preset.data.num_words, 500, key=f"{key}:vocab"
        )
        max_length = st.slider("Max review length (tokens)", 20, 400, preset.data.max_length, 10, key=f"{key}:len")
        train_size = st.number_input("Training reviews", 100, 25_000, preset.data.train_size, 500, key=f"{key}:train")
        test_size = st.number_input("Test reviews", 100, 25_000, preset.data.test_size, 100, key=f"{key}:test")
        local_path = controls.local_path_input(
            "Local copy (folder or CSV)",
            key=f"{IMDB_KEY}:local",
            help="A folder with imdb_train.csv.gz/imdb_test.csv.gz or aclImdb.",
        )
    with st.sidebar.expander("Model", expanded=True):
        cell = st.radio("Cell", list(CELLS), index=CELLS.index(preset.model.cell), horizontal=True, key=f"{key}:cell")
        units = st.select_slider("Units", [8, 16, 32, 64, 128], preset.model.units, key=f"{key}:units")
        bidirectional = st.toggle("Bidirectional", preset.model.bidirectional, key=f"{key}:bi")
        embedding_dim = st.select_slider(
            "Embedding size", [8, 16, 32, 64, 128], preset.data.embedding_dim, key=f"{key}:emb"
        )
    with st.sidebar.expander("Training", expanded=True):
        train = controls.training_controls(key, preset.train, container=st, max_epochs=10)
    model = lab.PoolingConfig(cell, int(units), bidirectional, attention_units=min(int(units), 32))
    data = ImdbChoice(int(num_words), int(max_length), int(train_size), int(test_size), int(embedding_dim))
    return PoolingRun(data, model, train, local_path.strip())


def make_imdb_work(run: PoolingRun) -> WorkSpec:
    arrays = data_cache.imdb_arrays(run.local_path, run.data.num_words, run.data.max_length)
    vocab_size = data_cache.imdb_capped(run.local_path, run.data.num_words).vocab.num_words
    return attention.jobs.pooling_spec(run, arrays, vocab_size)


def show_weighted_review(words, caption_prefix: str = "") -> None:
    """Prediction, the review coloured word by word, and two charts of the same weights."""
    verdict = "positive" if words.probability > 0.5 else "negative"
    st.markdown(f"{caption_prefix}P(positive) = **{words.probability:.1%}** → the model says **{verdict}**.")
    st.html(attention_charts.highlight_html(words.words, words.weights))
    left, right = st.columns([3, 2])
    with left:
        draw_chart(attention_charts.word_weights_chart(words.words, words.weights))
    with right:
        draw_chart(attention_charts.top_words_chart(words.words, words.weights))
    st.caption(lab.WEIGHTED_REVIEW_CAPTION)


def show_imdb_results(outcome: PoolingOutcome) -> None:
    run = outcome.config
    probs, labels = outcome.test_probabilities, outcome.test_labels
    st.subheader("How good is it?")
    c1, c2, c3 = st.columns(3)
    c1.metric("Test accuracy", f"{outcome.test_accuracy:.1%}", help=f"On {len(labels):,} test reviews.")
    c2.metric("Guessing the majority class", f"{max(labels.mean(), 1 - labels.mean()):.1%}")
    c3.metric("Training time", f"{outcome.seconds:.0f} s")

    st.subheader("Test reviews, coloured by attention")
    vocab = data_cache.imdb_capped(run.local_path, run.data.num_words).vocab
    x_test = data_cache.imdb_arrays(run.local_path, run.data.num_words, run.data.max_length)["x_test"]
    index = st.selectbox(
        "Test review",
        list(range(min(40, len(labels)))),
        format_func=lambda i: lab.review_option(probs[i], labels[i], vocab.decode(x_test[i])),
        key=f"{IMDB_KEY}:review",
    )
    st.caption(f"True label: **{'positive' if labels[index] > 0.5 else 'negative'}**.")
    show_weighted_review(
        attention.pooling.weighted_words(vocab, x_test[index], outcome.test_weights[index], float(probs[index]))
    )
    your_review(outcome)
    with st.expander("Training history per epoch"):
        st.dataframe(history_table(outcome.result), hide_index=True)


def your_review(outcome: PoolingOutcome) -> None:
    run = outcome.config
    st.subheader("Your own review")
    with st.form(f"{IMDB_KEY}:own"):
        text = st.text_area("Your review", lab.USER_REVIEW_EXAMPLE, height=100)
        submitted = st.form_submit_button("Score it")
    if not submitted:
        return
    vocab = data_cache.imdb_capped(run.local_path, run.data.num_words).vocab
    encoded = imdb.encode_user_text(vocab, text, run.data.max_length)
    if encoded.problem:
        st.warning(encoded.problem)
        return
    ids = imdb.pad([encoded.ids], run.data.max_length)
    probabilities, weights = attention.pooling.explain(outcome.models, ids)
    notes = f"{encoded.words} words, {encoded.unknown} outside the vocabulary (shown as <?>)"
    if encoded.truncated:
        notes += f"; only the last {run.data.max_length} tokens were read"
    words = attention.pooling.weighted_words(vocab, ids[0], weights[0], float(probabilities[0]))
    show_weighted_review(words, f"{notes}. ")


def imdb_part() -> None:
    st.markdown(lab.IMDB_INTRO)
    run = imdb_sidebar()
    data = data_cache.imdb_full(run.local_path)
    data_cache.imdb_source_notice(data, IMDB_KEY)
    problems, note, run = imdb_run_checks(run, data)
    if note:
        st.info(note)
    can_train = controls.show_problems(problems)
    job = training_panel(
        IMDB_KEY,
        start=lambda: make_imdb_work(run),
        config=run,
        metric="accuracy",
        metric_label="accuracy",
        clip_norm=run.train.clip_norm,
        can_train=can_train,
    )
    code_panel(IMDB_KEY, run)
    if job is not None and job.state == "done":
        show_imdb_results(job.output)


# ----------------------------------------------------------------------------- page


def main() -> None:
    presenter.title("Attention: where does the network look?")
    experiments.section(KEY)
    part = st.radio("Part", [PART_TRANSLATION, PART_IMDB], horizontal=True, key=f"{KEY}:part")
    if part == PART_TRANSLATION:
        translation_part()
    else:
        imdb_part()


links.restore(KEY)
main()
links.publish(KEY)
