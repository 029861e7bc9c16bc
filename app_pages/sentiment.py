"""Sentiment (IMDb): a many-to-one RNN reads a review and says positive or negative.

Widgets -> SentimentRun (config) -> core (data, model, trainer) -> charts. The one-to-one
baseline (averaged word embeddings, no recurrence) shows what reading in order buys.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core import sentiment
from core.data import imdb
from core.engine import limits
from core.engine.training_job import WorkSpec
from core.sentiment import charts as sentiment_charts
from core.sentiment.config import (
    OFFLINE_LESSON,
    PRESETS,
    ImdbChoice,
    SentimentOutcome,
    SentimentRun,
    imdb_run_checks,
)
from ui import controls, data_cache, experiments, links, presenter
from ui.charts import draw_chart
from ui.code_panel import code_panel
from ui.training_panel import history_table, trained_config, training_panel

KEY = "sentiment"


# ----------------------------------------------------------------------------- controls


def sidebar() -> SentimentRun:
    st.sidebar.header("Sentiment settings")
    preset_name = st.sidebar.selectbox(
        "Preset", list(PRESETS), key=f"{KEY}:preset", help="Each preset remembers its own settings."
    )
    preset = PRESETS[preset_name]
    key = f"{KEY}:{list(PRESETS).index(preset_name)}"
    with st.sidebar.expander("Data", expanded=False):
        num_words = st.number_input(
            "Vocabulary size (most frequent words)",
            100,
            limits.MAX_VOCABULARY,
            preset.data.num_words,
            500,
            key=f"{key}:vocab",
        )
        max_length = st.slider(
            "Max review length (tokens)",
            10,
            limits.MAX_SEQUENCE_LENGTH,
            preset.data.max_length,
            10,
            key=f"{key}:maxlen",
            help="Longer reviews keep their last words. Shorter ones are padded, and the padding is masked: "
            "the last-state, mean and max read-outs and the one-to-one average use only the real words.",
        )
        train_size = st.number_input("Training reviews", 0, 25_000, preset.data.train_size, 500, key=f"{key}:train")
        test_size = st.number_input(
            "Test reviews to evaluate", 100, 25_000, preset.data.test_size, 500, key=f"{key}:test"
        )
        local_path = controls.local_path_input(
            "Local copy (folder or CSV)",
            key=f"{KEY}:local",
            help="A folder with imdb_train.csv.gz/imdb_test.csv.gz or aclImdb, or one CSV with text,label columns.",
        )
    with st.sidebar.expander("Model", expanded=True):
        model = controls.model_controls(
            key, preset.model, patterns=("many_to_one", "one_to_one"), show_readout=True, container=st
        )
        embedding_dim = st.select_slider(
            "Embedding size", [8, 16, 32, 64, 128, 256], preset.data.embedding_dim, key=f"{key}:emb"
        )
    with st.sidebar.expander("Training", expanded=True):
        train = controls.training_controls(key, preset.train, container=st, max_epochs=20)
    data = ImdbChoice(int(num_words), int(max_length), int(train_size), int(test_size), int(embedding_dim))
    return SentimentRun(data, model, train, local_path.strip())


# ----------------------------------------------------------------------------- training work


def make_work(run: SentimentRun) -> WorkSpec:
    """The run request: build, train, evaluate on the test split (in a worker process)."""
    arrays = data_cache.imdb_arrays(run.local_path, run.data.num_words, run.data.max_length)
    vocab_size = data_cache.imdb_capped(run.local_path, run.data.num_words).vocab.num_words
    return sentiment.jobs.spec(run, arrays, vocab_size)


# ----------------------------------------------------------------------------- results


def show_results(outcome: SentimentOutcome) -> None:
    labels = outcome.test_labels
    st.subheader("How good is it?")
    c1, c2, c3 = st.columns(3)
    c1.metric("Test accuracy", f"{outcome.test_accuracy:.1%}", help=f"On {len(labels):,} held-out test reviews.")
    c2.metric("Guessing the majority class", f"{max(labels.mean(), 1 - labels.mean()):.1%}")
    c3.metric("Training time", f"{outcome.seconds:.0f} s")
    left, right = st.columns([1, 1])
    with presenter.stage(left):  # presenter mode: under the title
        draw_chart(sentiment_charts.sentiment_confusion_chart(labels, outcome.test_probabilities))
        st.caption(
            "Rows are the true labels, columns what the model predicted; the diagonal is correct. "
            "A lopsided off-diagonal (say, many negatives called positive) means the model leans one way - "
            "often a sign it stopped early or its threshold is off."
        )
    with right:
        st.markdown("**Training history per epoch**")
        st.dataframe(history_table(outcome.result), hide_index=True)
    show_examples(outcome)
    your_review(outcome)


def show_examples(outcome: SentimentOutcome) -> None:
    run = outcome.config
    st.subheader("Test reviews, as the model saw them")
    st.caption(
        "The text is decoded from the token ids the model received: only the last "
        f"{run.data.max_length} tokens, words outside the {run.data.num_words:,}-word vocabulary shown as <?>. "
        "Confident mistakes are the interesting ones - look for sarcasm, negation or a twist at the end."
    )
    data = data_cache.imdb_capped(run.local_path, run.data.num_words)
    arrays = data_cache.imdb_arrays(run.local_path, run.data.num_words, run.data.max_length)
    probs, labels = outcome.test_probabilities, outcome.test_labels
    rng = np.random.default_rng(st.session_state.get(f"{KEY}:sample_seed", 0))
    if st.button("Show other reviews", key=f"{KEY}:resample"):
        st.session_state[f"{KEY}:sample_seed"] = int(rng.integers(1 << 30))
        rng = np.random.default_rng(st.session_state[f"{KEY}:sample_seed"])
    wrong = np.flatnonzero((probs > 0.5) != (labels > 0.5))
    right = np.flatnonzero((probs > 0.5) == (labels > 0.5))
    picks = list(rng.choice(right, min(3, len(right)), replace=False)) + list(
        rng.choice(wrong, min(2, len(wrong)), replace=False)
    )
    rows = []
    for i in picks:
        text = data.vocab.decode(arrays["x_test"][i])
        rows.append(
            {
                "review (decoded)": text[:600] + ("…" if len(text) > 600 else ""),
                "true label": "positive" if labels[i] > 0.5 else "negative",
                "P(positive)": float(probs[i]),
                "correct": bool((probs[i] > 0.5) == (labels[i] > 0.5)),
            }
        )
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        column_config={
            "P(positive)": st.column_config.ProgressColumn("P(positive)", min_value=0.0, max_value=1.0, format="%.2f"),
            "review (decoded)": st.column_config.TextColumn(width="large"),
        },
    )


def your_review(outcome: SentimentOutcome) -> None:
    run = outcome.config
    st.subheader("Write your own review")
    with st.form(f"{KEY}:own"):
        text = st.text_area(
            "Your review",
            "The acting was wonderful and the story kept me gripped until the end.",
            max_chars=None,
            height=100,
        )
        submitted = st.form_submit_button("Score it")
    if not submitted:
        return
    data = data_cache.imdb_capped(run.local_path, run.data.num_words)
    encoded = imdb.encode_user_text(data.vocab, text, run.data.max_length)
    if encoded.problem:
        st.warning(encoded.problem)
        return
    x = imdb.pad([encoded.ids], run.data.max_length)
    p = float(sentiment.training.score(outcome.model, x)[0])
    verdict = "positive" if p > 0.5 else "negative"
    st.metric("P(positive)", f"{p:.1%}", help="The model's sigmoid output.")
    st.progress(p, text=f"The model reads this as **{verdict}**.")
    notes = [f"{encoded.words} words, {encoded.unknown} not in the vocabulary (shown to the model as <?>)."]
    if encoded.truncated:
        notes.append(f"Only the last {run.data.max_length} tokens were used.")
    st.caption(" ".join(notes) + " The model saw: " + data.vocab.decode(x[0])[:400])


# ----------------------------------------------------------------------------- page


def main() -> None:
    presenter.title("Sentiment: many-to-one on IMDb reviews")
    st.markdown(
        "A **many-to-one** network reads a review one word at a time - each word becomes an embedding "
        "vector x_t, and the cell updates its hidden state h_t = f(x_t, h_(t-1)) - and after the last word "
        "a sigmoid unit says how positive the review is. Compare it with the **one-to-one baseline** that "
        "just averages the word vectors and ignores their order: whatever the RNN gains on top is what "
        "reading in order buys (negation, 'but', the twist at the end)."
    )
    experiments.section(KEY)
    run = sidebar()
    data = data_cache.imdb_full(run.local_path)
    data_cache.imdb_source_notice(data, KEY, f" reviews · {data.vocab.distinct_words:,} distinct words")
    if data.source.is_synthetic:
        st.info(OFFLINE_LESSON, icon=":material/science:")

    problems, note, run = imdb_run_checks(run, data)
    if note:
        st.info(note)
    can_train = controls.show_problems(problems)

    job = training_panel(
        KEY,
        start=lambda: make_work(run),
        config=run,
        metric="accuracy",
        metric_label="accuracy",
        clip_norm=run.train.clip_norm,
        can_train=can_train,
    )
    code_panel(KEY, run)
    if job is not None and job.state == "done":
        show_results(job.output)
    elif job is None and trained_config(KEY) is None:
        st.caption("Tip: the Tiny preset trains in a few seconds; the default reaches about 88 % on the real data.")


links.restore(KEY)
main()
links.publish(KEY)
