"""Charts for the Attention page: alignment heatmaps, accuracy vs input length, words by weight.

Builders take plain arrays/DataFrames and return Altair charts (or, for running text,
an HTML string), so they are testable without a browser.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd

from core.engine import palette
from core.engine.charts import empty_chart

if TYPE_CHECKING:
    from core.attention.seq2seq import AttentionSnapshot, Translation

SPACE = "␣"  # spaces drawn visibly on the axes
ATTENTION_COLORS = {
    "No attention": palette.NEUTRAL,
    "Additive": palette.VERMILLION,
    "Dot-product": palette.BLUE,
}
WEIGHT_SCHEME = palette.SEQUENTIAL  # dark = little attention, bright yellow = most: visible from the back row
SCALES = {
    "weight": "attention (each row sums to 1)",
    "row": "attention ÷ the row's largest",  # diffuse rows still show where they look most
}


def _visible(char: str) -> str:
    return SPACE if char == " " else char


def _label_expr(labels: Sequence[str]) -> str:
    """Vega expression mapping an ordinal position to its character (axis labels)."""
    return f"{json.dumps(list(labels), ensure_ascii=False)}[datum.value]"


def heatmap_frame(source: str, output_tokens: Sequence[str], weights: np.ndarray) -> pd.DataFrame:
    """Long table: one row per (decoder step, encoder step) with the characters, the weight, and the weight
    divided by its row's largest (`row`: 1 where that output step looks most)."""
    weights = np.asarray(weights, dtype=float)
    peaks = weights.max(axis=1, initial=0.0) if weights.size else np.zeros(0)
    rows = []
    for k, token in enumerate(output_tokens[: weights.shape[0]]):
        for t, char in enumerate(source[: weights.shape[1]]):
            rows.append(
                {
                    "output_step": k,
                    "output": token,
                    "input_position": t,
                    "input": _visible(char),
                    "weight": float(weights[k, t]),
                    "row": float(weights[k, t] / peaks[k]) if peaks[k] > 0 else 0.0,
                }
            )
    return pd.DataFrame(rows)


def attention_heatmap(
    source: str,
    output_tokens: Sequence[str],
    weights: np.ndarray,
    title: str = "Attention weights",
    scale: str = "weight",
) -> alt.Chart:
    """Decoder step (rows, what it wrote) x encoder step (columns, what it read), coloured by weight.

    Each row sums to 1. A sharp diagonal-like path means each output character reads one
    input character; a dark, even row means the decoder is not looking anywhere in particular.
    `scale="row"` colours each weight relative to its row's largest (the legend says so), so where a
    diffuse row looks most is still visible on a projector.
    """
    frame = heatmap_frame(source, output_tokens, weights)
    if frame.empty:
        return empty_chart("no attention weights to show")
    chars = [_visible(c) for c in source[: np.asarray(weights).shape[1]]]
    tokens = list(output_tokens[: np.asarray(weights).shape[0]])
    # Pixels per character: small enough that long inputs fit a page, large enough that every
    # label fits, so none may be dropped (labelOverlap off).
    cell = max(10, min(18, 640 // max(len(chars), 1)))
    font = 13 if cell >= 14 else 10
    return (
        alt.Chart(frame)
        .mark_rect(stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X(
                "input_position:O",
                title="input character (encoder step)",
                axis=alt.Axis(
                    labelExpr=_label_expr(chars), labelAngle=0, labelFontSize=font, labelOverlap=False, orient="top"
                ),
            ),
            y=alt.Y(
                "output_step:O",
                title="output character (decoder step)",
                axis=alt.Axis(labelExpr=_label_expr(tokens), labelFontSize=font, labelOverlap=False),
            ),
            color=alt.Color(
                f"{scale}:Q",
                title=SCALES[scale],
                scale=alt.Scale(scheme=WEIGHT_SCHEME, domain=[0, 1], clamp=True),
                legend=alt.Legend(orient="bottom", gradientLength=160),
            ),
            tooltip=[
                alt.Tooltip("output_step:O", title="decoder step"),
                alt.Tooltip("output:N", title="writes"),
                alt.Tooltip("input_position:O", title="encoder step"),
                alt.Tooltip("input:N", title="reads"),
                alt.Tooltip("weight:Q", title="weight", format=".3f"),
            ],
        )
        .properties(width=alt.Step(cell), height=alt.Step(cell), title=title)
    )


def translation_heatmap(translation: Translation, scale: str = "weight") -> alt.Chart:
    """One greedy translation's attention matrix at its natural size (one square per character pair)."""
    return attention_heatmap(
        translation.source,
        translation.output_tokens,
        translation.weights,
        scale=scale,
        title=f"{translation.source} → {translation.prediction or '(nothing)'}",
    )


def snapshot_chart(snapshot: AttentionSnapshot, scale: str = "weight") -> alt.Chart:
    """The fixed validation example's attention after one epoch of training (epoch 0: untrained)."""
    t = snapshot.translation
    return attention_heatmap(
        t.source,
        t.output_tokens,
        t.weights,
        title=f"After epoch {snapshot.epoch}: {t.source} → {t.prediction}",
        scale=scale,
    )


def exact_match_history_chart(epochs: Sequence[int], accuracy: Sequence[float | None]) -> alt.Chart:
    """Greedy exact-match accuracy on a held-out sample after each epoch (0 = untrained)."""
    frame = pd.DataFrame({"epoch": list(epochs), "exact_match": list(accuracy)}).dropna()
    if frame.empty:
        return empty_chart("exact match: no epochs yet")
    return (
        alt.Chart(frame)
        .mark_line(point=True, color=palette.BLUE)
        .encode(
            x=alt.X("epoch:Q", title="epoch", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("exact_match:Q", title="held-out exact match", scale=alt.Scale(domain=[0, 1])),
            tooltip=[alt.Tooltip("epoch:Q"), alt.Tooltip("exact_match:Q", title="exact match", format=".1%")],
        )
        .properties(height=200, title="Held-out exact match after each epoch")
    )


def attention_color_scale(labels: Sequence[str]) -> alt.Scale:
    """Same colour for the same attention kind everywhere; extra runs of a kind get a darker shade."""
    colours = []
    for label in labels:
        kind = next((k for k in ATTENTION_COLORS if label.startswith(k)), None)
        colours.append(ATTENTION_COLORS.get(kind, palette.BLACK))
    return alt.Scale(domain=list(labels), range=colours)


def accuracy_by_length_chart(table: pd.DataFrame) -> alt.Chart:
    """Exact match per input-length bin, one line per trained model (`run` column)."""
    if table.empty:
        return empty_chart("no held-out results yet")
    runs = list(dict.fromkeys(table["run"]))
    base = alt.Chart(table).encode(
        x=alt.X("length_from:Q", title="input length (characters, bin start)"),
        y=alt.Y("exact_match:Q", title="held-out exact match", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color(
            "run:N",
            title="model",
            scale=attention_color_scale(runs),
            legend=alt.Legend(orient="bottom", labelLimit=400),
        ),
        tooltip=[
            alt.Tooltip("run:N", title="model"),
            alt.Tooltip("lengths:N", title="input length"),
            alt.Tooltip("exact_match:Q", title="exact match", format=".1%"),
            alt.Tooltip("examples:Q", title="held-out examples"),
        ],
    )
    return (base.mark_line(strokeWidth=2) + base.mark_point(size=60, filled=True)).properties(
        height=300, title="Exact match vs input length"
    )


def length_comparison_chart(tables: Mapping[str, pd.DataFrame]) -> alt.Chart:
    """`accuracy_by_length_chart` of several models: one accuracy-by-length table per model label."""
    return accuracy_by_length_chart(
        pd.concat([table.assign(run=label) for label, table in tables.items()], ignore_index=True)
    )


def accuracy_by_format_chart(frame: pd.DataFrame) -> alt.Chart:
    """Held-out exact match per input format (how the source was written)."""
    if frame.empty or "format" not in frame:
        return empty_chart("no held-out results yet")
    table = (
        frame.groupby("format")
        .agg(exact_match=("correct", "mean"), examples=("correct", "size"), example=("source", "first"))
        .reset_index()
    )
    return (
        alt.Chart(table)
        .mark_bar(color=palette.BLUE)
        .encode(
            x=alt.X(
                "exact_match:Q", title="held-out exact match", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")
            ),
            y=alt.Y("format:N", title="input format", sort="x", axis=alt.Axis(labelLimit=250, labelOverlap=False)),
            tooltip=[
                alt.Tooltip("format:N"),
                alt.Tooltip("example:N", title="e.g."),
                alt.Tooltip("exact_match:Q", title="exact match", format=".1%"),
                alt.Tooltip("examples:Q", title="held-out examples"),
            ],
        )
        .properties(height=alt.Step(20), title="Exact match by input format")
    )


# ----------------------------------------------------------------------------- words by weight


SATURATION = 3.0  # a word is drawn darkest at this many times an even share (1/n) of the attention


def word_shades(weights: Sequence[float]) -> list[float]:
    """Opacity 0..1 per word: relative to the review's largest weight, but never darker than
    SATURATION x an even share allows - so near-uniform attention looks pale, not all dark."""
    if not len(weights):
        return []
    scale = max(max(weights), min(1.0, SATURATION / len(weights)))
    return [min(1.0, w / scale) for w in weights]


def highlight_html(words: Sequence[str], weights: Sequence[float]) -> str:
    """The words as running text, each on a purple background as dark as its attention weight.

    Hovering a word shows its weight (the weights of a review sum to 1).
    """
    if not words:
        return "<p><em>(no words)</em></p>"
    spans = []
    for word, weight, shade in zip(words, weights, word_shades(weights), strict=True):
        text_color = "white" if shade > 0.6 else "inherit"
        spans.append(
            f'<span title="weight {weight:.4f}" style="background:rgba(117, 107, 177, {shade:.2f});'
            f'color:{text_color};padding:0 3px;border-radius:3px">{html.escape(word)}</span>'
        )
    return '<div style="line-height:2.0;font-size:0.95rem;padding-bottom:0.5rem">' + " ".join(spans) + "</div>"


def word_weights_frame(words: Sequence[str], weights: Sequence[float]) -> pd.DataFrame:
    return pd.DataFrame({"position": range(1, len(words) + 1), "word": list(words), "weight": list(weights)})


def word_weights_chart(words: Sequence[str], weights: Sequence[float]) -> alt.Chart:
    """Attention weight of every word in reading order: peaks are the words the classifier pooled."""
    frame = word_weights_frame(words, weights)
    if frame.empty:
        return empty_chart("no words")
    return (
        alt.Chart(frame)
        .mark_bar(color=palette.BLUE)
        .encode(
            x=alt.X("position:Q", title="word position in the review"),
            y=alt.Y("weight:Q", title="attention weight"),
            tooltip=[alt.Tooltip("position:Q"), alt.Tooltip("word:N"), alt.Tooltip("weight:Q", format=".4f")],
        )
        .properties(height=180, title="Attention over the review, word by word")
    )


def top_words_chart(words: Sequence[str], weights: Sequence[float], count: int = 12) -> alt.Chart:
    """The `count` single words with the most attention in this review."""
    frame = word_weights_frame(words, weights).nlargest(count, "weight")
    if frame.empty:
        return empty_chart("no words")
    frame["label"] = frame["word"] + " (#" + frame["position"].astype(str) + ")"
    return (
        alt.Chart(frame)
        .mark_bar(color=palette.BLUE)
        .encode(
            x=alt.X("weight:Q", title="attention weight"),
            y=alt.Y("label:N", title="", sort="-x", axis=alt.Axis(labelOverlap=False)),
            tooltip=[alt.Tooltip("word:N"), alt.Tooltip("position:Q"), alt.Tooltip("weight:Q", format=".4f")],
        )
        .properties(height=alt.Step(18), title=f"The {len(frame)} words it weighted most")
    )
