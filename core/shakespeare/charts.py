"""Altair charts for the Shakespeare page: next-character odds, temperature, surprise, run comparison.

Plain DataFrames in, `alt.Chart` out (testable without a browser), like core.engine.charts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from core.engine import palette
from core.engine.charts import CELL_COLORS, LEGEND_ROOM, bottom_legend, legend_room
from core.shakespeare.char_rnn import LN2, visible
from core.shakespeare.config import RunSummary

COLD, HOT = (0x2C, 0x6F, 0xBB), (0xD6, 0x27, 0x28)  # low temperature blue (sharp), high red (flat)


def temperature_color(temperature: float, low: float = 0.1, high: float = 2.0) -> str:
    """Blue at T = 0.1 through purple to red at T = 2: no pale middle that vanishes on white."""
    share = min(1.0, max(0.0, (temperature - low) / (high - low)))
    r, g, b = (round(c + (h - c) * share) for c, h in zip(COLD, HOT, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def next_char_chart(table: pd.DataFrame, title: str = "Top-5 next characters") -> alt.Chart:
    """Grouped bars: for each likely next character, its probability at each temperature."""
    order = list(dict.fromkeys(table.sort_values("rank")["character"]))
    temperatures = sorted(table["temperature"].unique())
    return (
        alt.Chart(table)
        .mark_bar()
        .encode(
            x=alt.X(
                "character:N", title="next character (ranked by the model)", sort=order, axis=alt.Axis(labelAngle=0)
            ),
            xOffset=alt.XOffset("temperature:O", sort=temperatures),
            y=alt.Y("probability:Q", title="probability", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color(
                "temperature:O",
                title="temperature",
                sort=temperatures,
                scale=alt.Scale(domain=temperatures, range=[temperature_color(t) for t in temperatures]),
            ),
            tooltip=[
                alt.Tooltip("character:N"),
                alt.Tooltip("rank:Q"),
                alt.Tooltip("temperature:Q", format=".2f"),
                alt.Tooltip("probability:Q", format=".1%"),
            ],
        )
        .properties(height=280, title=title)
    )


def entropy_chart(frame: pd.DataFrame, selected: float, vocab_size: int) -> alt.Chart:
    """Entropy of the next-character distribution against temperature, with the chosen T marked."""
    uniform = math.log2(vocab_size)
    line = (
        alt.Chart(frame)
        .mark_line(point=True, color=palette.BLUE)
        .encode(
            x=alt.X("temperature:Q", title="temperature T"),
            y=alt.Y(
                "entropy_bits:Q", title="entropy of the next character (bits)", scale=alt.Scale(domain=[0, uniform])
            ),
            tooltip=[
                alt.Tooltip("temperature:Q", format=".2f"),
                alt.Tooltip("entropy_bits:Q", title="bits", format=".2f"),
            ],
        )
    )
    marks = pd.DataFrame(
        {
            "temperature": [selected],
            "label": [f"your T = {selected:g}"],
        }
    )
    chosen = (
        alt.Chart(marks)
        .mark_rule(color=palette.VERMILLION, strokeDash=list(palette.THRESHOLD_DASH), strokeWidth=2)
        .encode(x="temperature:Q", tooltip=[alt.Tooltip("label:N", title="")])
    )
    ceiling = (
        alt.Chart(pd.DataFrame({"bits": [uniform], "label": [f"all {vocab_size} characters equally likely"]}))
        .mark_rule(color=palette.NEUTRAL, strokeDash=[2, 2])
        .encode(y="bits:Q", tooltip=[alt.Tooltip("label:N", title="ceiling"), alt.Tooltip("bits:Q", format=".2f")])
    )
    return (line + chosen + ceiling).properties(height=280, title="How temperature flattens the distribution")


GRADIENT_LEGEND_PX = 56  # a colour-bar legend below a chart: its title, bar and labels
ROW_CHARS = 40  # characters per row of the surprise chart: each keeps ~8.5 px on a 390 px phone screen


def _word_length(text: str, start: int) -> int:
    """Characters from `start` to the next space or newline."""
    end = start
    while end < len(text) and text[end] not in " \n":
        end += 1
    return end - start


def surprise_table(text: str, bits: np.ndarray, width: int = ROW_CHARS) -> pd.DataFrame:
    """One row per character with its grid position (line, column) and the bits it cost. Rows wrap at
    `width` characters, between words where a word fits on the next row (like a page of text)."""
    rows, line, column = [], 0, 0
    for index, (char, cost) in enumerate(zip(text, bits, strict=True)):
        starts_word = char not in " \n" and (index == 0 or text[index - 1] in " \n")
        if starts_word and column and column + min(_word_length(text, index), width) >= width:  # + its space
            line, column = line + 1, 0
        rows.append(
            {
                "line": line,
                "column": column,
                "char": "⏎" if char == "\n" else char,
                "character": visible(char),
                "bits": None if np.isnan(cost) else float(cost),
            }
        )
        column += 1
        if char == "\n" or column >= width:
            line, column = line + 1, 0
    return pd.DataFrame(rows)


def surprise_chart(table: pd.DataFrame, max_bits: float = 8.0) -> alt.Chart:
    """The passage laid out as text, each character shaded by how surprised the model was."""
    lines = int(table["line"].max()) + 1 if not table.empty else 1
    base = alt.Chart(table).encode(
        x=alt.X("column:O", axis=None),
        y=alt.Y("line:O", axis=None),
        tooltip=[alt.Tooltip("character:N"), alt.Tooltip("bits:Q", title="surprise (bits)", format=".2f")],
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "bits:Q",
            title="surprise (bits)",
            scale=alt.Scale(scheme="orangered", domain=[0, max_bits], clamp=True),  # one hue: CVD safe
            legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=200),  # the text keeps the width
        )
    )
    letters = base.mark_text(fontSize=12, font="monospace").encode(text="char:N")
    return (cells + letters).properties(
        height=max(120, 20 * lines), title="Where the model is surprised", usermeta={LEGEND_ROOM: GRADIENT_LEGEND_PX}
    )


def run_comparison_frame(runs: Sequence[RunSummary], window: int = 10) -> pd.DataFrame:
    """Training bits/char against seconds for each finished run, smoothed over `window` batches."""
    frames = []
    for run in runs:
        frame = run.curve.sort_values("elapsed_s").copy()
        frame["bits"] = frame["loss"].rolling(window, min_periods=1).mean() / LN2
        frames.append(frame.assign(run=run.label, cell=run.cell))
    if not frames:
        return pd.DataFrame(columns=["elapsed_s", "bits", "run", "cell", "step"])
    return pd.concat(frames, ignore_index=True)


def run_comparison_chart(frame: pd.DataFrame) -> alt.Chart:
    """One line per run: how fast each setting learns per second of training."""
    runs = list(dict.fromkeys(frame["run"]))
    cell_of = dict(zip(frame["run"], frame["cell"], strict=False))
    dash = [[1, 0], [6, 3], [2, 2], [8, 2, 2, 2]]
    return (
        alt.Chart(frame)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("elapsed_s:Q", title="training time (s)"),
            y=alt.Y("bits:Q", title="training bits per character (smoothed)", scale=alt.Scale(zero=False)),
            color=alt.Color(
                "run:N",
                title="run",
                sort=runs,
                scale=alt.Scale(domain=runs, range=[CELL_COLORS.get(cell_of[r], palette.BLACK) for r in runs]),
                legend=bottom_legend(runs),
            ),
            strokeDash=alt.StrokeDash(
                "run:N",
                sort=runs,
                scale=alt.Scale(domain=runs, range=[dash[i % len(dash)] for i in range(len(runs))]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("run:N"),
                alt.Tooltip("step:Q"),
                alt.Tooltip("elapsed_s:Q", title="seconds", format=".1f"),
                alt.Tooltip("bits:Q", format=".3f"),
            ],
        )
        .properties(height=280, title="Your runs: learning per second", **legend_room(runs))
        .interactive()
    )
