"""The default translation task, digits read aloud: honest splits, decoding round trip, the heatmap's sample."""

from __future__ import annotations

import numpy as np
import pytest

from core.attention import charts as attention_charts
from core.attention import config
from core.attention import seq2seq as s2s
from core.data.dates import (
    MAX_DIGITS,
    MIN_DIGITS,
    TASK_LABELS,
    TASKS,
    digit_word_spans,
    digits_to_words,
    is_held_out_digits,
    make_digits_task,
    make_task,
)

WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def read_digits(source: str) -> str:
    """An independent reader: one word per digit, single spaces."""
    return "".join(str(WORDS.index(word)) for word in source.split(" "))


@pytest.fixture(scope="module")
def task():
    return make_digits_task(train_size=3000, test_size=600, seed=0)


def test_every_target_is_the_digits_its_words_say(task):
    pairs = zip(task.train_sources + task.test_sources, task.train_targets + task.test_targets, strict=True)
    for source, target in pairs:
        assert read_digits(source) == target, source
        assert MIN_DIGITS <= len(target) <= MAX_DIGITS
    assert set(task.test_formats) == {f"{n} digits" for n in range(MIN_DIGITS, MAX_DIGITS + 1)}
    assert all(fmt == f"{len(t)} digits" for t, fmt in zip(task.test_targets, task.test_formats, strict=True))
    assert digits_to_words("0907") == "zero nine zero seven"  # leading zeros are spoken and kept
    for bad in ("", "12a", "٣"):
        with pytest.raises(ValueError):
            digits_to_words(bad)


def test_held_out_digit_strings_never_appear_in_training(task):
    assert not set(task.train_targets) & set(task.test_targets)
    assert all(is_held_out_digits(t, 0) for t in task.test_targets)
    assert not any(is_held_out_digits(t, 0) for t in task.train_targets)
    # the side of a string depends only on the string and the seed, and about a tenth is held out
    three_digit = [f"{v:03d}" for v in range(1000)]
    assert 60 <= sum(is_held_out_digits(d, 0) for d in three_digit) <= 140
    assert [is_held_out_digits(d, 1) for d in three_digit] != [is_held_out_digits(d, 0) for d in three_digit]
    # and still disjoint when the short strings repeat many times over
    crowded = make_digits_task(train_size=4000, test_size=400, seed=5)
    assert not set(crowded.train_targets) & set(crowded.test_targets)


def test_digits_task_is_deterministic_and_registered():
    a = make_digits_task(300, 100, seed=2)
    assert a == make_digits_task(300, 100, seed=2) == make_task("digits", 300, 100, seed=2)
    assert make_digits_task(300, 100, seed=3).train_targets != a.train_targets
    assert "digits" in TASKS and "digits" in TASK_LABELS
    with pytest.raises(ValueError):
        make_digits_task(0, 10)


def test_validation_split_holds_back_unseen_digit_strings(task):
    prepared = s2s.prepare(task, config.Seq2SeqConfig(units=8, embedding_dim=8, attention_units=8), seed=0)
    validation = set(prepared.validation_targets)
    train_targets = {prepared.models.target.decode(row) for row in prepared.train.decoder_target}
    assert validation and not validation & train_targets  # validation strings are never trained on
    assert not validation & set(task.test_targets)
    assert len(prepared.train) + len(prepared.validation) == len(task.train_sources)


def test_encoding_round_trip_and_held_out_inputs_use_known_characters(task):
    source = s2s.source_vocab(task.train_sources)
    target = s2s.target_vocab(task.train_targets)
    assert target.chars == "0123456789"
    assert all(not source.unknown_chars(s) for s in task.test_sources)
    arrays = s2s.encode_pairs(
        source, target, task.test_sources, task.test_targets, task.max_source_length, task.max_target_length + 1
    )
    assert [target.decode(row) for row in arrays.decoder_target] == list(task.test_targets)
    assert [source.decode(row) for row in arrays.encoder_input] == list(task.test_sources)


def test_word_spans_and_the_share_of_attention_on_them():
    source = "five five two"
    spans = digit_word_spans(source)
    assert spans == [(0, 4), (5, 9), (10, 13)]
    assert [source[a:b] for a, b in spans] == ["five", "five", "two"]
    staircase = np.zeros((4, len(source)))  # three digits and <end>
    for k, (a, b) in enumerate(spans):
        staircase[k, a:b] = 1.0 / (b - a)
    staircase[3, -1] = 1.0
    assert s2s.attention_on_spans(staircase, spans) == pytest.approx(1.0)
    shifted = np.roll(staircase[:3], 5, axis=1)  # every digit reads the next word
    assert s2s.attention_on_spans(shifted, spans) == pytest.approx(0.0)
    even = np.full((4, len(source)), 1.0 / len(source))
    assert s2s.attention_on_spans(even, spans) == pytest.approx(np.mean([b - a for a, b in spans]) / len(source))
    assert s2s.attention_on_spans(np.zeros((0, 3)), spans) == 0.0


def test_the_heatmap_follows_a_long_held_back_input_one_cell_per_character_pair(task):
    prepared = s2s.prepare(task, config.Seq2SeqConfig(units=8, embedding_dim=8, attention_units=8), seed=0)
    example = s2s.snapshot_example(prepared.validation_sources)
    assert example in prepared.validation_sources and example not in task.test_sources
    assert len(example.split(" ")) >= MAX_DIGITS - 1  # long enough for the staircase to show
    translation = s2s.translate(prepared.models, [example])[0]
    assert translation.source == example
    assert translation.weights.shape == (len(translation.output_tokens), len(example))
    assert np.allclose(translation.weights.sum(axis=1), 1.0, atol=1e-5)
    frame = attention_charts.heatmap_frame(translation.source, translation.output_tokens, translation.weights)
    assert len(frame) == len(translation.output_tokens) * len(example)
    assert "␣" in set(frame["input"])  # spaces between the words are drawn visibly
    spec = attention_charts.translation_heatmap(translation).to_dict()
    assert spec["title"].startswith(example + " → ")


def test_default_preset_is_the_digits_bottleneck_and_every_task_has_its_words():
    default = config.TRANSLATION_PRESETS[config.DEFAULT_PRESET]
    assert default.data.task == "digits" and default.model.attention != "none"
    assert next(iter(config.TRANSLATION_PRESETS)) == config.DEFAULT_PRESET  # the page's first option
    assert config.BOTTLENECK_PRESET in config.TWIN_PRESETS
    assert config.TRANSLATION_PRESETS[config.BOTTLENECK_PRESET] == default  # same run, plus the twin
    assert any(run.data.task == "dates" for run in config.TRANSLATION_PRESETS.values())
    for name, run in config.TRANSLATION_PRESETS.items():
        assert run.data.task in TASKS, name
        assert not run.model.problems() and not run.train.problems(), name
    for words in (config.USER_INPUT_HELP, config.USER_EXAMPLES, config.FORMAT_CAPTIONS):
        assert set(words) == set(TASKS)
    assert read_digits(config.USER_EXAMPLES["digits"]).isdigit()


def test_every_preset_is_what_the_page_trains_from_it():
    """The page applies its controls through translation_model (attention as wide as the RNN, at most 64): a
    preset's own model must survive that unchanged, or the preset names one network and the page trains another."""
    for name, run in config.TRANSLATION_PRESETS.items():
        m = run.model
        page = config.translation_model(m, m.attention, m.cell, m.units, m.bidirectional, m.embedding_dim)
        assert page == m, name
