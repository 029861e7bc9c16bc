"""Opening a model up: build the one the sidebar describes, trace a layer for one input, check the counts.

TensorFlow is imported here (through Keras); the page reaches this module lazily as
`cells.inspect.<function>`.
"""

from __future__ import annotations

import numpy as np

from core.cells.config import Analysis, FreshModel
from core.cells.inputs import Example, Feeder, step_labels
from core.cells.internals import RecurrentLayer, check_against_keras, check_gate_identities, trace_layer, walk_layers
from core.engine.config import InputSpec, ModelConfig, OutputSpec
from core.engine.models import build_model


def keras_counts(config: ModelConfig, spec: InputSpec, output: OutputSpec) -> dict[str, int]:
    """`count_params()` of every layer of the real model (builds it, then throws it away)."""
    model = build_model(config, spec, output, seed=None)
    return {layer.name: layer.count_params() for layer in model.layers if layer.name not in ("tokens", "inputs")}


def fresh_model(fresh: FreshModel):
    """The sidebar's architecture with random weights (seeded), reading one number per step."""
    return build_model(fresh.model, fresh.spec, fresh.output, seed=fresh.seed)


def single_output(model, x: np.ndarray) -> float | None:
    """The model's prediction when it is one number (a sentiment probability); None otherwise."""
    if any(getattr(layer, "stateful", False) for layer in walk_layers(model)) or len(model.inputs) != 1:
        return None  # predicting would change a stateful model's memory
    if tuple(model.outputs[0].shape[1:]) != (1,):
        return None
    return float(np.asarray(model.predict(x, verbose=0)).reshape(-1)[0])


def analyse(model, recurrent: RecurrentLayer, feeder: Feeder, example: Example) -> Analysis:
    """Trace every direction of the layer for the example by hand and check it against Keras.

    Raises core.cells.internals.NotInterpretable (with a message for the user) when the layer can't be traced.
    """
    sequence, mask, initial = feeder(example.x)
    traces = trace_layer(recurrent, sequence, mask, initial)
    check = check_against_keras(recurrent, sequence, traces, mask)
    labels, padding = step_labels(example, traces[0].steps)
    identity_error = max(check_gate_identities(t) for t in traces)
    return Analysis(traces, check, identity_error, labels, padding, single_output(model, example.x))
