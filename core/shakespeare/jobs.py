"""The Shakespeare lab's work function, as the run manager runs it (core/engine/runs.py).

Module-level, so a WorkSpec naming it pickles into a worker process; its arguments are plain
data (the encoded text, the run's settings, the prompt). TensorFlow loads only when it runs.
"""

from __future__ import annotations

from core import shakespeare
from core.engine.training_job import WorkSpec
from core.shakespeare.char_rnn import EncodedText
from core.shakespeare.config import CharOutcome, CharRun


def train(progress, stop, data: EncodedText, run: CharRun, prompt: str) -> CharOutcome:
    """Train the character model; every sample it writes along the way is published live."""
    progress.set_phase("Loading TensorFlow, cutting the text into windows, building the model")
    return shakespeare.training.train_char_rnn(
        data,
        run,
        callbacks=[progress],
        stop=stop,
        on_samples=lambda samples: progress.put_extra("samples", samples),
        prompt=prompt,
        on_phase=progress.set_phase,
    )


def spec(data: EncodedText, run: CharRun, prompt: str) -> WorkSpec:
    return WorkSpec(train, (data, run, prompt))
