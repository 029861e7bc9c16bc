"""What a run will cost, declared by its configuration: memory and CPU, before it starts.

Every lab's run configuration answers `footprint() -> Footprint` from its own fields (no guessing
from field names: renaming a field cannot silently change admission). The engine turns a Footprint
into bytes and CPU seconds with one model of a recurrent network's cost:

* **data**: the worker's copies of the run's arrays - the pickled message, the unpickled arrays
  and the tensors training cuts its batches from - three times the pickled size;
* **weights**: every parameter with its gradient and two Adam moments (16 bytes each);
* **training batch**: the activations backpropagation keeps, per time step, layer and direction;
* **evaluation and prediction batches**: validation and scoring run in larger batches
  (`EVAL_BATCH_SIZE`, `PREDICT_BATCH_SIZE`) without backpropagation, but their sequence outputs
  and their per-step logits over the vocabulary are held at once;
* a fixed allowance per model for traced graphs and Keras' objects.

CPU seconds: multiply-adds of the recurrent layers, forwards and backwards, over every training
step, plus a per-time-step overhead (a recurrent layer steps through time one small op at a time),
at a throughput measured for small RNNs on one core of the classroom host.

TensorFlow-free; core/engine/runs.py admits runs with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from core.engine.limits import EVAL_BATCH_SIZE, PREDICT_BATCH_SIZE

MB = 2**20
GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}
GRAPH_ALLOWANCE = 128 * MB  # per model: traced train and eval steps, Keras objects, allocator slack
DATA_COPIES = 3  # the pickled message, the unpickled arrays, the tensors batches are cut from
# Multiply-adds per second of small recurrent layers on the classroom host (2 cores, a worker's threads):
# calibrated so the Default Sentiment preset, about a minute there, estimates at about 80 s.
FLOPS_PER_SECOND = 8.0e9
SECONDS_PER_TIME_STEP = 60e-6  # per layer, direction and batch: a recurrent layer's step overhead


@dataclass(frozen=True)
class Recurrent:
    """A stack of recurrent layers as a configuration declares it."""

    cell: str = "GRU"
    units: int = 32
    layers: int = 1
    bidirectional: bool = False

    @property
    def gates(self) -> int:
        return GATES.get(self.cell, 4)

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1


@dataclass(frozen=True)
class Footprint:
    """The sizes a run's cost follows, declared by its configuration.

    `steps`: time steps a model reads; `input_width`: features per step (or the embedding size);
    `vocab`: embedding rows (0: no embedding); `output_steps` x `output_size`: what a model emits per
    example (a character model: every step x the character set); `train_examples`: examples per
    epoch (None: derived from the data's size, `bytes_per_example` each); `models`: models one run
    trains one after the other (a comparison, an attention twin) - memory counts the largest
    (`concurrent_models` held at once), CPU all of them; `extra_steps`: recurrent layers beyond the
    stack (an attention decoder reads `extra_steps` more steps).
    """

    recurrent: Recurrent
    steps: int
    batch_size: int
    epochs: int
    input_width: int = 1
    vocab: int = 0
    output_steps: int = 1
    output_size: int = 1
    train_examples: int | None = None
    bytes_per_example: int = 0
    eval_examples: int = 0
    models: int = 1
    concurrent_models: int = 1
    extra_steps: int = 0
    eval_batch_size: int = EVAL_BATCH_SIZE

    # --- memory

    def weights(self) -> int:
        r = self.recurrent
        per_layer = r.directions * r.gates * r.units * (max(self.input_width, r.units * r.directions) + r.units + 2)
        out = r.units * r.directions * self.output_size + self.output_size
        return self.vocab * self.input_width + r.layers * per_layer + out

    def _sequence_bytes(self, batch: int, kept: int) -> int:
        """Activations of one batch through the stack: `kept` tensors per step, layer and direction."""
        r = self.recurrent
        steps = self.steps + self.extra_steps
        recurrent = batch * steps * r.units * (r.gates + 2) * r.directions * r.layers * 4 * kept
        embedded = batch * steps * self.input_width * 4 * 3  # the lookup, its masked time-major copy, a gradient
        outputs = batch * self.output_steps * self.output_size * 4 * (kept + 2)
        return recurrent + embedded + outputs

    def train_batch_bytes(self) -> int:
        return self._sequence_bytes(self.batch_size, kept=3)  # forward values, their gradients, the cell's gates

    def eval_batch_bytes(self) -> int:
        eval_batch = max(self.batch_size, self.eval_batch_size, PREDICT_BATCH_SIZE)
        return self._sequence_bytes(eval_batch, kept=1)

    def model_bytes(self) -> int:
        return 16 * self.weights() + self.train_batch_bytes() + self.eval_batch_bytes() + GRAPH_ALLOWANCE

    def memory_bytes(self, payload_bytes: int) -> int:
        """Peak growth of the worker running it: its data copies and the models it holds at once."""
        return DATA_COPIES * payload_bytes + max(1, self.concurrent_models) * self.model_bytes()

    # --- time

    def examples(self, payload_bytes: int) -> int:
        if self.train_examples is not None:
            return max(1, self.train_examples)
        return max(1, payload_bytes // max(1, self.bytes_per_example))

    def train_steps(self, payload_bytes: int) -> int:
        """Optimiser steps over the whole run (every model it trains)."""
        return self.models * self.epochs * math.ceil(self.examples(payload_bytes) / max(1, self.batch_size))

    def cpu_seconds(self, payload_bytes: int) -> float:
        """Estimated seconds of training on the classroom host (validation and scoring included)."""
        r = self.recurrent
        steps = self.steps + self.extra_steps
        flops = 2 * 3 * r.layers * r.directions * r.gates * r.units * (self.input_width + r.units) * steps
        overhead = 3 * steps * r.layers * r.directions * SECONDS_PER_TIME_STEP
        per_step = self.batch_size * flops / FLOPS_PER_SECOND + overhead
        scored = self.models * self.epochs * self.eval_examples * flops / 3 / FLOPS_PER_SECOND
        return self.train_steps(payload_bytes) * per_step + scored


def footprint_of(config: Any) -> Footprint | None:
    """The configuration's declared footprint; None for one that declares none (a test's bare work)."""
    declare = getattr(config, "footprint", None)
    return declare() if callable(declare) else None
