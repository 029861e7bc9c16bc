"""Guided experiments on a training page: the Streamlit glue (the experiments are data in core/<lab>/experiments.py).

A page calls `experiments.section(KEY)` once, near its top. It lists the page's numbered
experiments in an expander; an experiment's button applies its parameters the way opening its
link on a fresh session does (every control of the page back to its default, then the link's
values, through ui/links.py) and asks the visitor to press Train. When the chosen experiment's
panel finishes a run that was started with the experiment's settings, the section says whether
this run showed the claim ("This run showed it: ..." / "This run did not show it: ...") and draws
the experiment's extra views.

A link carries the lesson: a link that names an experiment (`experiment=2`, added to the page's URL
and to its "Copy link" box whenever the controls are set as an experiment sets them) opens the page
with that experiment's card expanded, and its check appears after Train in that session too.

How a run is tied to its settings: the section runs before the page's widgets, so on the rerun
that follows a press of Train the session state still holds the values the run was started
with; the section notes them the first time it sees the panel's new job.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from core.engine.experiments import Experiment, Outcome, by_concept, encode_value, facts_of, judge_run
from core.engine.links import PAGE_PARAM, param_name
from core.sentiment import charts as sentiment_charts
from core.sentiment.experiments import SHORT_REVIEW
from ui import data_cache, links, presenter
from ui.charts import draw_chart
from ui.training_panel import current_job

# page KEY -> the module holding its EXPERIMENTS (TensorFlow-free)
PAGES = importlib.import_module("core.labs").experiment_modules()  # derived from the one list of labs
INTRO = (
    "Each experiment sets this page's controls in one click (every other control goes back to its default, "
    "as when you open a link), says what to look for, and trains in under a minute. After the run, the page "
    "checks the experiment's claim against what *this* run did."
)


def experiments_for(page_key: str) -> Sequence[Experiment]:
    module = PAGES.get(page_key)
    return importlib.import_module(module).EXPERIMENTS if module else ()


def linked_experiment(page_key: str, params: dict[str, str]) -> dict[str, str]:
    """The `experiment=N` a link gets when the page's controls (`params`, link text) are set as experiment N
    sets them: the chosen experiment first, else the first that matches. Registered with ui/links.py."""
    experiments = experiments_for(page_key)
    if not experiments:
        return {}
    chosen = st.session_state.get(_chosen_key(page_key))
    ordered = sorted(experiments, key=lambda e: e.number != chosen)
    match = next((e for e in ordered if e.matches(params)), None)
    return {links.EXPERIMENT_PARAM: str(match.number)} if match is not None else {}


links.extra_params(linked_experiment)


def experiment_url(page_key: str, e: Experiment) -> str:
    """A relative link that opens the page with the experiment set up and its card expanded."""
    return f"{page_key}?{urlencode({PAGE_PARAM: page_key, links.EXPERIMENT_PARAM: e.number, **e.link_params()})}"


def concept_table() -> pd.DataFrame:
    """Which experiment teaches which concept, on which page (Home's table), in the course's order."""
    titles = {key: key.replace("-", " ").capitalize() for key in PAGES}
    rows = [
        {
            "concept": concept,
            "page": titles[page],
            "experiment": f"{e.number} · {e.title}",
            "open it": experiment_url(page, e),
        }
        for concept, found in by_concept({page: experiments_for(page) for page in PAGES}).items()
        for page, e in found
    ]
    return pd.DataFrame(rows)


def _chosen_key(page_key: str) -> str:
    return f"experiments:{page_key}:chosen"


def _started_key(page_key: str) -> str:
    return f"experiments:{page_key}:started"  # panel -> (job, the link text of the controls it started with)


def state_params(page_key: str) -> dict[str, str]:
    """The page's controls as link text, read from the session state (before the widgets are drawn)."""
    out = {}
    for key, value in st.session_state.items():
        name = param_name(page_key, str(key))
        if name is not None and (text := encode_value(value)) is not None:
            out[name] = text
    return out


def apply(page_key: str, number: int) -> None:
    """Button callback: the experiment's link applied to the page, as on a fresh session."""
    experiment = next(e for e in experiments_for(page_key) if e.number == number)
    state = st.session_state
    drawn = links._KNOWN.get(page_key, set())
    for key in list(state.keys()):
        if param_name(page_key, str(key)) in drawn:
            del state[key]  # back to the control's default when it is drawn next
    state[f"{links._PREFIX}:{page_key}:pending"] = experiment.link_params()
    state[f"{links._PREFIX}:{page_key}:notes"] = []
    state[f"{links._PREFIX}:{page_key}:first"] = True  # publish() reports a name the page does not have
    state[_chosen_key(page_key)] = number


def _note_started_runs(page_key: str, experiments: Sequence[Experiment]) -> None:
    """Remember the settings each new job of the page's panels was started with."""
    started: dict = st.session_state.setdefault(_started_key(page_key), {})
    for panel in {e.panel or page_key for e in experiments}:
        job = current_job(panel)
        if job is not None and (panel not in started or started[panel][0] is not job):
            started[panel] = (job, state_params(page_key))


def section(page_key: str) -> None:
    """The page's "Guided experiments" expander: one button per experiment, then the chosen one's check."""
    experiments = experiments_for(page_key)
    if not experiments:
        return
    _note_started_runs(page_key, experiments)
    linked = links.linked_experiment(page_key)
    if linked.isdigit() and any(e.number == int(linked) for e in experiments):
        st.session_state[_chosen_key(page_key)] = int(linked)  # a link that names it opens its card
    chosen = next((e for e in experiments if e.number == st.session_state.get(_chosen_key(page_key))), None)
    taught = " · ".join(f"{'; '.join(e.concepts)} ({e.number})" for e in experiments)
    with st.expander(f"Guided experiments ({len(experiments)}): {taught}", expanded=chosen is not None):
        st.caption(INTRO)
        for e in experiments:
            left, right = st.columns([5, 1])
            left.markdown(f"**{e.number} · {e.title}** ({'; '.join(e.concepts)})")
            left.caption(e.look_for)
            right.button(
                f"Set up {e.number}",
                key=f"experiments-{page_key}-{e.number}",
                on_click=apply,
                args=(page_key, e.number),
                width="stretch",
                type="primary" if e is chosen else "secondary",
            )
        if chosen is not None:
            st.divider()
            _chosen_status(page_key, chosen)


def _chosen_status(page_key: str, e: Experiment) -> None:
    panel = e.panel or page_key
    job = current_job(panel)
    started = st.session_state.get(_started_key(page_key), {}).get(panel)
    if job is None or started is None or started[0] is not job:
        st.info(f"Experiment {e.number} is set up: press **{e.train_label}** below, then come back here.")
        return
    if job.running:
        st.caption(f"Experiment {e.number}: training… the check appears here when the run ends.")
        return
    differs = e.differences(started[1])
    if differs:
        st.info(
            f"The last run was not trained with experiment {e.number}'s settings (it differs in "
            f"{', '.join(differs[:4])}). Press **Set up {e.number}**, then **{e.train_label}**."
        )
        return
    if job.state != "done" or job.output is None:
        st.warning(f"Experiment {e.number}'s run did not finish, so there is nothing to check.")
        return
    show_check(e, job.output)


def show_check(e: Experiment, outcome: Any) -> None:
    """The claim's verdict on a finished run, then the experiment's extra views."""
    v = judge_run(e, outcome)
    for fact in facts_of(e, outcome):
        st.markdown(f"**Fact:** {fact}")
    here = presenter.stage()  # presenter mode: the verdict goes under the page's title
    if v.outcome is Outcome.SHOWED:
        here.success(f"**Experiment {e.number}. This run showed it:** {v.sentence}")
    elif v.outcome is Outcome.NOT_SHOWN:
        here.warning(f"**Experiment {e.number}. This run did not show it this time:** {v.sentence} {v.try_next}")
    else:
        here.info(f"**Experiment {e.number}. Inconclusive (too close to tell):** {v.sentence} {v.try_next}")
    items = [item for view in e.views for item in view(outcome)]
    items += [item for name in e.page_views for item in PAGE_VIEWS[name](outcome)]
    for item, caption in items:
        if isinstance(item, pd.DataFrame):
            st.dataframe(item, hide_index=True)
        else:
            draw_chart(item)
        st.caption(caption)


# ----------------------------------------------------------------------------- views that need a page's data


def tokenisation_walkthrough(outcome: Any) -> list[tuple[Any, str]]:
    """One short review and one real test review on their way to the model, with the run's vocabulary and length."""
    data, length = outcome.config.data, outcome.config.data.max_length
    vocab = data_cache.imdb_capped(outcome.config.local_path, data.num_words).vocab
    full = data_cache.imdb_full(outcome.config.local_path)  # every word its own id: the review's own words
    real = full.vocab.decode(full.test_ids[0])
    conventions = (
        f"Keras conventions: ids are frequency ranks shifted by 3 (0 = padding, 1 = start of review, 2 = a word "
        f"outside the {data.num_words:,}-word vocabulary, shown as <?>); every row has exactly {length} ids - "
        "`pad_sequences` pads and truncates at the front, so a review's ending is always kept."
    )
    return [
        (
            sentiment_charts.tokenisation_steps(vocab, SHORT_REVIEW, length),
            f"**A short review:** “{SHORT_REVIEW}” → its words → ids → the row the model reads, padded at the front "
            f"with 0s (masked, so the model skips them). {conventions}",
        ),
        (
            sentiment_charts.tokenisation_steps(vocab, real, length),
            f"**The first test review** ({len(real.split()):,} words as the data set stores it) is truncated: only "
            f"its last {length} words reach the model; everything before them is dropped.",
        ),
    ]


PAGE_VIEWS = {"tokenisation": tokenisation_walkthrough}
