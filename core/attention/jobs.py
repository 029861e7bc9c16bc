"""The Attention lab's work functions, as the run manager runs them (core/engine/runs.py).

Module-level, so a WorkSpec naming them pickles into a worker process; their arguments are
plain data. TensorFlow loads only when one runs (the lab's submodules are lazy).
"""

from __future__ import annotations

import numpy as np

from core import attention
from core.attention.config import PoolingOutcome, PoolingRun, TranslationOutcome, TranslationRun
from core.data.dates import TranslationTask
from core.engine.training_job import WorkSpec


def translate(progress, stop, run: TranslationRun, task: TranslationTask, twin: bool) -> TranslationOutcome:
    """Train the encoder-decoder (and, with `twin`, the same model without attention)."""
    return attention.seq2seq.train_translation(
        run,
        task,
        callbacks=[progress],
        stop=stop,
        publish=lambda snapshots: progress.put_extra("snapshots", snapshots),
        on_phase=progress.set_phase,
        twin=twin,
    )


def pool_reviews(progress, stop, run: PoolingRun, arrays: dict[str, np.ndarray], vocab_size: int) -> PoolingOutcome:
    """Train the IMDb classifier whose read-out is attention pooling over the RNN's states."""
    return attention.pooling.train_and_evaluate(
        run, arrays, vocab_size, callbacks=[progress], stop=stop, on_phase=progress.set_phase
    )


def translation_spec(run: TranslationRun, task: TranslationTask, twin: bool) -> WorkSpec:
    return WorkSpec(translate, (run, task, twin))


def pooling_spec(run: PoolingRun, arrays: dict[str, np.ndarray], vocab_size: int) -> WorkSpec:
    return WorkSpec(pool_reviews, (run, arrays, vocab_size))
