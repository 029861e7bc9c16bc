"""Attention page core: generated tasks, seq2seq with attention, greedy decoding, pooling, charts."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from core.attention import charts as attention_charts
from core.attention import seq2seq as s2s
from core.attention.config import (
    PoolingConfig,
    PoolingOutcome,
    PoolingRun,
    Seq2SeqConfig,
    TranslationData,
    TranslationOutcome,
    TranslationRun,
    TwinOutcome,
)
from core.attention.pooling import build_pooling_classifier, explain, train_and_evaluate, weighted_words
from core.data import imdb
from core.data.dates import (
    DATE_FORMATS,
    MONTHS,
    WEEKDAYS,
    make_date_task,
    make_digits_task,
    make_number_task,
    ordinal,
)
from core.engine.config import TrainConfig
from core.sentiment.config import ImdbChoice, input_spec

# ----------------------------------------------------------------------------- an independent date reader

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _year(text: str) -> int:
    value = int(text)
    if len(text) == 4:
        return value
    assert len(text) == 2, text
    return 1900 + value if value >= 50 else 2000 + value


def read_date(source: str) -> dt.date:
    """Parse a generated date with the documented conventions, independently of the generator."""
    text = source.lower()
    words = re.findall(r"[a-z]+", text)
    month = next((MONTHS.index(m) + 1 for m in MONTHS for w in words if w in (m, m[:3])), None)
    numbers = re.findall(r"(\d+)(st|nd|rd|th)?", text)
    for number, suffix in numbers:
        if suffix:
            assert ordinal(int(number)) == number + suffix, f"wrong ordinal in {source!r}"
    digits = [n for n, _ in numbers]
    if month is not None:
        day, year = int(digits[0]), _year(digits[-1])
    elif "/" in text and len(digits[0]) == 4:
        year, month, day = int(digits[0]), int(digits[1]), int(digits[2])
    elif "/" in text:
        month, day, year = int(digits[0]), int(digits[1]), _year(digits[2])
    elif "." in text:
        day, month, year = int(digits[0]), int(digits[1]), _year(digits[2])
    else:
        year, month, day = int(digits[0]), int(digits[1]), int(digits[2])
    date = dt.date(year, month, day)
    weekday = next((d for d in WEEKDAYS for w in words if w in (d, d[:3]) and w not in ("mar", "may")), None)
    if weekday is not None:
        assert WEEKDAYS[date.weekday()] == weekday, f"wrong weekday in {source!r}"
    return date


def test_every_date_target_is_a_valid_iso_date_matching_its_source():
    task = make_date_task(train_size=3000, test_size=1000, seed=3)
    pairs = list(zip(task.train_sources + task.test_sources, task.train_targets + task.test_targets, strict=True))
    for source, target in pairs:
        assert ISO.match(target), target
        assert dt.date.fromisoformat(target) == read_date(source), (source, target)
    assert set(task.test_formats) == set(DATE_FORMATS)  # every format is exercised
    assert task.max_target_length == 10


def test_date_task_is_deterministic_and_holds_out_unseen_days():
    a, b = make_date_task(500, 200, seed=1), make_date_task(500, 200, seed=1)
    assert a == b
    assert make_date_task(500, 200, seed=2).train_sources != a.train_sources
    big = make_date_task(5000, 2000, seed=1)
    assert not set(big.train_targets) & set(big.test_targets)
    with pytest.raises(ValueError):
        make_date_task(0, 10)


_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_UNITS = {w: i for i, w in enumerate(_ONES + _TEENS)}
_TENS = {w: 10 * (i + 2) for i, w in enumerate(("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty"))}
_TENS["ninety"] = 90


def read_number(words: str) -> int:
    total, current = 0, 0
    for word in words.replace("-", " ").split():
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current *= 100
        elif word == "thousand":
            total, current = (total + current) * 1000, 0
        else:
            assert word == "and", word
    return total + current


def test_number_task_targets_are_the_digits_of_their_words():
    task = make_number_task(2000, 500, seed=4)
    for source, target in zip(
        task.train_sources + task.test_sources, task.train_targets + task.test_targets, strict=True
    ):
        assert target.isdigit() and str(int(target)) == target
        assert read_number(source) == int(target), source
    held_out_big = {t for t in task.test_targets if int(t) >= 100}
    assert held_out_big and not held_out_big & set(task.train_targets)
    assert make_number_task(200, 50, seed=4) == make_number_task(200, 50, seed=4)


# ----------------------------------------------------------------------------- vocabularies and arrays


@pytest.fixture(scope="module")
def small_task():
    return make_date_task(train_size=400, test_size=60, seed=0)


def test_vocabularies_and_teacher_forcing_arrays(small_task):
    src = s2s.source_vocab(small_task.train_sources)
    tgt = s2s.target_vocab(small_task.train_targets)
    assert src.decode(src.encode("March 3, 2021")) == "march 3, 2021"
    assert src.unknown_chars("3 März!") == ["ä", "z", "!"]
    arrays = s2s.encode_pairs(src, tgt, ["3/4/21"], ["2021-03-04"], source_len=12, target_len=11)
    assert arrays.encoder_input[0, :6].all() and not arrays.encoder_input[0, 6:].any()
    assert arrays.decoder_input[0, 0] == s2s.START
    assert list(arrays.decoder_input[0, 1:]) == list(arrays.decoder_target[0, :-1])
    assert arrays.decoder_target[0, -1] == s2s.END
    assert tgt.decode(arrays.decoder_target[0]) == "2021-03-04"
    short = s2s.encode_pairs(src, tgt, ["x"], ["7"], 3, 4)
    assert list(short.weights[0]) == [1.0, 1.0, 0.0, 0.0]  # "7", <end>, padding, padding


# ----------------------------------------------------------------------------- model and attention


def _tiny(task, attention="additive", cell="GRU", bidirectional=True) -> s2s.Prepared:
    config = Seq2SeqConfig(cell=cell, units=8, bidirectional=bidirectional, attention=attention, embedding_dim=8)
    return s2s.prepare(task, config, seed=0)


@pytest.mark.parametrize(
    "attention,cell,bidirectional", [("additive", "GRU", True), ("dot", "LSTM", True), ("dot", "SimpleRNN", False)]
)
def test_attention_weights_sum_to_one_and_ignore_padding(small_task, attention, cell, bidirectional):
    prepared = _tiny(small_task, attention, cell, bidirectional)
    arrays = prepared.test
    weights = s2s.attention_weights(prepared.models, arrays)
    n, k, s = weights.shape
    assert (n, k, s) == (len(arrays), prepared.models.target_len, prepared.models.source_len)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-5)
    padding = arrays.encoder_input == s2s.PAD
    assert padding.any() and (~padding).any()
    assert np.abs(weights * padding[:, None, :]).max() < 1e-6
    assert (weights * ~padding[:, None, :]).max() > 0


def test_prediction_does_not_depend_on_what_padding_holds(small_task):
    """Masking is real: the same input padded with 0s twice as long gives the same output."""
    prepared = _tiny(small_task)
    models = prepared.models
    ids = s2s.encode_sources(models.source, ["4 jan 1999"], models.source_len)
    probs = models.train([ids, np.full((1, models.target_len), s2s.START, np.int32)])
    again = s2s.build_seq2seq(models.config, models.source, models.target, models.source_len * 2, models.target_len)
    again.train.set_weights(models.train.get_weights())
    longer = np.zeros((1, models.source_len * 2), np.int32)
    longer[:, : models.source_len] = ids
    np.testing.assert_allclose(
        probs, again.train([longer, np.full((1, models.target_len), s2s.START, np.int32)]), atol=1e-5
    )


def test_no_attention_model_has_no_weights(small_task):
    prepared = _tiny(small_task, attention="none")
    assert not prepared.models.has_attention
    with pytest.raises(ValueError, match="no attention"):
        s2s.attention_weights(prepared.models, prepared.test)
    out = s2s.translate(prepared.models, ["1 may 2001"])[0]
    assert not out.weights.any()


def test_greedy_loop_stops_at_the_end_token():
    vocab_size, calls = 6, []
    script = {0: [4, 3, s2s.END, 5, 5], 1: [s2s.END, 5, 5, 5, 5]}  # row 1 ends at once

    def step(decoder_ids, t):
        calls.append(decoder_ids.copy())
        probs = np.zeros((2, vocab_size))
        for row, tokens in script.items():
            probs[row, tokens[t]] = 1.0
        return probs, np.full((2, 3), 1 / 3)

    out = s2s.greedy_loop(step, batch=2, max_steps=5, source_len=3)
    assert out.steps == 3 and len(calls) == 3  # stopped once both rows said <end>
    assert list(out.tokens[0]) == [4, 3, s2s.END, 0, 0]
    assert list(out.tokens[1]) == [s2s.END, 0, 0, 0, 0]
    assert list(out.lengths()) == [3, 1]
    assert list(calls[2][0, :3]) == [s2s.START, 4, 3]  # each guess is fed back in
    assert not out.weights[1, 1:].any()  # nothing recorded after <end>


def _force_output(models: s2s.Seq2SeqModels, token: int) -> None:
    """Make the output layer always prefer `token`, whatever it reads."""
    kernel, bias = models.train.get_layer("output").get_weights()
    bias = np.full_like(bias, -10.0)
    bias[token] = 10.0
    models.train.get_layer("output").set_weights([np.zeros_like(kernel), bias])


def test_greedy_decoding_of_a_model_stops_at_end_or_at_the_length_limit(small_task):
    models = _tiny(small_task).models
    _force_output(models, s2s.END)
    decoded = s2s.greedy_decode(models, s2s.encode_sources(models.source, ["1 may 2001", "2/3/04"], models.source_len))
    assert decoded.steps == 1 and list(decoded.lengths()) == [1, 1]
    out = s2s.translate(models, ["1 may 2001"])[0]
    assert out.prediction == "" and out.output_tokens == ("<end>",)
    assert out.weights.shape == (1, len("1 may 2001"))

    seven = models.target.encode("7")[0]
    _force_output(models, seven)
    out = s2s.translate(models, ["1 may 2001"])[0]
    assert out.prediction == "7" * models.target_len  # never says <end>: stops at the limit
    np.testing.assert_allclose(out.weights.sum(axis=1), 1.0, atol=1e-5)


def test_user_input_is_checked_before_translation(small_task):
    models = _tiny(small_task).models
    assert "empty" in s2s.check_user_input(models, "   ").problem
    assert "at most" in s2s.check_user_input(models, "9" * (models.source_len + 1)).problem
    assert "never saw" in s2s.check_user_input(models, "3 März 2021").problem
    assert s2s.check_user_input(models, " 3 May 2021 ").problem == ""
    assert s2s.check_user_input(models, " 3 May 2021 ").text == "3 May 2021"


def test_evaluation_scores_exact_match_and_characters(small_task):
    models = _tiny(small_task).models
    seven = models.target.encode("7")[0]
    _force_output(models, seven)
    evaluation = s2s.evaluate(models, ["1 may 2001"], ["7777777777"], ["D mon YYYY"])
    assert evaluation.exact_match == 0.0  # no <end>: the answer is too long
    assert evaluation.char_accuracy == pytest.approx(10 / 11)
    assert list(evaluation.frame.columns) == [
        "source",
        "target",
        "prediction",
        "correct",
        "char_accuracy",
        "input_length",
        "format",
    ]
    frame = pd.DataFrame({"input_length": [3, 4, 12], "correct": [True, False, True]})
    table = s2s.accuracy_by_length(frame, bin_width=5)
    assert list(table["lengths"]) == ["0-4", "10-14"] and list(table["exact_match"]) == [0.5, 1.0]


def test_seq2seq_loss_is_the_mean_over_real_decoder_steps():
    """Padding steps neither count in the loss nor dilute it: sum(ce * w) / sum(w), as numpy computes it."""
    task = make_number_task(train_size=64, test_size=8, seed=0)  # 1 to 6 digits: many padded steps
    prepared = _tiny(task)
    models, train = prepared.models, prepared.train
    weights = train.weights.astype(np.float64)
    assert 0.2 < weights.mean() < 0.9
    probabilities = np.asarray(models.train(train.x, training=False), dtype=np.float64)
    picked = np.take_along_axis(probabilities, train.decoder_target[..., None].astype(np.int64), axis=-1)[..., 0]
    cross_entropy = -np.log(np.clip(picked, 1e-7, 1 - 1e-7))
    expected = (cross_entropy * weights).sum() / weights.sum()
    trainer = s2s.make_trainer(models, TrainConfig(epochs=1, batch_size=len(train), shuffle=False), len(train))
    # uneven evaluation batches: each counts by its real steps
    evaluated = trainer.evaluate(train.x, train.decoder_target, train.weights, batch_size=16)
    assert evaluated["loss"] == pytest.approx(expected, rel=1e-5)
    record = trainer.fit(train.x, train.decoder_target, sample_weight=train.weights).batches[0]
    assert record.loss == pytest.approx(expected, rel=1e-5)  # the loss optimised on the first batch


@pytest.mark.parametrize("make", [make_digits_task, make_date_task, make_number_task])
def test_validation_pairs_are_held_back_from_training_never_taken_from_test(make):
    task = make(train_size=400, test_size=60, seed=0)
    prepared = _tiny(task)
    validation = set(zip(prepared.validation_sources, prepared.validation_targets, strict=True))
    assert len(prepared.train) + len(prepared.validation) == len(task.train_sources)
    assert 0.05 * len(task.train_sources) <= len(validation) <= 0.2 * len(task.train_sources)
    assert validation <= set(zip(task.train_sources, task.train_targets, strict=True))
    assert not {s for s, _ in validation} & set(task.test_sources)
    # like test, validation values are unseen in training, except those the task shares with test by design
    train_targets = {prepared.models.target.decode(row) for row in prepared.train.decoder_target}
    unseen = {t for _, t in validation} - set(task.test_targets)
    assert unseen and not unseen & train_targets


def test_training_validates_on_the_validation_split_not_on_test(small_task, monkeypatch):
    seen = {}
    fit = s2s.Trainer.fit

    def spy(self, *args, **kwargs):
        seen.setdefault("validation", kwargs.get("validation"))
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(s2s.Trainer, "fit", spy)
    run = TranslationRun(
        TranslationData(train_size=400, test_size=60),
        Seq2SeqConfig(units=8, embedding_dim=8, attention_units=8),
        TrainConfig(epochs=1, batch_size=64, learning_rate=1e-2),
    )
    out = s2s.train_translation(run, small_task, probe_size=20)
    prepared = _tiny(small_task)
    rows = {row.tobytes() for row in seen["validation"][0][0]}
    assert rows == {row.tobytes() for row in prepared.validation.encoder_input}
    assert not rows & {row.tobytes() for row in prepared.test.encoder_input}
    assert out.snapshots[-1].translation.source in prepared.validation_sources
    assert len(out.evaluation.frame) == 60  # the final score is on the whole test split


def test_training_run_snapshots_every_epoch_and_trains_a_twin(small_task):
    run = TranslationRun(
        TranslationData(train_size=400, test_size=60),
        Seq2SeqConfig(units=8, embedding_dim=8, attention_units=8),
        TrainConfig(epochs=2, batch_size=64, learning_rate=1e-2),
    )
    published = []
    out = s2s.train_translation(run, small_task, publish=published.append, twin=True, probe_size=20)
    assert isinstance(out, TranslationOutcome) and out.config == run and out.model is out.models.train
    assert out.result.status == "completed"
    assert [s.epoch for s in out.snapshots] == [0, 1, 2] == [s.epoch for s in published[-1]]
    first = out.snapshots[0].translation
    np.testing.assert_allclose(first.weights.sum(axis=1), 1.0, atol=1e-5)
    assert out.snapshots[-1].exact_match is not None
    assert out.snapshots[-1].alignment is None  # dates are not spoken digits: no word to align to
    assert 0.0 <= out.evaluation.char_accuracy <= 1.0
    assert out.result.epochs[-1].metrics["sparse_accuracy"] > 0.2  # above chance (1 in 14 characters)
    assert isinstance(out.twin, TwinOutcome) and out.twin.model is None
    assert out.twin.config.model.attention == "none" and out.twin.result.status == "completed"
    assert len(out.twin.evaluation.frame) == 60
    assert list(out.evaluations()) == [run.model.label, out.twin.config.model.label]


def _snapshot_fit(task, events: list, with_snapshots: bool):
    """Train the tiny model one epoch; `events` logs batches and published snapshots in order."""
    from core.engine.trainer import Callback

    class Batches(Callback):
        def on_batch_end(self, record) -> None:
            events.append(("batch", record.step))

    prepared = _tiny(task)
    publish = lambda snapshots: events.append(("snapshot", snapshots[-1].epoch))  # noqa: E731
    sources, targets = prepared.validation_sources[:20], prepared.validation_targets[:20]
    snapshots = s2s.AttentionSnapshots(prepared.models, sources[0], publish, sources, targets)
    expected = s2s.translate(prepared.models, [sources[0]])[0], s2s.evaluate(prepared.models, sources, targets)
    config = TrainConfig(epochs=1, batch_size=64, learning_rate=1e-2)
    callbacks = [Batches(), snapshots] if with_snapshots else [Batches()]
    s2s.make_trainer(prepared.models, config, len(prepared.train)).fit(
        prepared.train.x, prepared.train.decoder_target, sample_weight=prepared.train.weights, callbacks=callbacks
    )
    return prepared, snapshots, expected


def test_the_untrained_snapshot_comes_after_the_first_loss_and_is_still_the_untrained_model(small_task):
    events: list = []
    prepared, snapshots, (translation, evaluation) = _snapshot_fit(small_task, events, with_snapshots=True)
    assert events[0] == ("batch", 1) and events[1] == ("snapshot", 0)  # the first loss is not kept waiting
    assert [s.epoch for s in snapshots.snapshots] == [0, 1]
    first = snapshots.snapshots[0]
    assert first.translation.prediction == translation.prediction
    assert first.translation.output_tokens == translation.output_tokens
    np.testing.assert_array_equal(first.translation.weights, translation.weights)
    assert first.exact_match == evaluation.exact_match
    # Swapping the untrained weights in and out for the snapshot leaves training exactly as without it.
    alone, _, _ = _snapshot_fit(small_task, [], with_snapshots=False)
    for trained, reference in zip(prepared.models.train.get_weights(), alone.models.train.get_weights(), strict=True):
        np.testing.assert_allclose(trained, reference, rtol=1e-5, atol=1e-6)


def test_a_run_stopped_before_its_first_batch_still_shows_the_untrained_model(small_task):
    from core.engine.trainer import StopSignal

    prepared = _tiny(small_task)
    published: list = []
    snapshots = s2s.AttentionSnapshots(prepared.models, prepared.validation_sources[0], published.append)
    stop = StopSignal()
    stop.request()
    result = s2s.make_trainer(prepared.models, TrainConfig(epochs=1, batch_size=64), len(prepared.train)).fit(
        prepared.train.x,
        prepared.train.decoder_target,
        sample_weight=prepared.train.weights,
        callbacks=[snapshots],
        stop=stop,
    )
    assert result.status == "stopped" and [s.epoch for s in published[-1]] == [0]


def test_vocabulary_lookup_is_built_once_and_not_pickled():
    import pickle

    vocab = s2s.source_vocab(["abc", "cab!"])
    assert vocab.chars == "!abc" and vocab.encode("Cab?") == [vocab.offset + i for i in (3, 1, 2)] + [s2s.UNKNOWN]
    assert vocab._index is vocab._index  # one table per vocabulary, not one per text
    copy = pickle.loads(pickle.dumps(vocab))
    assert "_index" not in copy.__dict__ and copy == vocab and hash(copy) == hash(vocab)
    assert copy.encode("Cab?") == vocab.encode("Cab?")


def test_trained_model_saves_and_loads(tmp_path, small_task):
    import keras

    models = _tiny(small_task, attention="dot").models
    path = tmp_path / "model.keras"
    models.train.save(path)
    loaded = keras.models.load_model(path)
    x = s2s.encode_pairs(
        models.source, models.target, ["1 may 2001"], ["2001-05-01"], models.source_len, models.target_len
    ).x
    np.testing.assert_allclose(models.train(x), loaded(x), atol=1e-6)


# ----------------------------------------------------------------------------- attention pooling (IMDb)


@pytest.fixture(scope="module")
def offline_reviews():
    data = imdb.load_offline(num_words=500, train_size=600, test_size=100)
    return data, {
        "x_train": imdb.pad(data.train_ids, 30),
        "y_train": data.train_labels,
        "x_test": imdb.pad(data.test_ids, 30),
        "y_test": data.test_labels,
    }


def test_pooling_weights_cover_words_only(offline_reviews):
    data, arrays = offline_reviews
    spec = input_spec(ImdbChoice(max_length=30, embedding_dim=8), 500)
    models = build_pooling_classifier(PoolingConfig(units=8, attention_units=8), spec)
    probabilities, weights = explain(models, arrays["x_test"][:16])
    assert probabilities.shape == (16,) and weights.shape == (16, 30)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-5)
    not_words = arrays["x_test"][:16] <= imdb.START
    assert np.abs(weights * not_words).max() < 1e-6
    words = weighted_words(data.vocab, arrays["x_test"][0], weights[0], probabilities[0])
    assert len(words.words) == int((arrays["x_test"][0] > imdb.START).sum())
    assert sum(words.weights) == pytest.approx(1.0, abs=1e-5)


def test_pooling_classifier_trains(offline_reviews):
    _, arrays = offline_reviews
    run = PoolingRun(
        ImdbChoice(num_words=500, max_length=30, train_size=500, test_size=100, embedding_dim=8),
        PoolingConfig(units=8, attention_units=8),
        TrainConfig(epochs=2, batch_size=50, learning_rate=1e-2),
    )
    before = arrays["x_train"].copy()
    out = train_and_evaluate(run, arrays, vocab_size=500)
    assert isinstance(out, PoolingOutcome) and out.config == run and out.model is out.models.classifier
    assert out.result.status == "completed"
    assert out.test_weights.shape == (100, 30) and out.test_probabilities.shape == out.test_labels.shape == (100,)
    assert 0.0 <= out.test_accuracy <= 1.0
    np.testing.assert_array_equal(arrays["x_train"], before)  # shared cached arrays are never modified


# ----------------------------------------------------------------------------- charts


def test_heatmap_has_one_cell_per_pair_with_tooltips():
    weights = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]])
    frame = attention_charts.heatmap_frame("a b", ["1", "<end>"], weights)
    assert len(frame) == 6 and frame.loc[1, "input"] == attention_charts.SPACE
    spec = attention_charts.attention_heatmap("a b", ["1", "<end>"], weights).to_dict()
    assert {t["field"] for t in spec["encoding"]["tooltip"]} >= {"output", "input", "weight"}
    assert '"<end>"' in spec["encoding"]["y"]["axis"]["labelExpr"]
    assert spec["encoding"]["color"]["field"] == "weight" and "sums to 1" in spec["encoding"]["color"]["title"]
    # presenter mode's per-row scale: each row's largest weight is 1, and the legend says so
    assert list(frame["row"]) == pytest.approx([1.0, 2 / 7, 1 / 7, 0.0, 1.0, 1.0])
    per_row = attention_charts.attention_heatmap("a b", ["1", "<end>"], weights, scale="row").to_dict()
    assert per_row["encoding"]["color"]["field"] == "row" and "row's largest" in per_row["encoding"]["color"]["title"]


def test_length_and_format_charts_and_word_colours():
    table = pd.DataFrame(
        {"length_from": [5, 10], "lengths": ["5-9", "10-14"], "exact_match": [1.0, 0.5], "examples": [3, 4]}
    )
    both = pd.concat([table.assign(run="No attention · GRU 8"), table.assign(run="Additive attention · GRU 8")])
    spec = attention_charts.accuracy_by_length_chart(both).to_dict()
    from core.engine import palette

    assert spec["layer"][0]["encoding"]["color"]["scale"]["range"] == [palette.NEUTRAL, palette.VERMILLION]
    frame = pd.DataFrame({"format": ["a", "b"], "correct": [True, False], "source": ["x", "y"]})
    assert attention_charts.accuracy_by_format_chart(frame).to_dict()["encoding"]["tooltip"]
    html = attention_charts.highlight_html(["<script>", "good", *["filler"] * 8], [0.01, 0.91] + [0.01] * 8)
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "rgba(117, 107, 177, 1.00)" in html and 'title="weight 0.9100"' in html
    assert attention_charts.word_shades([0.25] * 4) == [pytest.approx(1 / 3)] * 4  # even attention stays pale
    assert attention_charts.word_shades([0.1] * 10) == [pytest.approx(1 / 3)] * 10
    assert attention_charts.top_words_chart(["a", "b"], [0.1, 0.9]).to_dict()["encoding"]["tooltip"]
    assert attention_charts.word_weights_chart([], []).to_dict()  # empty input still draws a message


def test_translation_and_snapshot_heatmaps_and_the_length_comparison():
    translation = s2s.Translation("a b", "1", ("1", "<end>"), np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]]))
    assert attention_charts.translation_heatmap(translation).to_dict()["title"] == "a b → 1"
    nothing = s2s.Translation("a", "", ("<end>",), np.array([[1.0]]))
    assert attention_charts.translation_heatmap(nothing).to_dict()["title"] == "a → (nothing)"
    snapshot = s2s.AttentionSnapshot(2, translation, 0.5)
    assert attention_charts.snapshot_chart(snapshot).to_dict()["title"] == "After epoch 2: a b → 1"
    table = pd.DataFrame(
        {"length_from": [5], "length_to": [9], "lengths": ["5-9"], "exact_match": [1.0], "examples": [3]}
    )
    spec = attention_charts.length_comparison_chart({"No attention · GRU 8": table, "Dot attention · GRU 8": table})
    assert "No attention · GRU 8" in str(spec.to_dict()) and "Dot attention · GRU 8" in str(spec.to_dict())


def test_page_words_and_controls_rules():
    from core.attention import config

    model = config.translation_model(config.DEFAULT_RUN.model, "dot", "LSTM", 128, False, 16)
    assert (model.attention, model.cell, model.units, model.bidirectional, model.embedding_dim) == (
        "dot",
        "LSTM",
        128,
        False,
        16,
    )
    assert (
        model.attention_units == 64 and config.translation_model(model, "dot", "GRU", 32, True, 8).attention_units == 32
    )
    assert config.review_option(0.8, 1.0, "x" * 100) == "✓ positive review, P(positive) 0.80: " + "x" * 70
    assert config.review_option(0.8, 0.0, "bad").startswith("✗ negative review")
    task = make_date_task(60, 20, seed=0)
    assert "60 training and 20 held-out test pairs" in config.task_caption(task)
    assert (
        set(config.FORMAT_CAPTIONS)
        == set(config.USER_INPUT_HELP)
        == set(config.USER_EXAMPLES)
        == {"digits", "dates", "numbers"}
    )
