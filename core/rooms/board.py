"""The board's frames: a page's leaderboard, the chosen runs' curves, one setting against the score, the CSV.

Pure pandas over `StoredRun`s (core.rooms.store); the page draws them (app_pages/board.py) and
core.rooms.charts turns them into charts. Nicknames and labels stay data: they go into table cells,
legends and tooltips, never into markdown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlencode

import pandas as pd

from core.rooms.store import StoredRun

FILTER_SETTINGS = ("cell", "pattern")  # the board filters by settings whose name ends with one of these


def run_name(run: StoredRun) -> str:
    """A run's name in legends and pickers: unique in the room (ids are)."""
    return f"#{run.id} {run.nickname} · {run.label}"


def scored(run: StoredRun) -> bool:
    return run.score is not None and math.isfinite(run.score)


def ranked(runs: Sequence[StoredRun]) -> list[StoredRun]:
    """Best held-out score first (by the metric's direction); runs without a score last, oldest first among ties."""

    def key(run: StoredRun) -> tuple:
        if not scored(run):
            return (1, 0.0, run.id)
        return (0, run.score if run.lower_is_better else -run.score, run.id)

    return sorted(runs, key=key)


def run_link(run: StoredRun, base: str = "") -> str:
    """ "Open this run": the page's address with the run's link parameters (its configuration)."""
    page = run.params.get("page", run.page)
    return f"{base}{page}?{urlencode(run.params)}"


def leaderboard(runs: Sequence[StoredRun], base: str = "", teacher: bool = False) -> pd.DataFrame:
    """One row per run, best first: rank, nickname, label, score, the run's link; hidden flags for the teacher."""
    rows = []
    for rank, run in enumerate(ranked(runs), start=1):
        row = {
            "rank": rank if scored(run) else None,
            "pinned": "📌" if run.pinned else "",
            "nickname": run.nickname,
            "label": run.label,
            "score": run.score,
            "metric": run.metric,
            "status": run.status,
            "seconds": round(run.seconds, 1),
            "time (UTC)": datetime.fromtimestamp(run.created_at, UTC).strftime("%H:%M:%S"),
            "open": run_link(run, base),
            "run": run.id,
        }
        if teacher:
            row["hidden"] = "run" if run.hidden else "nickname" if run.name_hidden else ""
        rows.append(row)
    columns = ["rank", "pinned", "nickname", "label", "score", "metric", "status", "seconds", "time (UTC)"]
    columns += ["open", "run"]
    return pd.DataFrame(rows, columns=columns + (["hidden"] if teacher else []))


def curves(runs: Sequence[StoredRun], quantity: str = "loss") -> pd.DataFrame:
    """Long format for the overlay: run, curve (training / validation), epochs, value."""
    rows = [
        {"run": run_name(run), "curve": c.get("curve"), "epochs": c.get("epochs"), "value": c.get("value")}
        for run in runs
        for c in run.curves
        if c.get("quantity") == quantity
    ]
    frame = pd.DataFrame(rows, columns=["run", "curve", "epochs", "value"])
    return frame.dropna().reset_index(drop=True)


def quantities(runs: Sequence[StoredRun]) -> list[str]:
    """The curves the runs recorded: loss first, then the page's metric."""
    seen: list[str] = []
    for run in runs:
        for c in run.curves:
            if (q := c.get("quantity")) and q not in seen:
                seen.append(q)
    return sorted(seen, key=lambda q: q != "loss")


def varying_settings(runs: Sequence[StoredRun]) -> list[str]:
    """Settings whose value is not the same in every run (the knobs the class turned)."""
    names: list[str] = []
    for run in runs:
        names.extend(n for n in run.settings if n not in names)
    return [n for n in names if len({run.settings.get(n) for run in runs}) > 1]


def filter_values(runs: Sequence[StoredRun]) -> dict[str, list[str]]:
    """{setting name: its values in the room} for the cell and pattern settings."""
    out: dict[str, list[str]] = {}
    for run in runs:
        for name, value in run.settings.items():
            if name.split(" ")[-1] in FILTER_SETTINGS:
                values = out.setdefault(name, [])
                if value not in values:
                    values.append(value)
    return {name: sorted(values) for name, values in out.items()}


def filtered(runs: Sequence[StoredRun], chosen: dict[str, list[str]]) -> list[StoredRun]:
    """Runs whose every filtered setting has one of the chosen values (an empty choice filters nothing)."""
    return [r for r in runs if all(not values or r.settings.get(n) in values for n, values in chosen.items())]


def setting_scores(runs: Sequence[StoredRun], setting: str) -> pd.DataFrame:
    """One point per scored run: the setting's value (a number where every value is one), the score, who."""
    rows = [
        {"setting": run.settings.get(setting, "—"), "score": run.score, "run": run_name(run), "nickname": run.nickname}
        for run in runs
        if scored(run)
    ]
    frame = pd.DataFrame(rows, columns=["setting", "score", "run", "nickname"])
    numbers = pd.to_numeric(frame["setting"], errors="coerce")
    if len(frame) and numbers.notna().all():
        frame["setting"] = numbers
    return frame


def csv(runs: Sequence[StoredRun]) -> str:
    """Every run of the page, one row each: who, label, score, time, then its settings and link parameters."""
    rows = []
    for run in ranked(runs):
        row = {
            "run": run.id,
            "nickname": run.nickname,
            "label": run.label,
            "score": run.score,
            "metric": run.metric,
            "status": run.status,
            "seconds": run.seconds,
            "time_utc": datetime.fromtimestamp(run.created_at, UTC).isoformat(timespec="seconds"),
        }
        row.update({f"setting: {n}": v for n, v in run.settings.items()})
        row.update({f"link: {n}": v for n, v in run.params.items()})
        rows.append(row)
    return pd.DataFrame(rows).to_csv(index=False) if rows else "run,nickname,label,score\n"
