"""Guided experiments: numbered, one-click lessons on a training page. Plain Python, TensorFlow-free.

An experiment IS an experiment link (core/engine/links.py): `params` are the page's query
parameters (short widget names -> values), applied to the page's controls the way opening a
link does. It says in two sentences what to look for, and its `claim` reads the finished run's
outcome (the lab's TrainedRun subclass) and says whether this run showed what the lesson claims:
`claim(outcome) -> (held, sentence)`. Claims are module-level functions, so experiments stay data.

`views` are optional extra views for the finished run (a ROC curve, the best epoch marked):
functions `outcome -> [(chart or DataFrame, caption), ...]`; the page's glue draws them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.engine.links import encode_one

Claim = Callable[[Any], tuple[bool, str]]
View = Callable[[Any], list[tuple[Any, str]]]

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


def check(experiment: Experiment, outcome: Any) -> tuple[bool, str]:
    """The experiment's claim on a finished run; a run the claim cannot read did not show it."""
    try:
        held, sentence = experiment.claim(outcome)
    except (AttributeError, TypeError, ValueError, IndexError, KeyError, ZeroDivisionError) as err:
        return False, f"this run's results could not be read for the check ({type(err).__name__})."
    return bool(held), sentence


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
