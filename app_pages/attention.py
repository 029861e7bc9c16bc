"""Attention: an encoder-decoder translates dates, and heatmaps show where it looks.

Two parts. Translation: widgets -> AttentionPageRun -> core.attention.seq2seq (generated task, model,
trainer, greedy decoding) -> core.attention.charts. IMDb: a many-to-one classifier with
attention pooling, whose per-word weights colour the reviews it reads.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from core import attention
from core.attention import charts as attention_charts
from core.attention.config import IMDB_PRESETS, PoolingConfig, PoolingOutcome, PoolingRun
from core.attention.seq2seq import (
    ATTENTION_LABELS,
    ATTENTIONS,
    DEFAULT_RUN,
    Seq2SeqConfig,
    TranslationData,
    TranslationRun,
    accuracy_by_length,
)
from core.data import imdb
from core.data.dates import TASK_LABELS
from core.engine import limits
from core.engine.cells import CELLS
from core.sentiment.config import ImdbChoice, imdb_run_checks
from ui import attention_data, controls, data_cache
from ui.training_panel import history_table, trained_config, training_panel

KEY = "attention"
IMDB_KEY = "attention_imdb"
PART_TRANSLATION = "Translation (encoder-decoder)"
PART_IMDB = "Attention on IMDb reviews"

DEFAULT_PRESET = "Default: dates, bi-GRU + additive attention"
TINY_PRESET = "Tiny: seconds, for a quick demo"
BOTTLENECK_PRESET = "Bottleneck: number words, attention vs none (~3 min)"
TRANSLATION_PRESETS: dict[str, TranslationRun] = {
    DEFAULT_PRESET: DEFAULT_RUN,
    TINY_PRESET: TranslationRun(
        TranslationData(train_size=2_048, test_size=300),
        Seq2SeqConfig(units=32, embedding_dim=16, attention_units=32),
        replace(DEFAULT_RUN.train, epochs=3, batch_size=64, learning_rate=1e-2),
    ),
    BOTTLENECK_PRESET: TranslationRun(
        replace(DEFAULT_RUN.data, task="numbers"),
        replace(DEFAULT_RUN.model, bidirectional=False),
        replace(DEFAULT_RUN.train, epochs=3),
    ),
    "Dates without attention (context vector only)": replace(
        DEFAULT_RUN, model=replace(DEFAULT_RUN.model, attention="none")
    ),
}
# Presets that also train a no-attention twin by default (the bottleneck comparison in one click).
TWIN_PRESETS = {BOTTLENECK_PRESET}
USER_EXAMPLES = {"dates": "saturday 14th of march 2020", "numbers": "nine hundred and ninety-nine thousand and one"}


@dataclass(frozen=True)
class AttentionPageRun:
    translation: TranslationRun
    twin: bool = False  # also train a no-attention copy for the bottleneck comparison


# ----------------------------------------------------------------------------- translation: controls


def translation_sidebar() -> AttentionPageRun:
    st.sidebar.header("Translation settings")
    name = st.sidebar.selectbox(
        "Preset", list(TRANSLATION_PRESETS), key=f"{KEY}:preset", help="Each preset remembers its own settings."
    )
    preset = TRANSLATION_PRESETS[name]
    key = f"{KEY}:{list(TRANSLATION_PRESETS).index(name)}"
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
            list(ATTENTIONS),
            index=list(ATTENTIONS).index(preset.model.attention),
            format_func=ATTENTION_LABELS.get,
            key=f"{key}:attention",
            help="None: the decoder only gets the encoder's final state (one vector for the whole input). "
            "Additive: score = v·tanh(W_q d + W_k h). Dot-product: score = d·W h.",
        )
        cell = st.radio("Cell", list(CELLS), index=CELLS.index(preset.model.cell), horizontal=True, key=f"{key}:cell")
        units = st.select_slider(
            "Units", [8, 16, 32, 48, 64, 96, 128, 192, 256], preset.model.units, key=f"{key}:units"
        )
        bidirectional = st.toggle(
            "Bidirectional encoder",
            preset.model.bidirectional,
            key=f"{key}:bidirectional",
            help="The encoder also reads the input backwards, so each h_t knows what comes after it too. "
            "The decoder gets twice the units to take both directions' final states.",
        )
        embedding_dim = st.select_slider(
            "Character embedding size", [8, 16, 32, 64], preset.model.embedding_dim, key=f"{key}:emb"
        )
    with st.sidebar.expander("Training", expanded=True):
        train = controls.training_controls(key, preset.train, container=st, max_epochs=30)
        twin = st.checkbox(
            "Also train a no-attention twin",
            value=name in TWIN_PRESETS,
            key=f"{key}:twin",
            disabled=kind == "none",
            help="After this model, train the same architecture without attention for the "
            "exact-match-vs-length comparison. Doubles the training time.",
        )
    model = replace(
        preset.model,
        attention=kind,
        cell=cell,
        units=int(units),
        bidirectional=bidirectional,
        embedding_dim=int(embedding_dim),
        attention_units=min(int(units), 64),
    )
    data = TranslationData(task=task, train_size=int(train_size), test_size=int(test_size), seed=preset.data.seed)
    return AttentionPageRun(TranslationRun(data, model, train), twin=twin and kind != "none")


# ----------------------------------------------------------------------------- translation: training


def make_work(page_run: AttentionPageRun):
    run = page_run.translation
    task = attention_data.translation_task(run.data.task, run.data.train_size, run.data.test_size, run.data.seed)

    def work(progress, stop):
        from core.attention.seq2seq import train_translation

        return train_translation(
            run,
            task,
            callbacks=[progress],
            stop=stop,
            publish=lambda snapshots: progress.put_extra("snapshots", snapshots),
            on_phase=progress.set_phase,
            twin=page_run.twin,
        )

    return work


def live_snapshot(job) -> None:
    """While training: the fixed example's attention after the latest epoch."""
    if not job.running:
        return
    snapshots = job.progress.extra("snapshots", [])
    if not snapshots:
        return
    latest = snapshots[-1]
    st.markdown(
        f"**Live: after epoch {latest.epoch}** the model translates `{latest.translation.source}` "
        f"as `{latest.translation.prediction or '(nothing)'}`."
    )
    if latest.translation.weights.any():
        st.altair_chart(snapshot_chart(latest), width="content")
        st.caption(
            "Redrawn after every epoch. Early on the rows are pale and even (the decoder looks everywhere a "
            "little); as training goes on they darken into a path: each output character reads one or two input "
            "characters."
        )


def snapshot_chart(snapshot):
    t = snapshot.translation
    return attention_charts.attention_heatmap(
        t.source, t.output_tokens, t.weights, title=f"After epoch {snapshot.epoch}: {t.source} → {t.prediction}"
    )


def heatmap(translation) -> None:
    """One translation's attention matrix at its natural size (one square per character pair)."""
    chart = attention_charts.attention_heatmap(
        translation.source,
        translation.output_tokens,
        translation.weights,
        title=f"{translation.source} → {translation.prediction or '(nothing)'}",
    )
    st.altair_chart(chart, width="content")


# ----------------------------------------------------------------------------- translation: results


def record_history(output: dict) -> dict[str, pd.DataFrame]:
    """Remember each trained model's accuracy-by-length (per task) for the comparison chart."""
    history = st.session_state.setdefault(f"{KEY}:history", {})
    task = output["run"].data.task
    runs = history.setdefault(task, {})
    runs[output["run"].model.label] = accuracy_by_length(output["evaluation"].frame)
    if output.get("twin"):
        twin = output["twin"]
        runs[twin["run"].model.label] = accuracy_by_length(twin["evaluation"].frame)
    return runs


def show_translation_results(output: dict) -> None:
    run: TranslationRun = output["run"]
    evaluation = output["evaluation"]
    st.subheader("How good is it?")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        "Held-out exact match",
        f"{evaluation.exact_match:.1%}",
        help="Share of held-out inputs whose whole greedy translation is right.",
    )
    c2.metric(
        "Per-character accuracy",
        f"{evaluation.char_accuracy:.1%}",
        help="Share of target characters (and the end token) produced at the right position, greedy decoding.",
    )
    c3.metric("Held-out examples", f"{len(evaluation.frame):,}", help="Values never seen in training.")
    c4.metric("Training time", f"{output['result'].seconds:.0f} s")

    show_snapshots(output)
    show_heldout_example(output)
    show_user_input(output)
    show_bottleneck(output)
    show_mistakes(output)
    with st.expander("Training history per epoch"):
        st.dataframe(history_table(output["result"]), hide_index=True)
    if run.model.attention == "none":
        st.info(
            "This model has **no attention**, so there are no heatmaps: its decoder only ever sees the encoder's "
            "final state. Pick an attention type in the sidebar and train again to see where it looks."
        )


def show_snapshots(output: dict) -> None:
    snapshots = output["snapshots"]
    if not output["models"].has_attention or not snapshots:
        return
    st.subheader("Watch the alignment form during training")
    epochs = [s.epoch for s in snapshots]
    if len(epochs) > 1:
        epoch = st.select_slider(
            "Epoch", epochs, value=epochs[-1], key=f"{KEY}:snapshot_epoch", help="0 = before any training."
        )
    else:
        epoch = epochs[0]
    snapshot = snapshots[epochs.index(epoch)]
    st.altair_chart(snapshot_chart(snapshot), width="content")
    st.caption(
        "Each row is one output character (decoder step), each column one input character (encoder step); "
        "a row's weights sum to 1. Drag the slider from epoch 0: the untrained model spreads its attention "
        "evenly, then each output digit learns to read the input characters it is copied or derived from - "
        "the year digits from the year, the month from the month name. Hover a cell for its weight."
    )
    st.altair_chart(
        attention_charts.exact_match_history_chart(epochs, [s.exact_match for s in snapshots]), width="stretch"
    )
    st.caption(
        "Greedy exact match on 300 validation inputs after each epoch (pairs held back from training, "
        "with values it never trains on; the test pairs are only scored once training ends). It usually "
        "jumps when the alignment above becomes sharp: the model has learned where to look."
    )


def show_translation(translation, truth: str | None = None) -> None:
    verdict = ""
    if truth is not None:
        verdict = " ✓" if translation.prediction == truth else f" ✗ (right answer: `{truth}`)"
    st.markdown(f"`{translation.source}` → **`{translation.prediction or '(nothing)'}`**{verdict}")
    if translation.weights.size and translation.weights.any():
        heatmap(translation)


def show_heldout_example(output: dict) -> None:
    if not output["models"].has_attention:
        return
    from core.attention.seq2seq import translate

    st.subheader("Where does it look? Pick a held-out example")
    frame = output["evaluation"].frame.head(300)
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
    show_translation(translate(output["models"], [frame.at[index, "source"]])[0], frame.at[index, "target"])
    st.caption(
        "Read a row left to right to see which input characters one output character was computed from. "
        "For '03/04/21' the month digits of the answer should look at the first number, for '4.3.21' at the "
        "second: the model has learned the two conventions from the separator."
    )


def show_user_input(output: dict) -> None:
    from core.attention.seq2seq import check_user_input, translate

    models = output["models"]
    task = output["run"].data.task
    st.subheader("Try your own input")
    text = st.text_input(
        "Type an input to translate",
        USER_EXAMPLES.get(task, ""),
        max_chars=200,
        key=f"{KEY}:user_input:{task}",
        help="Dates: slashes are month/day/year, dots day.month.year, two-digit years 1950-2049."
        if task == "dates"
        else "Number words from zero to nine hundred and ninety-nine thousand nine hundred and ninety-nine.",
    )
    check = check_user_input(models, text)
    if check.problem:
        st.warning(check.problem)
        return
    show_translation(translate(models, [check.text])[0])
    st.caption(
        "The model translates whatever you type - it has no way to say 'this is not a date'. Inputs unlike the "
        "training formats show where its knowledge ends: watch the attention scatter when it is unsure."
    )


def show_bottleneck(output: dict) -> None:
    st.subheader("The bottleneck: exact match vs input length")
    runs = record_history(output)
    table = pd.concat([t.assign(run=label) for label, t in runs.items()], ignore_index=True)
    st.altair_chart(attention_charts.accuracy_by_length_chart(table), width="stretch")
    st.caption(
        "Every model you trained on this task in this session, scored on the held-out inputs grouped by length. "
        "Without attention the decoder must rebuild the whole answer from one fixed-size vector, the encoder's "
        "final state - the longer the input, the more it has to squeeze in, and the further back the first "
        "characters are. With attention every output step reads the input directly, so long inputs cost little. "
        "Dates are short (at most 32 characters), so a bidirectional encoder's context vector nearly suffices; "
        "number words run to 70 characters and six digits, and there a one-directional encoder without "
        "attention falls behind on long inputs."
    )
    if not any(label.startswith("No attention") for label in runs):
        st.info(
            "No model without attention yet. Tick **Also train a no-attention twin** in the sidebar (or pick the "
            f"preset *{BOTTLENECK_PRESET}*) to add one to this chart."
        )


def show_mistakes(output: dict) -> None:
    frame = output["evaluation"].frame
    st.subheader("Which inputs are hard?")
    st.altair_chart(attention_charts.accuracy_by_format_chart(frame), width="stretch")
    if output["run"].data.task == "dates":
        st.caption(
            "Held-out exact match for each way of writing a date (hover a bar for an example). Formats with "
            "two-digit years or numeric months - where only the separator says which number is the month - "
            "tend to be learned last."
        )
    else:
        st.caption(
            "Held-out exact match by number size and writing style (hyphens, 'and'). Long numbers are hardest "
            "without attention: all six digits must survive in the context vector."
        )
    wrong = frame[~frame["correct"]].head(12)
    if wrong.empty:
        st.success("Every held-out input was translated exactly right.")
    else:
        st.markdown(f"**{int((~frame['correct']).sum())} mistakes** on held-out inputs; the first few:")
        st.dataframe(wrong[["source", "target", "prediction", "format"]], hide_index=True)


def translation_part() -> None:
    st.markdown(
        "An **encoder** RNN reads the input one character at a time; a **decoder** RNN writes the answer one "
        "character at a time, starting from the encoder's final state - the *context vector*. With **attention**, "
        "before writing each character the decoder also scores every encoder step, turns the scores into weights "
        "that sum to 1 (softmax) and reads their weighted average. The weights are the heatmaps below: where the "
        "model looks. Training uses *teacher forcing* (the decoder is fed the true previous character); "
        "translating uses *greedy decoding* (it is fed its own previous guess) and stops at the end token."
    )
    page_run = translation_sidebar()
    run = page_run.translation
    task = attention_data.translation_task(run.data.task, run.data.train_size, run.data.test_size, run.data.seed)
    examples = " · ".join(f"`{s}` → `{t}`" for s, t in task.examples[:4])
    st.caption(
        f"Task: {task.description}, generated by the playground: {len(task.train_sources):,} training and "
        f"{len(task.test_sources):,} held-out test pairs (held-out values never appear in training); about 10 % "
        f"of the training pairs are held back as validation for the per-epoch curves. E.g. {examples}"
    )
    problems = run.model.problems() + run.train.problems()
    can_train = controls.show_problems(problems)
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
    if job is not None and job.state == "done":
        show_translation_results(job.output)
    elif job is None and trained_config(KEY) is None:
        st.caption(
            "Tip: the Tiny preset trains in about ten seconds and already gets most dates right; the default "
            "reaches about 99 % held-out exact match in a couple of minutes on two cores."
        )


# ----------------------------------------------------------------------------- IMDb part


def imdb_sidebar() -> PoolingRun:
    st.sidebar.header("IMDb attention settings")
    name = st.sidebar.selectbox("Preset", list(IMDB_PRESETS), key=f"{IMDB_KEY}:preset")
    preset = IMDB_PRESETS[name]
    key = f"{IMDB_KEY}:{list(IMDB_PRESETS).index(name)}"
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
    model = PoolingConfig(cell, int(units), bidirectional, attention_units=min(int(units), 32))
    data = ImdbChoice(int(num_words), int(max_length), int(train_size), int(test_size), int(embedding_dim))
    return PoolingRun(data, model, train, local_path.strip())


def make_imdb_work(run: PoolingRun):
    arrays = data_cache.imdb_arrays(run.local_path, run.data.num_words, run.data.max_length)
    vocab_size = data_cache.imdb_capped(run.local_path, run.data.num_words).vocab.num_words

    def work(progress, stop):
        return attention.pooling.train_and_evaluate(
            run, arrays, vocab_size, callbacks=[progress], stop=stop, on_phase=progress.set_phase
        )

    return work


def show_weighted_review(words, caption_prefix: str = "") -> None:
    """Prediction, the review coloured word by word, and two charts of the same weights."""
    verdict = "positive" if words.probability > 0.5 else "negative"
    st.markdown(f"{caption_prefix}P(positive) = **{words.probability:.1%}** → the model says **{verdict}**.")
    st.html(attention_charts.highlight_html(words.words, words.weights))
    left, right = st.columns([3, 2])
    with left:
        st.altair_chart(attention_charts.word_weights_chart(words.words, words.weights), width="stretch")
    with right:
        st.altair_chart(attention_charts.top_words_chart(words.words, words.weights), width="stretch")
    st.caption(
        "Darker words got more attention: the classifier's verdict is computed from a weighted average of the "
        "RNN's states with these weights (they sum to 1 over the review; hover a word for its weight). Look for "
        "opinion words ('wonderful', 'waste') lighting up and filler staying pale. The weights show what the model "
        "read most, not why: a weighted word is evidence it used, not proof that the word caused the verdict."
    )


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
    arrays = data_cache.imdb_arrays(run.local_path, run.data.num_words, run.data.max_length)
    shown = min(40, len(labels))
    index = st.selectbox(
        "Test review",
        list(range(shown)),
        format_func=lambda i: (
            f"{'✓' if (probs[i] > 0.5) == (labels[i] > 0.5) else '✗'} "
            f"{'positive' if labels[i] > 0.5 else 'negative'} review, P(positive) {probs[i]:.2f}: "
            + vocab.decode(arrays["x_test"][i])[:70]
        ),
        key=f"{IMDB_KEY}:review",
    )
    st.caption(f"True label: **{'positive' if labels[index] > 0.5 else 'negative'}**.")
    words = attention.pooling.weighted_words(
        vocab, arrays["x_test"][index], outcome.test_weights[index], float(probs[index])
    )
    show_weighted_review(words)
    your_review(outcome)
    with st.expander("Training history per epoch"):
        st.dataframe(history_table(outcome.result), hide_index=True)


def your_review(outcome: PoolingOutcome) -> None:
    run = outcome.config
    st.subheader("Your own review")
    with st.form(f"{IMDB_KEY}:own"):
        text = st.text_area(
            "Your review",
            "The first half was slow and the dialogue was clumsy, but the ending was wonderful and moving.",
            height=100,
        )
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
    show_weighted_review(
        attention.pooling.weighted_words(vocab, ids[0], weights[0], float(probabilities[0])), f"{notes}. "
    )


def imdb_part() -> None:
    st.markdown(
        "A **many-to-one** RNN reads a review and outputs P(positive). Instead of deciding from its last hidden "
        "state, it uses **attention pooling**: it scores every word's hidden state, turns the scores into weights "
        "that sum to 1, and classifies their weighted average. The weights say which words it relied on - below, "
        "each word is coloured by its weight."
    )
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
    if job is not None and job.state == "done":
        show_imdb_results(job.output)


# ----------------------------------------------------------------------------- page


def main() -> None:
    st.title("Attention: where does the network look?")
    part = st.radio("Part", [PART_TRANSLATION, PART_IMDB], horizontal=True, key=f"{KEY}:part")
    if part == PART_TRANSLATION:
        translation_part()
    else:
        imdb_part()


main()
