"""Streamlit glue for the Architectures page: a cache shared by every session, per-session memos of
what was computed for a model, and the start of the quick-train."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from core import cells
from core.cells import experiments as cell_experiments
from core.cells.config import FreshModel, fit_vocabulary, imdb_config
from core.data.imdb import OOV
from core.engine.config import InputSpec, ModelConfig, OutputSpec
from core.engine.run import TrainedRun
from core.engine.training_job import WorkSpec
from core.sentiment import jobs as sentiment_jobs
from core.sentiment.config import SentimentRun, imdb_run_checks
from ui import data_cache
from ui.training_panel import current_job, finished_runs

T = TypeVar("T")


@st.cache_data(show_spinner="Building the model in Keras to check the counts…", max_entries=64)
def keras_parameter_counts(config: ModelConfig, spec: InputSpec, output: OutputSpec) -> dict[str, int]:
    """`count_params()` per layer of the real Keras model (small dict; the model is thrown away)."""
    return cells.inspect.keras_counts(config, spec, output)


TENSORFLOW_IMPORT_DELAY_S = 1.0


def _counts_after_first_draw(config: ModelConfig, spec: InputSpec, output: OutputSpec) -> dict[str, int]:
    """On a server that has not loaded TensorFlow yet, give the page a second to reach the browser first:
    importing TensorFlow holds the interpreter's lock most of the time, which slowed the page's own
    first draw (3.8 s to interactive on a fresh server instead of 2.4-2.9 s for the other pages)."""
    if "keras" not in sys.modules:
        time.sleep(TENSORFLOW_IMPORT_DELAY_S)
    return keras_parameter_counts(config, spec, output)


def checked_counts(config: ModelConfig, spec: InputSpec, output: OutputSpec) -> dict[str, int]:
    """Keras' own counts, built on a background thread: TensorFlow loads (seconds, on a fresh
    server) while the page is already shown and usable, with a spinner where the table goes."""
    return data_cache.while_loading(
        ("keras-counts", config, spec, output),
        lambda: _counts_after_first_draw(config, spec, output),
        "Building the model in Keras to check the counts (TensorFlow loads once per server)…",
    )


def memoised(store: str, key: tuple, model: object, compute: Callable[[], T], size: int = 6) -> T:
    """compute(), remembered in this session for `model` under `key` (at most `size` entries per store).

    Each entry also holds the model itself, so a new model that happens to get a freed model's
    id (keys usually start with id(model)) never sees the old model's results.
    """
    memo: dict = st.session_state.setdefault(store, {})
    entry = memo.get(key)
    if entry is not None and entry[0] is model:
        return entry[1]
    value = compute()
    if len(memo) >= size:
        memo.clear()
    memo[key] = (model, value)
    return value


def fresh_model(store: str, fresh: FreshModel):
    """The fresh model of this session, rebuilt only when its architecture or seed changes."""
    cached = st.session_state.get(store)
    if cached is None or cached[0] != fresh:
        cached = (fresh, cells.inspect.fresh_model(fresh))
        st.session_state[store] = cached
    return cached[1]


def quick_work(run: SentimentRun) -> WorkSpec:
    """The quick-train's work function, on the shared IMDb caches; refuses a run the data can't serve."""
    data = data_cache.imdb_full(run.local_path)
    problems, _, run = imdb_run_checks(fit_vocabulary(run, data.vocab.distinct_words), data)
    if problems:
        raise ValueError(" ".join(problems))
    arrays = data_cache.imdb_arrays(run.local_path, run.data.num_words, run.data.max_length)
    vocab = data_cache.imdb_capped(run.local_path, run.data.num_words).vocab
    words = (*cell_experiments.PRAISE, *cell_experiments.CRITICISM)
    word_ids = {w: vocab.word_id(w) for w in words if vocab.word_id(w) != OOV}
    return sentiment_jobs.quick_spec(run, arrays, vocab.num_words, word_ids)


def select_newly_finished(seen_store: str, widget_key: str, trained: dict[str, TrainedRun]) -> None:
    """Select (in the widget `widget_key`) a run that finished since the page last looked:
    a model that just finished training is the one the user wants to open."""
    seen: set = st.session_state.setdefault(seen_store, set())
    new = [key for key, run in trained.items() if (key, id(run)) not in seen]
    seen.update((key, id(run)) for key, run in trained.items())
    if new:
        st.session_state[widget_key] = new[-1]


def imdb_models(own_key: str, own_label: str) -> dict[str, TrainedRun]:
    """This session's finished IMDb models by panel key: other pages' runs and, under `own_label`,
    the one trained on the page's own panel `own_key`."""
    models = {key: run for key, run in finished_runs(exclude=own_key).items() if imdb_config(run) is not None}
    own = current_job(own_key)
    if own is not None and own.state == "done" and imdb_config(own.output) is not None:
        models[own_label] = own.output
    return models
