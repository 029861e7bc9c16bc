"""The Sentiment lab's charts: how the classifier's test predictions fall against the true labels.

Each builder takes plain arrays/DataFrames and returns an `alt.Chart`, testable without a browser.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

LABELS = ["negative", "positive"]


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> pd.DataFrame:
    """Counts of (actual, predicted) class pairs, with the share of each actual class."""
    k = len(labels)
    counts = np.zeros((k, k), dtype=int)
    np.add.at(counts, (np.asarray(y_true, int), np.asarray(y_pred, int)), 1)
    rows = []
    for i in range(k):
        total = counts[i].sum()
        for j in range(k):
            rows.append(
                {
                    "actual": labels[i],
                    "predicted": labels[j],
                    "count": int(counts[i, j]),
                    "share": counts[i, j] / total if total else 0.0,
                }
            )
    return pd.DataFrame(rows)


def confusion_matrix_chart(table: pd.DataFrame) -> alt.Chart:
    """Heatmap of a `confusion_matrix` table; the diagonal is what the model got right."""
    order = list(dict.fromkeys(table["actual"]))
    base = alt.Chart(table).encode(
        x=alt.X("predicted:N", title="predicted", sort=order),
        y=alt.Y("actual:N", title="actual", sort=order),
    )
    heat = base.mark_rect().encode(
        color=alt.Color("share:Q", title="share of actual", scale=alt.Scale(scheme="blues", domain=[0, 1])),
        tooltip=["actual:N", "predicted:N", alt.Tooltip("count:Q"), alt.Tooltip("share:Q", format=".1%")],
    )
    text = base.mark_text(fontSize=16).encode(
        text=alt.Text("count:Q"),
        color=alt.condition(alt.datum.share > 0.5, alt.value("white"), alt.value("black")),
    )
    return (heat + text).properties(height=220, width=260, title="Confusion matrix (test split)")


def sentiment_confusion_chart(labels: np.ndarray, probabilities: np.ndarray) -> alt.Chart:
    """Confusion matrix of P(positive) > 0.5 against the 0/1 labels."""
    return confusion_matrix_chart(confusion_matrix(labels > 0.5, probabilities > 0.5, LABELS))
