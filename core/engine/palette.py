"""The one colour palette of every chart: Okabe & Ito's colour-blind-safe colours (TensorFlow-free).

Chosen so that every pair of colours a chart shows together stays apart for readers with
deuteranopia or protanopia (CIEDE2000 difference >= 20 after simulating either, Machado et al. 2009,
full severity; tests/unit/engine/test_palette.py checks it), and never told apart by red vs green
alone. More series than colours (an 8-layer gradient chart) repeat the colours with a dash pattern
as a second channel; thresholds and baselines are drawn in a neutral grey with a dash.
"""

from __future__ import annotations

from collections.abc import Sequence

BLUE, VERMILLION, SKY_BLUE, BLACK = "#0072B2", "#D55E00", "#56B4E9", "#000000"
ORANGE = "#E69F00"  # a lone extra (the dense baseline): never beside VERMILLION in one chart
NEUTRAL = "#8C8C8C"  # baselines (persistence, moving average, the trivial predictor) and threshold rules
LIGHT_NEUTRAL = "#C8C8C8"  # what sits behind a series (per-batch noise under its running mean)

SERIES = (BLUE, VERMILLION, SKY_BLUE, BLACK)  # in order of use: at most four colours in one chart
DASHES = ((1, 0), (6, 3), (2, 2), (8, 3, 2, 3))  # the second channel once the colours run out
THRESHOLD_DASH = (4, 4)

CELL_COLORS = {"SimpleRNN": VERMILLION, "LSTM": BLUE, "GRU": SKY_BLUE}
SPLIT_COLORS = {"train (per batch)": LIGHT_NEUTRAL, "train": BLUE, "validation": VERMILLION, "test": BLACK}
SEQUENTIAL = "viridis"  # heatmaps: perceptually even and colour-blind safe
DIVERGING = "blueorange"  # signed values (gates minus a half, weights): blue below, orange above


def series_colors(names: Sequence[str]) -> list[str]:
    """One colour per series, in order, repeating after four (pair with `series_dashes`)."""
    return [SERIES[i % len(SERIES)] for i in range(len(names))]


def series_dashes(names: Sequence[str]) -> list[list[int]]:
    """Solid for the first four series, then a dash pattern per further round of colours."""
    return [list(DASHES[(i // len(SERIES)) % len(DASHES)]) for i in range(len(names))]
