"""Held-out data is held out: numbers and dates never share a value with training, and the
character vocabulary is built from the training text only."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.dates import make_date_task, make_number_task, split_numbers
from core.shakespeare import char_rnn
from core.shakespeare.char_rnn import CharVocabulary


@pytest.mark.parametrize("seed", [0, 4])
def test_number_task_held_out_values_and_pairs_never_appear_in_training(seed):
    task = make_number_task(20_000, 2_000, seed=seed)
    train_pairs = set(zip(task.train_sources, task.train_targets, strict=True))
    test_pairs = list(zip(task.test_sources, task.test_targets, strict=True))
    assert sum(pair in train_pairs for pair in test_pairs) == 0
    assert not set(task.test_targets) & set(task.train_targets)
    # the held-out set still has numbers of every length, in roughly equal shares
    lengths = np.bincount([len(t) for t in task.test_targets], minlength=7)[1:]
    assert lengths.min() > 2_000 / 6 * 0.7


def test_number_split_covers_every_value_once_with_each_digit_count_held_out():
    train, test = split_numbers(seed=0)
    assert len(np.intersect1d(train, test)) == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(1_000_000))
    assert {len(str(v)) for v in test} == {1, 2, 3, 4, 5, 6}
    assert 0.09 < len(test) / 1_000_000 < 0.11


def test_date_task_stays_disjoint():
    task = make_date_task(5_000, 1_000, seed=0)
    assert not set(task.test_targets) & set(task.train_targets)
    train_pairs = set(zip(task.train_sources, task.train_targets, strict=True))
    assert not any(pair in train_pairs for pair in zip(task.test_sources, task.test_targets, strict=True))


# ----------------------------------------------------------------------------- characters


def test_character_vocabulary_comes_from_the_training_part_only():
    text = "abcab abca\nab cab " * 20 + "zq!"  # the last 10 % holds characters training never sees
    data = char_rnn.encode_text(text, validation_fraction=0.1)
    cut = int(len(text) * 0.9)
    train_text, validation_text = text[:cut], text[cut:]
    assert set(data.vocab.chars) == set(train_text) | {char_rnn.UNKNOWN_CHAR}
    assert data.vocab.decode(data.train) == train_text
    unknown = data.vocab.unknown_id
    # every validation character is still there, the unseen ones as the unknown id (counted in the loss)
    assert len(data.validation) == len(validation_text)
    assert int(np.sum(data.validation == unknown)) == data.validation_unknown == 3
    assert not np.any(data.train == unknown)


def test_character_vocabulary_has_no_unknown_id_when_validation_holds_nothing_new():
    text = "to be or not to be\n" * 30
    data = char_rnn.encode_text(text, validation_fraction=0.2)
    assert data.vocab == CharVocabulary.from_text(text) and data.vocab.unknown_id is None
    assert data.validation_unknown == 0


# ----------------------------------------------------------------------------- top-k


def test_top_k_keeps_exactly_k_characters_when_logits_tie():
    logits = np.array([1.0, 3.0, 3.0, 3.0, 0.5, 3.0])
    p = char_rnn.next_char_probabilities(logits, 1.0, top_k=2)
    assert np.count_nonzero(p) == 2
    np.testing.assert_allclose(p, [0, 0.5, 0.5, 0, 0, 0])  # ties go to the lowest ids
    batch = np.zeros((3, 10))
    p = char_rnn.next_char_probabilities(batch, 0.7, top_k=4)
    assert (np.count_nonzero(p, axis=-1) == 4).all()
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
