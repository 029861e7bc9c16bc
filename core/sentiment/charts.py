"""The Sentiment lab's charts: how the classifier's test predictions fall against the true labels.

Each builder takes plain arrays/DataFrames and returns an `alt.Chart`, testable without a browser.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from core.data.imdb import tokenize
from core.engine import palette

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


# ----------------------------------------------------------------------------- guided experiments' views


def classification_metrics(labels: np.ndarray, probabilities: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    """Accuracy, precision, recall and F1 of 'positive' at `threshold`, and the ROC AUC (threshold-free)."""
    y, p = np.asarray(labels) > 0.5, np.asarray(probabilities, float).reshape(-1)
    said = p > threshold
    tp, fp, fn = int(np.sum(said & y)), int(np.sum(said & ~y)), int(np.sum(~said & y))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "accuracy": float(np.mean(said == y)),
        "precision": precision,
        "recall": recall,
        "F1": f1,
        "ROC AUC": roc_auc(y, p),
    }


def roc_auc(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """The chance that a random positive review scores above a random negative one (ties count half)."""
    y, p = np.asarray(labels) > 0.5, np.asarray(probabilities, float).reshape(-1)
    pos, neg = p[y], p[~y]
    if not len(pos) or not len(neg):
        return float("nan")
    ranks = pd.Series(np.concatenate([pos, neg])).rank(method="average").to_numpy()  # ties share their mean rank
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def roc_frame(labels: np.ndarray, probabilities: np.ndarray) -> pd.DataFrame:
    """The ROC curve: false and true positive rate as the threshold falls from 1 to 0."""
    y, p = np.asarray(labels) > 0.5, np.asarray(probabilities, float).reshape(-1)
    thresholds = np.concatenate([[np.inf], np.unique(p)[::-1]])
    tpr = [float(np.mean(p[y] >= t)) if y.any() else 0.0 for t in thresholds]
    fpr = [float(np.mean(p[~y] >= t)) if (~y).any() else 0.0 for t in thresholds]
    frame = pd.DataFrame({"false positive rate": fpr, "true positive rate": tpr, "threshold": thresholds})
    if len(frame) > 400:  # keep the chart light; the ends stay
        keep = np.unique(np.linspace(0, len(frame) - 1, 400).round().astype(int))
        frame = frame.iloc[keep]
    return frame.replace(np.inf, 1.0).reset_index(drop=True)


def roc_chart(frame: pd.DataFrame, auc: float, at_half: tuple[float, float] | None = None) -> alt.Chart:
    """The ROC curve against the diagonal of guessing, with the 0.5 threshold's point."""
    curve = (
        alt.Chart(frame)
        .mark_line()
        .encode(
            x=alt.X("false positive rate:Q", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("true positive rate:Q", scale=alt.Scale(domain=[0, 1])),
            tooltip=["threshold:Q", "false positive rate:Q", "true positive rate:Q"],
        )
    )
    diagonal = alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]})).mark_line(
        strokeDash=list(palette.THRESHOLD_DASH), color=palette.NEUTRAL
    )
    layers = [curve, diagonal.encode(x="x:Q", y="y:Q")]
    if at_half is not None:
        point = pd.DataFrame({"false positive rate": [at_half[0]], "true positive rate": [at_half[1]]})
        layers.append(
            alt.Chart(point).mark_point(size=90, filled=True, color=palette.VERMILLION).encode(
                x="false positive rate:Q", y="true positive rate:Q"
            )
        )
    return alt.layer(*layers).properties(title=f"ROC curve (AUC {auc:.3f}); red dot: threshold 0.5", height=280)


def best_epoch(epochs: pd.DataFrame) -> int | None:
    """The epoch with the lowest validation loss (None without validation)."""
    if "val_loss" not in epochs or epochs["val_loss"].isna().all():
        return None
    return int(epochs.loc[epochs["val_loss"].idxmin(), "epoch"])


# The loss-per-epoch curves in the splits' own colours (training blue, validation vermillion).
CURVE_SCALE = alt.Scale(
    domain=["training loss", "validation loss"],
    range=[palette.SPLIT_COLORS["train"], palette.SPLIT_COLORS["validation"]],
)


def best_epoch_chart(epochs: pd.DataFrame) -> alt.Chart:
    """Training and validation loss per epoch, with the best epoch (lowest validation loss) marked."""
    long = epochs.melt("epoch", ["loss", "val_loss"], "curve", "value").replace(
        {"curve": {"loss": "training loss", "val_loss": "validation loss"}}
    )
    lines = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("value:Q", title="loss"),
            color=alt.Color("curve:N", title="curve", scale=CURVE_SCALE),
        )
    )
    best = best_epoch(epochs)
    if best is None:
        return lines.properties(title="Loss per epoch", height=260)
    rule = alt.Chart(pd.DataFrame({"epoch": [best], "label": [f"best epoch: {best}"]}))
    threshold = rule.mark_rule(strokeDash=list(palette.THRESHOLD_DASH), color=palette.NEUTRAL)
    marks = threshold.encode(x="epoch:Q") + rule.mark_text(
        align="left", dx=4, dy=-110, color=palette.BLACK
    ).encode(x="epoch:Q", text="label:N")
    return (lines + marks).properties(title=f"Loss per epoch; best epoch {best} (lowest validation loss)", height=260)


def tokenisation_steps(vocab, text: str, max_length: int, pad_id: int = 0) -> pd.DataFrame:
    """One review on its way to the model: words -> ids (with the start token and <?> for rare words)
    -> the row of length `max_length` the model reads (Keras' default: truncate and pad at the front)."""
    ids = vocab.encode(text)
    kept = ids[-max_length:]
    row = np.full(max_length, pad_id, dtype=np.int64)
    row[max_length - len(kept) :] = kept
    words = ["<start>", *tokenize(text)]
    first_kept = len(ids) - len(kept)
    rows = []
    for position in range(max_length):
        source = position - (max_length - len(kept)) + first_kept
        if position < max_length - len(kept):
            rows.append({"position": position, "token": "<pad>", "id": int(row[position]), "note": "padding (masked)"})
        else:
            word = words[source] if source < len(words) else ""
            shown = vocab.decode([int(row[position])], skip_padding=False)
            note = "out of vocabulary" if shown == "<?>" and word != "<start>" else ""
            rows.append({"position": position, "token": word, "id": int(row[position]), "note": note})
    return pd.DataFrame(rows)


def metrics_table(metrics: dict[str, float]) -> pd.DataFrame:
    """The classification metrics as one small table (threshold 0.5 except the AUC)."""
    return pd.DataFrame([{"metric": name, "value": round(float(value), 4)} for name, value in metrics.items()])
