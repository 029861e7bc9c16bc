"""The Gradient lab's charts say what their data says: one axis format per scale, legends naming the runs
(overlaid from step 0), captions whose facts are read from the lines they sit under. TensorFlow-free."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace as NS

import numpy as np
import pandas as pd
import vl_convert

from core.data.memory_tasks import Score
from core.engine.charts import LINEAR_LABELS, LOG_FORMAT
from core.gradients import charts as gradient_charts
from core.gradients.config import floor_note, reach_words, skill
from tests.helpers import spec_dicts

MSE = Score("MSE", True, 1 / 6, "always answer 1")


def as_dict(chart) -> dict:
    return chart.to_dict()


def rows(d: dict) -> list[dict]:
    return [row for data in d["datasets"].values() for row in data]


def formats(d: dict) -> list[str]:
    return [
        x[key].get("format") or x[key]["labelExpr"]
        for x in spec_dicts(d)
        for key in ("axis", "legend")
        if isinstance(x.get(key), dict) and ("format" in x[key] or "labelExpr" in x[key])
    ]


def lines(run: str, moment: str, norms) -> pd.DataFrame:
    return pd.DataFrame({"time_step": np.arange(1, len(norms) + 1), "norm": norms, "moment": moment, "run": run})


def test_clipping_runs_are_overlaid_from_step_zero_and_named_in_the_legend():
    plain = pd.DataFrame({"step": [1, 2, 3], "grad_norm": [2.0, 1e8, np.nan], "applied_norm": [2.0, 1e8, np.nan]})
    clipped = pd.DataFrame({"step": np.arange(1, 11), "grad_norm": np.geomspace(5, 0.01, 10), "applied_norm": 0.1})
    d = as_dict(
        gradient_charts.runs_global_norm_chart([("no clipping", plain, None, 3), ("clip norm 0.1", clipped, 0.1, None)])
    )
    data = [r for r in rows(d) if "norm" in r]
    assert {r["run"] for r in data} == {"no clipping", "clip norm 0.1"}
    assert {min(r["step"] for r in data if r["run"] == run) for run in ("no clipping", "clip norm 0.1")} == {1}
    assert max(r["step"] for r in data) == 10  # not 13: the clipped run does not start where the other ended
    text = json.dumps(d)
    assert '"domain": ["no clipping", "clip norm 0.1"]' in text
    assert "clip norm 0.1: clip norm = 0.1" in text and "no clipping: NaN/inf at step 3" in text
    assert {r["series"] for r in data if r["run"] == "no clipping"} == {"before clipping"}  # nothing to clip
    assert set(formats(d)) == {LINEAR_LABELS, LOG_FORMAT}


def test_log_axes_share_one_exponent_format_and_linear_axes_four_digits():
    reach = as_dict(gradient_charts.gradient_reach_chart(lines("GRU", "at initialisation", [1e-10, 1e-6, 1.0])))
    assert sorted(formats(reach)) == sorted([LINEAR_LABELS, LOG_FORMAT])
    heat = as_dict(
        gradient_charts.gradient_heatmap(pd.DataFrame({"training_step": 0, "time_step": [1, 2], "norm": [1e-10, 1.0]}))
    )
    assert formats(heat) == [LOG_FORMAT]
    batches = pd.DataFrame({"step": [1, 2], "grad_norm": [1.9999999999999, 1.5e10], "applied_norm": [1.0, 1.0]})
    norms = as_dict(gradient_charts.global_norm_chart(batches, clip_norm=1.0))
    assert LOG_FORMAT in formats(norms) and ",d" not in formats(norms)
    # its training steps as whole numbers, as on the per-layer chart above it (not 1.0, 2.0, ...)
    assert set(formats(norms)) == {LINEAR_LABELS, LOG_FORMAT}
    assert [x["axis"]["tickMinStep"] for x in spec_dicts(norms) if "tickMinStep" in x.get("axis", {})] == [1]
    scores = pd.DataFrame({"cell": ["GRU"], "T": [50], "test score": [2.0000000001], "steps": [9]})
    assert LINEAR_LABELS in formats(as_dict(gradient_charts.score_vs_length_chart(scores, MSE)))


def test_reach_caption_reads_the_direction_of_each_line_from_its_data():
    exploding = lines("no clipping", "at initialisation", [1.8e3, 10.0, 1.0])  # highest at step 1
    vanishing = lines("clip norm 0.1", "after 1260 steps", [5e-7, 1e-3, 1.0])  # highest at step T
    underflow = lines("SimpleRNN", "after 63 steps", [0.0, 1e-9, 1.0])
    blown = lines("no clipping", "after 18 steps", [0.0, 0.0, 0.0])
    text = gradient_charts.reach_caption(pd.concat([exploding, blown, vanishing, underflow]))
    parts = text.split("**")  # heading, then each run name and what its lines do
    assert parts[3::2] == ["no clipping", "clip norm 0.1", "SimpleRNN"]
    plain, clipped, simple = parts[4::2]
    assert (
        "1.8e+03 × step T's gradient (the line rises to the left" in plain
        and "0 at every step (drawn on the chart's 1e-30 floor" in plain
    )
    assert "5.0e-07 × step T's gradient (the line rises to the right" in clipped and "left" not in clipped
    assert "below 1e-30: nothing reaches step 1" in simple
    assert gradient_charts.reach_caption(lines("x", "now", [])[:0]) == ""
    assert "no finite gradient" in gradient_charts.reach_caption(lines("x", "now", [np.nan, np.inf]))


def test_outcome_table_words_an_underflow_instead_of_printing_zero():
    recorder = NS(latest=lambda: NS(norms=np.array([0.0, 1.0])))
    run = NS(
        label="SimpleRNN",
        model_config=NS(cell="SimpleRNN"),
        length=2,
        result=NS(status="completed", steps=3, seconds=1.0),
        test_score=0.17,
        baseline=0.163,
        recorder=recorder,
        spectral_radius=1.0,
    )
    table = gradient_charts.outcomes_frame([run])
    assert table["gradient reaching step 1 / step T"].tolist() == ["below 1e-30: nothing reaches step 1"]


def test_reach_words_floor_note_and_skill():
    assert reach_words(0.0) == "below 1e-30: nothing reaches step 1" and reach_words(0.0, short=True) == "below 1e-30"
    assert reach_words(1.53e-4) == "1.5e-04" and "not measurable" in reach_words(float("nan"))
    assert "nothing reaches step 1" in floor_note(0.0, 1.5e-4) and floor_note(1e-3, 1e-4) == ""
    assert skill(0.0815, 0.163, True) == 0.5 and skill(0.326, 0.163, True) == -1.0
    assert skill(0.75, 0.5, False) == 0.5


def drawn(chart) -> list[str]:
    """The numbers Vega draws as tick and legend labels, rendered to SVG."""
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", vl_convert.vegalite_to_svg(chart.to_dict()))
    return [t for t in texts if t[:1].isdigit()]


def test_drawn_log_ticks_use_one_exponent_format():
    """Not "0.000001" beside "1e-10" on one log axis, nor "15,000,000,000,000" on a norm axis."""
    reach = drawn(gradient_charts.gradient_reach_chart(lines("SimpleRNN", "now", np.geomspace(1e-10, 1.0, 30))))
    assert "1e-10" in reach and not [t for t in reach if t.startswith("0.0")]
    batches = pd.DataFrame({"step": np.arange(1, 21), "grad_norm": np.geomspace(0.5, 1.5e13, 20)})
    batches["applied_norm"] = 1.0
    norms = drawn(gradient_charts.global_norm_chart(batches, clip_norm=1.0))
    assert "1e+12" in norms and not [t for t in norms if "," in t]
    both = drawn(
        gradient_charts.runs_global_norm_chart([("no clipping", batches, None, 20), ("clip", batches, 1.0, None)])
    )
    assert not [t for t in both if "," in t or t.startswith("0.0")]
