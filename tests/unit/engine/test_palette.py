"""The shared palette stays readable for colour-blind readers: every pair of colours used together differs by
ΔE2000 >= 20 under simulated deuteranopia and protanopia (Machado et al. 2009, severity 1)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from core.engine import palette

DEUTERANOPIA = np.array(
    [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
)
PROTANOPIA = np.array(
    [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
)
MIN_DELTA_E = 20.0


def _linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> tuple[float, float, float]:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def delta_e_2000(lab1, lab2) -> float:
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p, h2p = math.degrees(math.atan2(b1, a1p)) % 360, math.degrees(math.atan2(b2, a2p)) % 360
    dh = 0.0 if c1p * c2p == 0 else (h2p - h1p + 180) % 360 - 180
    d_hp = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_bar, c_bar_p = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_bar = (h1p + h2p) / 2
    else:
        h_bar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_bar - 30))
        + 0.24 * math.cos(math.radians(2 * h_bar))
        + 0.32 * math.cos(math.radians(3 * h_bar + 6))
        - 0.20 * math.cos(math.radians(4 * h_bar - 63))
    )
    r_c = 2 * math.sqrt(c_bar_p**7 / (c_bar_p**7 + 25**7))
    r_t = -math.sin(math.radians(60 * math.exp(-(((h_bar - 275) / 25) ** 2)))) * r_c
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / math.sqrt(20 + (l_bar - 50) ** 2)
    s_c, s_h = 1 + 0.045 * c_bar_p, 1 + 0.015 * c_bar_p * t
    dl, dc = (l2 - l1) / s_l, (c2p - c1p) / s_c
    dhh = d_hp / s_h
    return math.sqrt(dl**2 + dc**2 + dhh**2 + r_t * dc * dhh)


def seen(hex_colour: str, deficiency: np.ndarray | None) -> tuple[float, float, float]:
    linear = _linear(hex_colour)
    return _lab(linear if deficiency is None else np.clip(deficiency @ linear, 0, 1))


def test_delta_e_2000_matches_a_published_pair():
    # Sharma, Wu & Dalal (2005), test pair 1: ΔE00 = 2.0425
    assert delta_e_2000((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485)) == pytest.approx(2.0425, abs=1e-4)


GROUPS = {
    "series": palette.SERIES,
    "cells": tuple(palette.CELL_COLORS.values()),
    "splits": tuple(c for name, c in palette.SPLIT_COLORS.items() if name != "train (per batch)"),
    "series and threshold": (*palette.SERIES[:3], palette.NEUTRAL),
}


@pytest.mark.parametrize("group", list(GROUPS))
@pytest.mark.parametrize("vision", ["normal", "deuteranopia", "protanopia"])
def test_colours_used_together_stay_apart(group, vision):
    deficiency = {"normal": None, "deuteranopia": DEUTERANOPIA, "protanopia": PROTANOPIA}[vision]
    for a, b in itertools.combinations(GROUPS[group], 2):
        assert delta_e_2000(seen(a, deficiency), seen(b, deficiency)) >= MIN_DELTA_E, (group, vision, a, b)


def test_more_series_than_colours_repeat_with_a_dash():
    names = [f"layer {i}" for i in range(8)]
    pairs = list(zip(palette.series_colors(names), map(tuple, palette.series_dashes(names)), strict=True))
    assert len(set(pairs)) == 8  # every series has its own colour-and-dash pair
    assert palette.series_dashes(names)[0] == [1, 0] and palette.series_dashes(names)[4] != [1, 0]


def test_every_chart_builder_takes_its_colours_from_the_palette():
    """No chart module names a colour of its own: hex colours and categorical schemes live in palette.py only
    (single-hue and perceptual sequential schemes are colour-blind safe and allowed; Graphviz diagrams are not
    Altair charts and keep their pastel fills)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    allowed_schemes = {"viridis", "blues", "orangered", "purples", "greys"}
    offenders = []
    for path in sorted(root.glob("core/**/charts.py")):
        text = path.read_text()
        diagram = text.find("digraph")  # the Graphviz source builders at the end of a module
        chart_text = text if diagram < 0 else text[:diagram]
        offenders += [f"{path.name}: {c}" for c in re.findall(r'color="#[0-9a-fA-F]{6}"', chart_text)]
        offenders += [f"{path.name}: {s}" for s in re.findall(r'scheme="(\w+)"', text) if s not in allowed_schemes]
        offenders += [f"{path.name}: {c}" for c in re.findall(r'range=\["#', text)]
    assert offenders == []
