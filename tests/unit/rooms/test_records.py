"""What the board keeps of a run: held-out scores read from each lab's outcome, curves, settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pytest

from core.engine.history import BatchRecord, EpochRecord, TrainingResult
from core.rooms import records
from core.rooms.settings import IN_MEMORY, RoomSettings, database_url, describe, normalise_url
from core.sentiment.config import SentimentOutcome


def result(epochs: int = 3, steps: int = 4) -> TrainingResult:
    batches, ends = [], []
    for e in range(1, epochs + 1):
        for b in range(1, steps + 1):
            step = (e - 1) * steps + b
            batches.append(BatchRecord(step, e, b, 1.0 / step, {"mae": 2.0 / step}, 1.0, 1.0, {}, step * 0.1))
        ends.append(EpochRecord(e, 1.0 / e, {"mae": 2.0 / e}, 1.5 / e, {"mae": 3.0 / e}, e * 0.4))
    return TrainingResult("completed", "done", batches, ends, seconds=1.2)


@dataclass
class Outcome:
    result: TrainingResult
    extra: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.__dict__["extra"][name]
        except KeyError:
            raise AttributeError(name) from None


def test_held_out_scores_come_from_each_labs_outcome():
    from core.attention.config import TwinOutcome
    from core.data.memory_tasks import Score as TaskScore
    from core.engine.run import TrainedRun
    from core.gradients.config import ComparisonOutcome, SingleOutcome
    from core.shakespeare.config import CharOutcome

    r = result()
    labels = np.array([1.0, 0.0])
    sentiment = SentimentOutcome(r, None, None, np.array([0.9, 0.2]), labels, 0.8)
    assert records.held_out_score(sentiment, "accuracy", "accuracy") == (0.8, "test accuracy", False)
    mse = TaskScore("MSE", True, 0.16, "always 1")
    single = SingleOutcome(r, None, None, SimpleNamespace(test_score=0.04), mse)
    assert records.held_out_score(single, "mae", "mae") == (0.04, "test MSE", True)
    runs = [SimpleNamespace(test_score=v) for v in (0.9, 0.6, float("nan"))]
    comparison = ComparisonOutcome(r, None, None, runs, TaskScore("accuracy", False, 0.5, "majority"))
    assert records.held_out_score(comparison, "accuracy", None) == (0.9, "best test accuracy", False)
    chars = CharOutcome.__new__(CharOutcome)
    chars.result, chars.val_bits = r, 2.5
    assert records.held_out_score(chars, "bits", None) == (2.5, "validation bits per character", True)
    twin = TwinOutcome(r, None, None, SimpleNamespace(exact_match=0.7))
    assert records.held_out_score(twin, "sparse_accuracy", None) == (0.7, "held-out exact match", False)
    # no score of its own: the page metric's last validation value, else the validation loss
    plain = TrainedRun(r, None, None)
    assert records.held_out_score(plain, "mae", "MAE") == (pytest.approx(1.0), "validation MAE", True)
    assert records.held_out_score(Outcome(r), None, None) == (pytest.approx(0.5), "validation loss", True)
    assert records.held_out_score(Outcome(TrainingResult("stopped", "s")), "accuracy", None)[0] is None


def test_an_entry_keeps_thinned_curves_and_no_model():
    r = result(epochs=4, steps=50)
    outcome = SentimentOutcome(r, object(), None, np.zeros(2), np.zeros(2), 0.75)
    entry = records.entry_of("sentiment", outcome, "GRU", {"page": "sentiment", "c": "GRU"}, "mae", "MAE")
    assert (entry.page, entry.label, entry.score, entry.status, entry.seconds) == (
        "sentiment",
        "GRU",
        0.75,
        "completed",
        1.2,
    )
    training = [c for c in entry.curves if c["quantity"] == "loss" and c["curve"] == "training"]
    validation = [c for c in entry.curves if c["quantity"] == "loss" and c["curve"] == "validation"]
    assert len(training) <= records.CURVE_POINTS and [c["epochs"] for c in validation] == [1.0, 2.0, 3.0, 4.0]
    assert {c["quantity"] for c in entry.curves} == {"loss", "mae"}
    assert "model" not in repr(entry)
    assert entry.settings == {}  # the fake outcome has no configuration
    config = SimpleNamespace()
    assert records.settings_of(None) == {} and records.settings_of(config) == {"configuration": str(config)}
    assert records.entry_of("sentiment", Outcome(TrainingResult("completed", "no batches")), "x", {}) is None


def test_settings_come_from_the_deployer(monkeypatch, tmp_path):
    monkeypatch.delenv("RNN_PLAYGROUND_DATABASE_URL", raising=False)
    monkeypatch.setenv("RNN_PLAYGROUND_CACHE", str(tmp_path))
    assert database_url() == f"sqlite:///{tmp_path / 'rooms.sqlite3'}"
    assert database_url("postgres://u:p@db/x") == "postgresql+psycopg://u:p@db/x"  # from secrets.toml
    monkeypatch.setenv("RNN_PLAYGROUND_DATABASE_URL", "postgresql://u@db/rnn")
    assert database_url("sqlite:///other") == "postgresql+psycopg://u@db/rnn"  # the environment wins
    monkeypatch.delenv("RNN_PLAYGROUND_DATABASE_URL")
    monkeypatch.setenv("RNN_PLAYGROUND_CACHE", "off")
    assert database_url() == IN_MEMORY
    assert normalise_url("sqlite:///a") == "sqlite:///a"
    assert describe("postgresql+psycopg://u:secret@db/rnn") == "postgresql+psycopg://u:***@db/rnn"
    monkeypatch.setenv("RNN_PLAYGROUND_ROOM_HOURS", "2")
    monkeypatch.setenv("RNN_PLAYGROUND_MAX_ROOMS", "nonsense")
    monkeypatch.setenv("RNN_PLAYGROUND_RUNS_PER_MINUTE", "-5")
    settings = RoomSettings.from_env()
    assert settings.expiry_seconds == 7200 and settings.max_rooms == 200 and settings.runs_per_session_minute == 1
