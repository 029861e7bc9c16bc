"""The Attention page's claims: the twin without attention on the same test inputs, and the alignment measured on
many held-out inputs against the untrained model and an even spread, each failing on its counterfactual."""

from __future__ import annotations

from types import SimpleNamespace as NS

import numpy as np
import pandas as pd
import pytest

from core.attention import experiments as attention_experiments
from core.engine.experiments import Outcome


def translation(with_attention: float, without: float | None, before=0.25, after=0.85, chance=0.24) -> NS:
    def snapshot(epoch, share):
        return NS(epoch=epoch, alignment=share, chance=chance, probed=300)

    return NS(
        evaluation=NS(exact_match=with_attention, frame=pd.DataFrame({"correct": [True] * 1000})),
        twin=None if without is None else NS(evaluation=NS(exact_match=without)),
        snapshots=[snapshot(0, before), snapshot(1, after)],
    )


def test_bottleneck_claim_against_the_twin():
    claim = attention_experiments.bottleneck_claim
    v = claim(translation(0.999, 0.595))
    assert v.held and "99.9% with attention, 59.5% without, on the same 1,000" in v.sentence
    assert "+40.4 points" in v.sentence
    assert claim(translation(1.0, 0.98)).outcome is Outcome.NOT_SHOWN  # the twin is as good: no bottleneck
    assert claim(translation(1.0, 0.9)).outcome is Outcome.INCONCLUSIVE
    assert claim(translation(1.0, None)).outcome is Outcome.NOT_SHOWN


def test_alignment_claim_over_many_held_out_inputs():
    claim = attention_experiments.alignment_claim
    v = claim(translation(1.0, None))
    assert v.held and "over 300 held-out inputs" in v.sentence and "85%" in v.sentence
    # counterfactual: the untrained model (after = before) is still a blur
    assert claim(translation(1.0, None, before=0.25, after=0.26)).outcome is Outcome.NOT_SHOWN
    # a sharper map that still spreads most attention elsewhere is not yet a staircase
    assert claim(translation(1.0, None, before=0.1, after=0.45, chance=0.1)).outcome is Outcome.INCONCLUSIVE
    no_measure = translation(1.0, None)
    no_measure.snapshots[-1].alignment = None
    assert claim(no_measure).outcome is Outcome.INCONCLUSIVE
    stopped = translation(1.0, None)
    stopped.snapshots = stopped.snapshots[:1]
    assert claim(stopped).outcome is Outcome.INCONCLUSIVE


def test_own_word_share():
    uniform = np.full((4, 13), 1 / 13)
    assert attention_experiments.own_word_share(uniform, "one two three") == pytest.approx((3 + 3 + 5) / 3 / 13)


def test_alignment_is_measured_on_spoken_digits_during_training():
    from core.attention import seq2seq as s2s
    from core.attention.config import Seq2SeqConfig, TranslationData, TranslationRun
    from core.data.dates import make_digits_task
    from core.engine.config import TrainConfig

    task = make_digits_task(train_size=300, test_size=40, seed=0)
    run = TranslationRun(
        TranslationData(train_size=300, test_size=40),
        Seq2SeqConfig(units=8, embedding_dim=8, attention_units=8),
        TrainConfig(epochs=1, batch_size=64, learning_rate=1e-2),
    )
    out = s2s.train_translation(run, task, probe_size=20)
    first, last = out.snapshots[0], out.snapshots[-1]
    assert first.probed == last.probed == 20
    assert 0.0 < first.chance < 1.0 and 0.0 <= first.alignment <= 1.0 and 0.0 <= last.alignment <= 1.0
    assert attention_experiments.alignment_claim(out).outcome in set(Outcome)
