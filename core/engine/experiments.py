"""Guided experiments: numbered, one-click lessons on a training page. Plain Python, TensorFlow-free.

An experiment IS an experiment link (core/engine/links.py): `params` are the page's query
parameters (short widget names -> values), applied to the page's controls the way opening a
link does. It says in two sentences what to look for, and its `claim` reads the finished run's
outcome (the lab's TrainedRun subclass) and says whether this run showed what the lesson claims:
`claim(outcome) -> Verdict`. Claims are module-level functions, so experiments stay data.

A verdict is a claim that can fail: it compares the run with a baseline or twin measured on the
same data (the trivial predictor, persistence, a stateless twin, the same run before training)
and has three outcomes: SHOWED, NOT_SHOWN (with the measured reason and what to try) and
INCONCLUSIVE (the margin is too small to tell). `judge()` turns a measured margin into one of them.
Facts that hold by construction (a weight count) are not claims: an experiment lists them in
`facts`, functions `outcome -> [sentence, ...]` shown as plain facts beside the verdict.

`views` are optional extra views for the finished run (a ROC curve, the best epoch marked):
functions `outcome -> [(chart or DataFrame, caption), ...]`; the page's glue draws them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.engine.links import encode_one


class Outcome(StrEnum):
    """The three things a verdict can say about one run."""

    SHOWED = "showed it"
    NOT_SHOWN = "did not show it this time"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Verdict:
    """A claim's answer for one run: the outcome, the measured comparison, and what to try next."""

    outcome: Outcome
    sentence: str  # what was measured, against what, with the margin ("RMSE 1.19 vs persistence 1.21: +1.7 %")
    try_next: str = ""  # when not shown / inconclusive: what to change (more epochs, another seed, ...)

    @property
    def held(self) -> bool:
        return self.outcome is Outcome.SHOWED

    def text(self) -> str:
        return f"{self.sentence} {self.try_next}".strip()


def judge(margin: float, *, needed: float, unclear: float | None = None) -> Outcome:
    """A measured margin (bigger = more of the lesson) against the margin the lesson needs.

    SHOWED when `margin >= needed`; NOT_SHOWN when `margin < unclear` (default: `needed`);
    INCONCLUSIVE in between (too close to tell) and when the margin is not a finite number.
    """
    low = needed if unclear is None else unclear
    if low > needed:
        raise ValueError("unclear must not exceed needed")
    try:
        value = float(margin)
    except (TypeError, ValueError):
        return Outcome.INCONCLUSIVE
    if value != value or value in (float("inf"), float("-inf")):
        return Outcome.INCONCLUSIVE
    if value >= needed:
        return Outcome.SHOWED
    return Outcome.NOT_SHOWN if value < low else Outcome.INCONCLUSIVE


def verdict(
    outcome: Outcome, sentence: str, *, showed: str = "", not_shown: str = "", inconclusive: str = ""
) -> Verdict:
    """A Verdict whose closing words depend on the outcome (the lesson when shown, what to try when not)."""
    extra = {Outcome.SHOWED: showed, Outcome.NOT_SHOWN: not_shown, Outcome.INCONCLUSIVE: inconclusive}[outcome]
    if outcome is Outcome.SHOWED:
        return Verdict(outcome, f"{sentence} {extra}".strip())
    return Verdict(outcome, sentence, extra)


Claim = Callable[[Any], "Verdict | tuple[bool, str]"]
View = Callable[[Any], list[tuple[Any, str]]]
Facts = Callable[[Any], list[str]]

# The concepts a first RNN course teaches (issue 13); every one is covered by some page's experiments.
CONCEPTS = (
    "the five patterns",
    "BPTT and vanishing gradients",
    "exploding gradients and clipping",
    "LSTM and GRU gates",
    "bidirectional and stacked RNNs",
    "word embeddings",
    "tokenisation, padding and truncation",
    "overfitting",
    "stateful RNNs",
    "seq2seq and attention",
    "precision, recall, F1 and ROC",
)


@dataclass(frozen=True)
class Experiment:
    """One guided experiment of a page."""

    number: int
    title: str
    concepts: tuple[str, ...]
    params: Mapping[str, Any]  # link parameters: short widget name -> value (as the control holds it)
    look_for: str  # two sentences
    claim: Claim
    panel: str = ""  # the training panel whose run the claim reads ("" = the page's own)
    shown: tuple[str, ...] = ()  # parameters that only choose what is shown (a tab): not compared with the run
    views: tuple[View, ...] = field(default=())
    page_views: tuple[str, ...] = ()  # views drawn by the page's glue, which has the page's data (ui/experiments.py)
    train_label: str = "Train"  # the button the visitor presses next
    facts: tuple[Facts, ...] = field(default=())  # true by construction: shown as facts, never as verdicts

    def link_params(self) -> dict[str, str]:
        """The experiment as link text, ready for the links machinery."""
        out = {}
        for name, value in self.params.items():
            text = encode_value(value)
            if text is None:
                raise ValueError(f"experiment {self.number}: {name}={value!r} cannot go into a link")
            out[name] = text
        return out

    def matches(self, params: Mapping[str, str]) -> bool:
        """Whether controls described by `params` (link text) are set as this experiment sets them."""
        return not self.differences(params)

    def differences(self, params: Mapping[str, str]) -> list[str]:
        """The experiment's settings that `params` (link text) does not have, as 'name=value'."""
        return [
            f"{name}={text}"
            for name, text in self.link_params().items()
            if name not in self.shown and params.get(name) != text
        ]


def encode_value(value: Any) -> str | None:
    """A control's value as link text (a list joins with commas, like a multiselect's link)."""
    if isinstance(value, list | tuple):
        parts = [encode_one(v) for v in value]
        return None if any(p is None for p in parts) else ",".join(parts)  # type: ignore[arg-type]
    return encode_one(value)


def as_verdict(answer: Verdict | tuple[bool, str]) -> Verdict:
    """A claim's answer as a Verdict (a (held, sentence) pair from an older claim is SHOWED / NOT_SHOWN)."""
    if isinstance(answer, Verdict):
        return answer
    held, sentence = answer
    return Verdict(Outcome.SHOWED if held else Outcome.NOT_SHOWN, sentence)


def judge_run(experiment: Experiment, outcome: Any) -> Verdict:
    """The experiment's claim on a finished run; a run the claim cannot read is inconclusive."""
    try:
        return as_verdict(experiment.claim(outcome))
    except (AttributeError, TypeError, ValueError, IndexError, KeyError, ZeroDivisionError) as err:
        return Verdict(
            Outcome.INCONCLUSIVE,
            f"this run's results could not be read for the check ({type(err).__name__}).",
            "Train the experiment again with its own settings.",
        )


def check(experiment: Experiment, outcome: Any) -> tuple[bool, str]:
    """(held, sentence) of `judge_run`, for callers that only need yes or no."""
    v = judge_run(experiment, outcome)
    return v.held, v.text()


def facts_of(experiment: Experiment, outcome: Any) -> list[str]:
    """The experiment's facts about this run (true by construction); unreadable ones are left out."""
    out: list[str] = []
    for fact in experiment.facts:
        try:
            out.extend(fact(outcome))
        except (AttributeError, TypeError, ValueError, IndexError, KeyError):
            continue
    return out


def by_concept(pages: Mapping[str, Sequence[Experiment]]) -> dict[str, list[tuple[str, Experiment]]]:
    """Concept -> [(page, experiment), ...], in CONCEPTS order (the README's teaching table)."""
    table: dict[str, list[tuple[str, Experiment]]] = {c: [] for c in CONCEPTS}
    for page, experiments in pages.items():
        for e in experiments:
            for concept in e.concepts:
                table.setdefault(concept, []).append((page, e))
    return table


def controls(preset_index: int, **values: Any) -> dict[str, Any]:
    """Link parameters of controls whose keys carry the preset's index ("1.units")."""
    return {f"{preset_index}.{name}": value for name, value in values.items()}
