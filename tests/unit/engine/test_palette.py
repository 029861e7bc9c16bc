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
        named = r'(?<!resolve_scale\()color="(?:#[0-9a-fA-F]{3}|[a-z]+)"'  # "#999", "gray", "firebrick"
        offenders += [f"{path.name}: {c}" for c in re.findall(named, chart_text)]
    assert offenders == []


# ----------------------------------------------------------------------------- colours a chart leaves to Vega

PALETTE = {c.lower() for c in (*palette.SERIES, palette.ORANGE, palette.NEUTRAL, palette.LIGHT_NEUTRAL)} | {
    c.lower() for c in (*palette.CELL_COLORS.values(), *palette.SPLIT_COLORS.values())
}
COLOUR_CHANNELS = ("color", "fill", "stroke")
# Categorical colour encodings without a palette scale in modules other engineers own, reported to them; a fix
# removes its entry here (the test fails while a listed one is gone, so the list only shrinks).
KNOWN_ELSEWHERE: set[tuple[str, str]] = set()


def _field_text(node) -> str:
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return ""


def default_colour_encodings(source: str) -> list[str]:
    """Categorical colour encodings Vega would colour with its own scheme: `alt.Color("x:N")` (or Fill, Stroke)
    without a `scale=`, and the shorthand `.encode(color="x:N")`."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr in ("Color", "Fill", "Stroke") and node.args:
            field = _field_text(node.args[0])
            if field.endswith((":N", ":O")) and "scale" not in {k.arg for k in node.keywords}:
                found.append(field)
        if node.func.attr == "encode":
            found += [
                _field_text(k.value)
                for k in node.keywords
                if k.arg in COLOUR_CHANNELS and _field_text(k.value).endswith((":N", ":O"))
            ]
    return found


def test_default_colour_encodings_are_found():
    assert default_colour_encodings('alt.Chart(d).encode(color=alt.Color("run:N", title="run"))') == ["run:N"]
    assert default_colour_encodings('c.encode(color="curve:N")') == ["curve:N"]
    assert default_colour_encodings('alt.Color("run:N", scale=series_scale(runs))') == []
    assert default_colour_encodings('alt.Color("share:Q")') == []  # sequential: a single hue is allowed


def test_no_categorical_colour_is_left_to_vegas_default_scheme():
    """Vega's default categorical scheme (tableau10) is not the palette: every colour per category (run, curve,
    layer) comes from palette.py through a scale, as the compare view's and the class board's do."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "core"
    found = {
        (path.relative_to(root).as_posix(), field)
        for path in sorted(root.glob("**/charts.py"))
        for field in default_colour_encodings(path.read_text())
    }
    assert found == KNOWN_ELSEWHERE


def _colours_off_palette(spec) -> list[str]:
    """Colours a Vega-Lite spec names (scale ranges, fixed values, mark colours) that are not the palette's,
    and categorical colour channels with no range of their own (Vega's default scheme)."""
    off: list[str] = []
    if isinstance(spec, dict):
        for channel in COLOUR_CHANNELS:
            enc = spec.get("encoding", {}).get(channel) if isinstance(spec.get("encoding"), dict) else None
            if isinstance(enc, dict) and enc.get("type") in ("nominal", "ordinal"):
                colours = (enc.get("scale") or {}).get("range")
                if not isinstance(colours, list):
                    off.append(f"{channel}: {enc.get('field')} on Vega's default scheme")
                else:
                    off += [str(c) for c in colours if str(c).lower() not in PALETTE]
        mark = spec.get("mark")
        if isinstance(mark, dict) and isinstance(mark.get("color"), str) and mark["color"].lower() not in PALETTE:
            off.append(mark["color"])
        for value in spec.values():
            off += _colours_off_palette(value)
    elif isinstance(spec, list):
        for value in spec:
            off += _colours_off_palette(value)
    return off


def test_the_class_boards_charts_take_the_palettes_colours():
    import pandas as pd

    from core.rooms import charts as board_charts

    runs = [f"n{i} · run {i}" for i in range(3)]
    curves = pd.DataFrame(
        [
            {"run": r, "curve": c, "epochs": e, "value": 1.0 / (e + i + 1)}
            for i, r in enumerate(runs)
            for c in ("training", "validation")
            for e in (0.5, 1.0)
        ]
    )
    overlay = board_charts.overlay(curves, "loss").to_dict(validate=False)
    assert _colours_off_palette(overlay) == []
    scale = overlay["layer"][0]["encoding"]["color"]["scale"]
    assert scale["domain"] == runs and scale["range"] == list(palette.SERIES[:3])
    scores = pd.DataFrame({"run": runs, "setting": ["LSTM", "GRU", "SimpleRNN"], "score": [0.1, 0.2, 0.3]})
    assert _colours_off_palette(board_charts.setting_scatter(scores, "model cell", "test MSE").to_dict()) == []
