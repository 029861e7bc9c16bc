"""Unit tests for the character-level language model and its data (core/shakespeare/*,
core/data/shakespeare.py). Tiny models only: the whole file runs in seconds."""

from __future__ import annotations

import shutil
from dataclasses import replace

import keras
import numpy as np
import pandas as pd
import pytest

from core.data import shakespeare
from core.data.shakespeare import UploadError, read_upload
from core.engine.config import ModelConfig, TrainConfig
from core.engine.limits import MAX_UPLOAD_BYTES
from core.engine.trainer import Callback, StopSignal
from core.shakespeare import char_rnn
from core.shakespeare import charts as char_charts
from core.shakespeare import config as char_config
from core.shakespeare import training as char_training
from core.shakespeare.char_rnn import CharVocabulary, StepModel
from core.shakespeare.config import CharOutcome, CharRun, GenerationSettings, RunSummary, SampleSettings, TextSettings
from core.shakespeare.training import build_char_model

TEXT = "First Citizen:\nBefore we proceed, hear me speak — ½ café!\n\nAll:\nSpeak, speak.\n"


def tiny_run(**changes) -> CharRun:
    run = CharRun(
        TextSettings(sequence_length=20, embedding_dim=8),
        ModelConfig(pattern="many_to_many", cell="GRU", units=16),
        TrainConfig(epochs=1, batch_size=16, learning_rate=1e-2, clip_norm=1.0),
        SampleSettings(every_steps=5, length=30),
    )
    for name, value in changes.items():
        part = {"text": run.text, "model": run.model, "train": run.train, "sampling": run.sampling}
        for section, obj in part.items():
            if hasattr(obj, name):
                run = replace(run, **{section: replace(obj, **{name: value})})
                break
        else:
            raise AttributeError(name)
    return run


@pytest.fixture(scope="module")
def play_data() -> char_rnn.EncodedText:
    return char_rnn.encode_text(shakespeare.generate_play(12_000), validation_fraction=0.2)


# ----------------------------------------------------------------------------- vocabulary


def test_vocabulary_round_trip_with_unicode_and_newlines():
    vocab = CharVocabulary.from_text(TEXT)
    ids = vocab.encode(TEXT)
    assert ids.dtype == np.int32 and len(ids) == len(TEXT)
    assert vocab.decode(ids) == TEXT
    assert vocab.size == len(set(TEXT))
    assert list(vocab.chars) == sorted(set(TEXT))
    assert ids.min() >= 0 and ids.max() < vocab.size


def test_vocabulary_reports_and_drops_unknown_characters():
    vocab = CharVocabulary.from_text("abc abc\n")
    assert vocab.missing("abz yx") == ["z", "y", "x"]
    assert vocab.decode(vocab.encode("abz yx")) == "ab "  # no catch-all symbol: unknown ones are dropped


def test_vocabulary_cap_keeps_frequent_characters_and_one_unknown_symbol():
    text = "a" * 50 + "b" * 40 + "c" * 30 + "xyz"
    vocab = CharVocabulary.from_text(text, max_size=4)
    assert set(vocab.chars) == {"a", "b", "c", char_rnn.UNKNOWN_CHAR}
    decoded = vocab.decode(vocab.encode(text))
    assert len(decoded) == len(text) and decoded.endswith(char_rnn.UNKNOWN_CHAR * 3)


def test_unknown_characters_are_counted_where_they_come_from():
    """The page words a capped training vocabulary and validation-only characters differently."""
    only_validation = char_rnn.encode_text("abcab" * 20 + "xyzab", validation_fraction=0.05)
    assert only_validation.validation_unknown == 3 and only_validation.train_unknown == 0
    assert only_validation.vocab.unknown_id is not None
    many = "".join(chr(0x100 + i) * (300 - i) for i in range(300))  # 300 distinct, rarest last
    capped = char_rnn.encode_text(many + many[:1000], validation_fraction=0.01)
    assert capped.vocab.size == char_rnn.MAX_VOCABULARY_CHARS and capped.validation_unknown == 0
    assert capped.train_unknown == sum(300 - i for i in range(char_rnn.MAX_VOCABULARY_CHARS - 1, 300))
    plain = char_rnn.encode_text(TEXT * 10, validation_fraction=0.25)
    assert plain.train_unknown == plain.validation_unknown == 0 and plain.vocab.unknown_id is None


def test_presets_are_valid_runs():
    assert char_config.DEFAULT_PRESET in char_config.PRESETS
    for run in char_config.PRESETS.values():
        assert run.problems() == []


def test_encode_text_splits_contiguously():
    data = char_rnn.encode_text(TEXT * 10, validation_fraction=0.25)
    whole = np.concatenate([data.train, data.validation])
    assert data.vocab.decode(whole) == TEXT * 10
    assert len(data.validation) == len(whole) - int(len(whole) * 0.75)


# ----------------------------------------------------------------------------- windows


def test_sequence_windows_targets_are_inputs_shifted_by_one():
    ids = np.arange(103, dtype=np.int32)
    x, y = char_rnn.sequence_windows(ids, 10)
    assert x.shape == y.shape == (10, 10)
    np.testing.assert_array_equal(y, x + 1)
    np.testing.assert_array_equal(x[1], np.arange(10, 20))  # non-overlapping


def test_last_char_windows_predict_the_character_after_the_window():
    ids = np.arange(50, dtype=np.int32)
    x, y = char_rnn.last_char_windows(ids, 7)
    assert x.shape == (7, 7) and y.shape == (7,)
    np.testing.assert_array_equal(y, x[:, -1] + 1)


def test_stateful_windows_continue_row_by_row_across_batches():
    ids = np.arange(1000, dtype=np.int32)
    batch, length = 4, 10
    x, y = char_rnn.stateful_windows(ids, length, batch)
    assert len(x) % batch == 0
    windows = len(x) // batch
    for j in range(windows - 1):
        for r in range(batch):
            assert x[(j + 1) * batch + r][0] == x[j * batch + r][-1] + 1  # row r continues its own passage
    np.testing.assert_array_equal(y, x + 1)
    assert len(np.unique(x)) == x.size  # every character used at most once


def test_window_problems_for_short_text(play_data):
    assert char_rnn.window_problems(play_data, tiny_run()) == []
    problems = char_rnn.window_problems(play_data, tiny_run(sequence_length=5000))
    assert problems and "too short" in problems[0]
    assert char_rnn.window_problems(play_data, tiny_run(stateful=True, batch_size=512, sequence_length=100))


def test_run_problems_refuse_cheating_and_nonsense():
    assert tiny_run().problems() == []
    assert any("bidirectional" in p for p in tiny_run(bidirectional=True).problems())
    assert any("Stateful" in p for p in tiny_run(pattern="many_to_one", stateful=True).problems())
    assert any("temperature" in p for p in tiny_run(temperature=5.0).problems())


# ----------------------------------------------------------------------------- step model


@pytest.mark.parametrize("cell", ["SimpleRNN", "LSTM", "GRU"])
def test_step_model_matches_keras_step_by_step(cell):
    model = build_char_model(ModelConfig(pattern="many_to_many", cell=cell, units=12, layers=2), 20, 6)
    rng = np.random.default_rng(0)
    for weight in model.weights:  # non-zero biases so every term is exercised
        weight.assign(rng.normal(0, 0.5, weight.shape).astype("float32"))
    ids = rng.integers(0, 20, 15)
    expected = np.asarray(model(ids[None], training=False))[0]
    np.testing.assert_allclose(StepModel.from_keras(model).logits_for(ids), expected, atol=1e-4)


def test_step_model_reads_a_gru_without_reset_after():
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(11, 4, name="embedding")(inputs)
    x = keras.layers.GRU(6, reset_after=False, return_sequences=True, name="rnn_1")(x)
    model = keras.Model(inputs, keras.layers.Dense(11, name="output")(x))
    ids = np.array([1, 5, 2, 9, 3, 3])
    expected = np.asarray(model(ids[None], training=False))[0]
    np.testing.assert_allclose(StepModel.from_keras(model).logits_for(ids), expected, atol=1e-5)


def test_step_model_reads_many_to_one_models_too():
    config = ModelConfig(pattern="many_to_one", cell="LSTM", units=8)
    model = build_char_model(config, 10, 4)
    ids = np.array([1, 2, 3, 4, 5])
    expected = np.asarray(model(ids[None], training=False))[0]
    logits, _ = StepModel.from_keras(model).read(ids)
    np.testing.assert_allclose(logits, expected, atol=1e-5)


@pytest.fixture(scope="module")
def random_model():
    vocab = CharVocabulary.from_text(TEXT)
    model = build_char_model(ModelConfig(pattern="many_to_many", cell="GRU", units=16), vocab.size, 8, seed=3)
    return StepModel.from_keras(model), vocab


def test_generation_length_and_determinism_under_a_seed(random_model):
    step_model, vocab = random_model
    settings = GenerationSettings(length=120, temperature=1.0, seed=42)
    first = char_rnn.generate(step_model, vocab, "All:\n", settings)
    again = char_rnn.generate(step_model, vocab, "All:\n", settings)
    other = char_rnn.generate(step_model, vocab, "All:\n", GenerationSettings(length=120, temperature=1.0, seed=43))
    assert len(first.text) == 120 and first.prompt == "All:\n"
    assert first.text == again.text
    assert first.text != other.text
    assert set(first.text) <= set(vocab.chars)


def test_greedy_ignores_the_seed_and_top_k_one_equals_greedy(random_model):
    step_model, vocab = random_model
    greedy = [char_rnn.generate(step_model, vocab, "Sp", GenerationSettings(40, greedy=True, seed=s)) for s in (1, 2)]
    top1 = char_rnn.generate(step_model, vocab, "Sp", GenerationSettings(40, temperature=1.5, top_k=1, seed=9))
    assert greedy[0].text == greedy[1].text == top1.text


def test_generation_skips_unknown_prompt_characters_and_refuses_empty(random_model):
    step_model, vocab = random_model
    out = char_rnn.generate(step_model, vocab, "Sp€k", GenerationSettings(10))
    assert out.skipped == ("€",) and out.prompt == "Spk"
    with pytest.raises(ValueError):
        char_rnn.generate(step_model, vocab, "€€", GenerationSettings(10))
    with pytest.raises(ValueError):
        char_rnn.generate(step_model, vocab, "Sp", GenerationSettings(10, temperature=3.0))


def test_higher_temperature_gives_a_flatter_distribution(random_model):
    step_model, vocab = random_model
    logits, _ = step_model.read(vocab.encode("First"))
    logits = logits * 5  # a confident distribution, so the effect is large
    entropies = [char_rnn.entropy_bits(char_rnn.next_char_probabilities(logits, t)) for t in (0.1, 0.5, 1.0, 2.0)]
    assert entropies == sorted(entropies) and entropies[0] < entropies[-1]
    assert entropies[-1] <= np.log2(vocab.size) + 1e-9
    frame = char_rnn.entropy_by_temperature(logits, [0.2, 1.0, 2.0])
    assert frame["entropy_bits"].is_monotonic_increasing


def test_top_k_keeps_only_the_k_likeliest():
    logits = np.array([3.0, 1.0, 2.0, 0.0, -1.0])
    p = char_rnn.next_char_probabilities(logits, 1.0, top_k=2)
    assert p.sum() == pytest.approx(1.0)
    assert set(np.flatnonzero(p)) == {0, 2}


def test_next_char_table_ranks_the_same_at_every_temperature(random_model):
    step_model, vocab = random_model
    table = char_rnn.next_char_table(step_model, vocab, "All", [0.5, 1.0, 2.0], k=5)
    assert len(table) == 15
    for _, group in table.groupby("temperature"):
        assert group.sort_values("rank")["probability"].is_monotonic_decreasing
    sharp = table[table.temperature == 0.5].set_index("rank")["probability"]
    flat = table[table.temperature == 2.0].set_index("rank")["probability"]
    assert sharp[1] > flat[1]  # the favourite gains at low temperature


# ----------------------------------------------------------------------------- training


def test_training_many_to_many_publishes_samples_and_learns(play_data):
    published, phases = [], []
    out = char_training.train_char_rnn(
        play_data, tiny_run(), on_samples=published.append, prompt="MESSENGER:\n", on_phase=phases.append
    )
    assert isinstance(out, CharOutcome) and out.run is out.config == tiny_run()
    result = out.result
    assert result.status == "completed"
    frame = result.batch_frame()
    np.testing.assert_allclose(frame["bits_per_char"], frame["loss"] / np.log(2), rtol=1e-4)
    assert out.val_bits < np.log2(play_data.vocab.size)  # better than guessing uniformly
    samples = out.samples
    assert samples[0].step == 1 and any(s.label.startswith("end of epoch") for s in samples)
    assert published[-1] == samples and all(len(s.text) == 30 for s in samples)
    assert "val_loss" in result.epoch_frame()
    # what the page used to add to the output dict itself is now part of the typed outcome
    assert out.prompt == "MESSENGER:\n" and phases == ["Measuring surprise on validation text"]
    start = char_rnn.passage_start(play_data.vocab.decode(play_data.validation[:1000]))
    passage = play_data.validation[start : start + char_config.SURPRISE_CHARS]
    assert out.surprise.text == play_data.vocab.decode(passage) and len(out.surprise.text) == char_config.SURPRISE_CHARS
    assert start == 0 or play_data.vocab.decode(play_data.validation[start - 1 : start]) in "\n "  # not mid-word
    np.testing.assert_allclose(out.surprise.bits, char_rnn.surprise_bits(out.step_model, passage))
    carried, zero = char_rnn.context_bits(
        out.step_model, play_data.validation[: char_config.CONTEXT_CHARS], tiny_run().text.sequence_length
    )
    assert (out.carried_bits, out.window_bits) == (carried, zero) and np.isfinite(carried)
    summary = RunSummary.of(out, 3, run_id=7)
    assert summary.label == "#3 GRU 16×1, m2m, L=20" and summary.steps == result.steps
    assert list(summary.curve.columns) == ["step", "loss", "elapsed_s"] and summary.val_bits == out.val_bits


def test_stateful_training_carries_and_resets_state(play_data):
    run = tiny_run(stateful=True, sequence_length=10, batch_size=8)
    out = char_training.train_char_rnn(play_data, run, prompt="A")
    assert out.result.status == "completed" and np.isfinite(out.val_loss)
    layer = out.model.get_layer("rnn_1")
    assert layer.stateful and np.abs(np.asarray(layer.states[0])).sum() > 0  # state survives the batch
    char_training.reset_states(out.model)
    assert np.abs(np.asarray(layer.states[0])).sum() == 0


class StopAfter(Callback):
    def __init__(self, steps: int, stop: StopSignal):
        self.steps, self.stop = steps, stop

    def on_batch_end(self, record) -> None:
        if record.step >= self.steps:
            self.stop.request()


def test_many_to_one_variant_stops_cleanly_with_a_sample(play_data):
    stop = StopSignal()
    out = char_training.train_char_rnn(play_data, tiny_run(pattern="many_to_one"), [StopAfter(3, stop)], stop)
    assert out.model.output_shape == (None, play_data.vocab.size)
    assert out.result.status == "stopped" and out.result.steps == 3
    assert out.samples[-1].step == 3 and np.isfinite(out.val_loss)


def test_the_surprise_passage_starts_at_a_line_not_mid_word():
    assert char_rnn.passage_start("ther, my lord.\nKING:\nSpeak.") == len("ther, my lord.\n")
    assert char_rnn.passage_start("ld.\n\n\nFirst Citizen:\n") == len("ld.\n\n\n")  # past blank lines
    assert char_rnn.passage_start("rd of the morning and the dew") == len("rd ")  # no line: the first word
    assert char_rnn.passage_start("word") == 0 and char_rnn.passage_start("") == 0
    assert char_rnn.passage_start("x" * 300 + "\nLine") == 0  # no line start or word near the beginning


def test_surprise_and_unigram_baseline(random_model, play_data):
    step_model, vocab = random_model
    ids = vocab.encode("Speak, speak.")
    bits = char_rnn.surprise_bits(step_model, ids)
    assert bits.shape == (len(ids),) and np.isnan(bits[0]) and np.all(bits[1:] > 0)
    unigram = char_rnn.unigram_bits(play_data.train, play_data.validation, play_data.vocab.size)
    assert 2.0 < unigram < np.log2(play_data.vocab.size)


# ----------------------------------------------------------------------------- charts


def test_chart_builders_produce_valid_vega_lite(random_model):
    step_model, vocab = random_model
    table = char_rnn.next_char_table(step_model, vocab, "All", [0.5, 1.0])
    logits, _ = step_model.read(vocab.encode("All"))
    curve = char_rnn.entropy_by_temperature(logits, [0.5, 1.0, 2.0])
    text = "All:\nSpeak."
    surprise = char_charts.surprise_table(text, char_rnn.surprise_bits(step_model, vocab.encode(text)), width=4)
    assert surprise["line"].max() == 3  # wrapped at the newline and at 4 columns
    curve = pd.DataFrame({"step": [1, 2], "loss": [4.0, 3.0], "elapsed_s": [0.1, 0.2]})
    runs = [RunSummary(1, "#1 GRU", "GRU", curve, 2.5, 1.0, 2)]
    for chart in (
        char_charts.next_char_chart(table),
        char_charts.entropy_chart(curve, 0.8, vocab.size),
        char_charts.surprise_chart(surprise),
        char_charts.run_comparison_chart(char_charts.run_comparison_frame(runs)),
    ):
        spec = chart.to_dict()  # validates against the Vega-Lite schema
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite")


# ----------------------------------------------------------------------------- data sources


def test_upload_refuses_empty_binary_non_utf8_huge_and_short():
    cases = {
        b"": "empty",
        b"   \n\n ": "empty",
        b"PK\x03\x04\x00\x00binary" * 500: "binary",
        "caf\u00e9 ".encode("latin-1") * 1000: "not UTF-8",
        b"x" * (MAX_UPLOAD_BYTES + 1): "limit",
        b"short text": "at least",
        b"\x01\x02\x03\x04" * 1000: "binary",
    }
    for data, message in cases.items():
        with pytest.raises(UploadError, match=message):
            read_upload(data, "f.txt")


def test_upload_accepts_utf8_and_normalises_line_ends():
    corpus = read_upload(("\ufeffROMEO:\r\nBut soft! ½ — ok\r\n" * 200).encode("utf-8"), "mine.txt")
    assert "\r" not in corpus.text and not corpus.text.startswith("\ufeff")
    assert corpus.source.kind == "upload" and corpus.name == "mine.txt"


def test_offline_default_is_generated_labelled_and_deterministic(without_local_data):
    corpus = shakespeare.load_shakespeare(allow_download=False)
    assert corpus.source.is_synthetic and "generated" in corpus.source.describe()
    assert "offline default" in corpus.source.notice
    assert shakespeare.generate_play(5000) == shakespeare.generate_play(5000)
    first_lines = [block.split("\n", 1)[0] for block in corpus.text.split("\n\n")]
    speakers = {line[:-1] for line in first_lines if line.endswith(":")}
    assert speakers <= set(shakespeare.SPEAKERS) and len(speakers) >= 5


def test_local_copy_via_environment_and_explicit_path(with_shared_data, tmp_path):
    corpus = shakespeare.load_shakespeare(allow_download=False)
    assert corpus.source.kind == "local" and corpus.text.startswith("First Citizen:")
    assert len(corpus.text) == 1_115_394
    missing = shakespeare.load_shakespeare(str(tmp_path / "nope.txt"), allow_download=False)
    assert missing.source.is_synthetic and "does not exist" in missing.source.notice


def test_real_keras_loader_uses_its_cache(shared_data, tmp_path, monkeypatch):
    """keras.utils.get_file without a hash reuses KERAS_HOME/datasets/shakespeare.txt: no network."""
    (tmp_path / "datasets").mkdir()
    shutil.copy(shared_data / "shakespeare.txt", tmp_path / "datasets" / "shakespeare.txt")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("RNN_PLAYGROUND_DATA", raising=False)
    corpus = shakespeare.load_shakespeare()
    assert corpus.source.kind == "download" and shakespeare.URL in corpus.source.detail
    assert str(tmp_path) in corpus.source.detail
    assert corpus.text.startswith("First Citizen:") and len(corpus.text) == 1_115_394


@pytest.mark.slow
def test_default_preset_gets_below_1_9_nats_per_character_on_tiny_shakespeare(shared_data):
    """Issue 12's bar for the page's default preset, trained exactly as the page trains it (one
    pass over the real text, ~35 s of CPU): validation loss <= 1.9 nats/char."""
    corpus = shakespeare.load_local(shared_data / "shakespeare.txt")
    data = char_rnn.encode_text(corpus.text, validation_fraction=0.1)
    run = char_config.PRESETS[char_config.DEFAULT_PRESET]
    outcome = char_training.train_char_rnn(data, run, prompt=corpus.text[:40])
    assert outcome.result.status == "completed"
    assert outcome.val_loss <= 1.9
    assert outcome.val_bits < outcome.unigram_bits - 1  # far better than character frequencies alone
