"""Runs compared side by side: a small per-page run history and the frames it is drawn from.

Every finished (or stopped) run of a training page becomes a `RunRecord` - its records,
configuration and a label, never the model - kept in a `RunHistory` bounded by count and by
an approximate byte budget (oldest dropped first). The frames here feed the overlaid charts
(core.engine.charts.compare_curves / compare_gradient_norms), the final-metrics and
configuration-differences table, and the one CSV a visitor downloads. TensorFlow-free.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.engine import limits
from core.engine.history import TrainingResult
from core.engine.run import HeldOut

# Approximate sizes of one record in memory (a frozen dataclass, its floats and dicts),
# measured with tracemalloc; close enough to bound a session's memory.
BATCH_RECORD_BYTES = 400
EPOCH_RECORD_BYTES = 300
DICT_ENTRY_BYTES = 90
MAX_LABEL_PARTS = 3
MAX_CURVE_POINTS = 400  # per run and curve: charts stay light with eight long runs overlaid
SMOOTH_POINTS = 50  # the training curve is a running mean over about 1/50 of the run


@dataclass
class RunRecord:
    """One finished run of a page, light enough to keep several: no model, just what it recorded."""

    run_id: int  # 1, 2, 3... per page, in the order the runs finished
    label: str  # editable; defaults to what differs from the previous run
    config: Any  # the lab's run configuration (a frozen dataclass)
    result: TrainingResult
    clip_norm: float | None = None  # the threshold the panel drew, if any
    held_out: HeldOut | None = None  # its score on data it never trained on

    @property
    def name(self) -> str:
        """Unique within a page (labels may repeat): the legend and table entry."""
        return f"#{self.run_id} {self.label}"

    @property
    def approx_bytes(self) -> int:
        return approx_bytes(self.result)


def approx_bytes(result: TrainingResult) -> int:
    """Approximate memory held by a result's records."""
    total = 0
    for b in result.batches:
        total += BATCH_RECORD_BYTES + DICT_ENTRY_BYTES * (len(b.metrics) + len(b.layer_norms))
    for e in result.epochs:
        total += EPOCH_RECORD_BYTES + DICT_ENTRY_BYTES * (len(e.metrics) + len(e.val_metrics))
    return total


class RunHistory:
    """A page's finished runs, oldest first, bounded by count and by approximate bytes."""

    def __init__(self, max_runs: int | None = None, max_bytes: int | None = None) -> None:
        self.max_runs = max_runs or limits.MAX_RUN_HISTORY
        self.max_bytes = max_bytes or limits.MAX_RUN_HISTORY_BYTES
        self.runs: list[RunRecord] = []
        self._next_id = 1

    def __len__(self) -> int:
        return len(self.runs)

    def add(
        self, config: Any, result: TrainingResult, clip_norm: float | None = None, held_out: HeldOut | None = None
    ) -> RunRecord:
        """Keep a run, labelled by what differs from the previous one; drop the oldest beyond the bounds."""
        previous = self.runs[-1] if self.runs else None
        label = default_label(previous.config if previous else None, config, previous.run_id if previous else None)
        record = RunRecord(self._next_id, label, config, result, clip_norm, held_out)
        self._next_id += 1
        self.runs.append(record)
        while len(self.runs) > 1 and (
            len(self.runs) > self.max_runs or sum(r.approx_bytes for r in self.runs) > self.max_bytes
        ):
            self.runs.pop(0)
        return record

    def newest_first(self) -> list[RunRecord]:
        return self.runs[::-1]

    def get(self, run_id: int) -> RunRecord | None:
        return next((r for r in self.runs if r.run_id == run_id), None)


# ----------------------------------------------------------------------------- configs and labels


def flatten_config(config: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf fields of a (nested) dataclass config, named like config_diff ("model cell")."""
    if not is_dataclass(config):
        return {prefix.strip() or "configuration": config}
    out: dict[str, Any] = {}
    for f in fields(config):
        value = getattr(config, f.name)
        name = f"{prefix}{f.name.replace('_', ' ')}"
        if is_dataclass(value):
            out.update(flatten_config(value, f"{name} "))
        else:
            out[name] = value
    return out


def _leaves(config: Any) -> list[tuple[str, Any]]:
    """(field name, value) of every leaf, by the leaf's own name ("cell", "clip_norm")."""
    if not is_dataclass(config):
        return [("configuration", config)]
    out: list[tuple[str, Any]] = []
    for f in fields(config):
        value = getattr(config, f.name)
        out.extend(_leaves(value) if is_dataclass(value) else [(f.name, value)])
    return out


def short_setting(name: str, value: Any) -> str:
    """One setting in a few words: "LSTM", "clip 1.0", "no clip", "dropout 0.5", "one-to-one"."""
    if name == "cell":
        return str(value)
    if name == "pattern":
        return str(value).replace("_", "-")
    if name in ("clip_norm", "clip_value", "clip_threshold"):
        words = "clip" if name != "clip_value" else "clip value"
        return f"no {words}" if value is None else f"{words} {value}"
    words = name.replace("_", " ")
    if isinstance(value, bool):
        return words if value else f"no {words}"
    if name == "attention" and str(value) == "none":
        return "no attention"
    if isinstance(value, tuple | list):
        value = ", ".join(str(v) for v in value) or "none"
    return f"{words} {value}"


def _join(parts: list[str]) -> str:
    if len(parts) > MAX_LABEL_PARTS:
        parts = [*parts[:MAX_LABEL_PARTS], f"+{len(parts) - MAX_LABEL_PARTS} more"]
    return ", ".join(parts)


def headline(config: Any) -> str:
    """A first run's label: its cell (or pattern), and clipping/dropout/attention when set."""
    leaves = dict(_leaves(config))
    parts: list[str] = []
    if leaves.get("pattern") == "one_to_one":
        parts.append("one-to-one baseline")
    elif "cell" in leaves:
        parts.append(str(leaves["cell"]))
    if "pattern" in leaves and leaves["pattern"] not in ("one_to_one", "many_to_one"):
        parts.append(short_setting("pattern", leaves["pattern"]))
    if "attention" in leaves:
        parts.append(short_setting("attention", leaves["attention"]))
    for name in ("clip_norm", "clip_value", "clip_threshold"):
        if leaves.get(name) is not None:
            parts.append(short_setting(name, leaves[name]))
    if leaves.get("dropout"):
        parts.append(short_setting("dropout", leaves["dropout"]))
    return _join(parts) if parts else "first run"


def default_label(previous: Any, config: Any, previous_id: int | None = None) -> str:
    """What differs from the previous run, shortly ("LSTM, clip 1.0"); a first run gets its headline."""
    if previous is None:
        return headline(config)
    if type(previous).__qualname__ != type(config).__qualname__:
        return headline(config)
    old, new = _leaves(previous), _leaves(config)
    parts = [short_setting(name, b) for (name, a), (_, b) in zip(old, new, strict=True) if a != b]
    if not parts:
        return f"same settings as #{previous_id}" if previous_id else "same settings"
    return _join(parts)


# ----------------------------------------------------------------------------- frames


def _progress(batches: pd.DataFrame) -> pd.Series:
    """Epochs of training at each step (1.5 = halfway through epoch 2): comparable across batch sizes."""
    per_epoch = batches["batch"].max()
    return batches["epoch"] - 1 + batches["batch"] / per_epoch


def _thin(frame: pd.DataFrame, max_points: int) -> pd.DataFrame:
    if len(frame) <= max_points:
        return frame
    keep = np.unique(np.linspace(0, len(frame) - 1, max_points).round().astype(int))
    return frame.iloc[keep]


def smoothing_window(steps: int) -> int:
    return max(1, steps // SMOOTH_POINTS)


def curves_frame(runs: Sequence[RunRecord], value: str, max_points: int = MAX_CURVE_POINTS) -> pd.DataFrame:
    """Long format, one row per point: run, curve (training / validation), epochs, step, epoch, value.

    Training rows are per step, a running mean over `smoothing_window(steps)` steps (thinned to
    `max_points`); validation rows are the per-epoch `val_<value>` at x = the epoch's end.
    """
    columns = ["run", "run_id", "curve", "epochs", "step", "epoch", "value"]
    parts = []
    for run in runs:
        batches = run.result.batch_frame()
        if batches.empty or value not in batches:
            continue
        train = pd.DataFrame(
            {
                "run": run.name,
                "run_id": run.run_id,
                "curve": "training",
                "epochs": _progress(batches),
                "step": batches["step"],
                "epoch": batches["epoch"],
                "value": batches[value].rolling(smoothing_window(len(batches)), min_periods=1).mean(),
            }
        )
        parts.append(_thin(train, max_points))
        epochs = run.result.epoch_frame()
        if f"val_{value}" in epochs:
            ends = batches.groupby("epoch")["step"].max()
            parts.append(
                pd.DataFrame(
                    {
                        "run": run.name,
                        "run_id": run.run_id,
                        "curve": "validation",
                        "epochs": epochs["epoch"].astype(float),
                        "step": epochs["epoch"].map(ends),
                        "epoch": epochs["epoch"],
                        "value": epochs[f"val_{value}"],
                    }
                )
            )
    if not parts:
        return pd.DataFrame(columns=columns)
    data = pd.concat(parts, ignore_index=True)[columns]
    return data[np.isfinite(data["value"].astype(float))].reset_index(drop=True)


def gradient_frame(runs: Sequence[RunRecord], max_points: int = MAX_CURVE_POINTS) -> pd.DataFrame:
    """Long format: run, epochs, step, epoch, grad_norm (the raw global norm), clip_norm of the run."""
    columns = ["run", "run_id", "epochs", "step", "epoch", "grad_norm", "clip_norm"]
    parts = []
    for run in runs:
        batches = run.result.batch_frame()
        if batches.empty or "grad_norm" not in batches:
            continue
        frame = pd.DataFrame(
            {
                "run": run.name,
                "run_id": run.run_id,
                "epochs": _progress(batches),
                "step": batches["step"],
                "epoch": batches["epoch"],
                "grad_norm": batches["grad_norm"],
                "clip_norm": run.clip_norm,
            }
        )
        frame = frame[np.isfinite(frame["grad_norm"]) & (frame["grad_norm"] > 0)]
        parts.append(_thin(frame, max_points))
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def final_metrics(result: TrainingResult) -> dict[str, float]:
    """The last finished epoch's means ("last epoch loss", "last epoch val accuracy"); empty if none finished.

    Named for what they are: a training value is the mean over that epoch's batches, not the loss
    at the last step (the smoothed curve ends lower when the loss is still falling)."""
    if not result.epochs:
        return {}
    last = result.epoch_frame().iloc[-1]
    return {f"last epoch {c.replace('_', ' ')}": float(last[c]) for c in last.index if c not in ("epoch", "elapsed_s")}


def config_differences(configs: Sequence[Any]) -> list[dict[str, str]]:
    """Per config, only the settings that are not the same in all of them (as text)."""
    flat = [flatten_config(c) for c in configs]
    names: list[str] = []
    for f in flat:
        names.extend(n for n in f if n not in names)
    missing = object()
    differing = [n for n in names if len({repr(f.get(n, missing)) for f in flat}) > 1]
    return [{n: _setting_text(f.get(n, missing), missing) for n in differing} for f in flat]


def _setting_text(value: Any, missing: object) -> str:
    if value is missing:
        return "—"
    if value is None:
        return "off"
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)


def comparison_table(runs: Sequence[RunRecord]) -> pd.DataFrame:
    """One row per run: its held-out score, how it ended, its final metrics, then the settings that differ."""
    differences = config_differences([r.config for r in runs])
    rows = []
    for run, diff in zip(runs, differences, strict=True):
        row: dict[str, Any] = {"run": run.name}
        if run.held_out is not None:
            better = "higher" if run.held_out.higher_is_better else "lower"
            row[f"{run.held_out.name} ({better} is better)"] = run.held_out.value
        row |= {
            "status": run.result.status,
            "epochs": len(run.result.epochs),
            "steps": run.result.steps,
            "seconds": round(run.result.seconds, 1),
        }
        row.update(final_metrics(run.result))
        row.update({f"setting: {name}": text for name, text in diff.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def comparison_csv(runs: Sequence[RunRecord]) -> str:
    """Every compared run's per-step history in one CSV: a `run` and `label` column, the batch
    columns, the epoch averages (epoch_*, val_*) on each epoch's last step, and the differing settings."""
    differences = config_differences([r.config for r in runs])
    parts = []
    for run, diff in zip(runs, differences, strict=True):
        batches = run.result.batch_frame()
        if batches.empty:
            continue
        epochs = run.result.epoch_frame().drop(columns=["elapsed_s"], errors="ignore")
        if not epochs.empty:
            epochs = epochs.rename(columns=lambda c: c if c == "epoch" or c.startswith("val_") else f"epoch_{c}")
            ends = batches.groupby("epoch")["step"].max()
            epochs = epochs.assign(step=epochs["epoch"].map(ends)).drop(columns=["epoch"])
            batches = batches.merge(epochs, on="step", how="left")
        front = pd.DataFrame({"run": run.run_id, "label": run.label}, index=batches.index)
        settings = pd.DataFrame({f"setting: {n}": t for n, t in diff.items()}, index=batches.index)
        parts.append(pd.concat([front, batches, settings], axis=1))
    if not parts:
        return "run,label\n"
    return pd.concat(parts, ignore_index=True).to_csv(index=False)
