"""Feeding one sequence into any model, up to the recurrent layer we want to open up.

Models come from every page of the playground (and from the user), so nothing here
assumes a layer name: we find the model input the recurrent layer depends on, describe
it (token ids or vectors, how long), turn the user's review / line of text / price
window into an array of that shape, and run the layers in front of the recurrent layer
to get the very sequence x_1..x_T (plus mask and initial state) the layer reads.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np

from core.cells.internals import NotInterpretable, RecurrentLayer, walk_layers
from core.data import imdb
from core.engine.run import TrainedRun

MAX_STEPS = 500  # longest sequence the page traces (one forward pass, by hand, in NumPy)


# ----------------------------------------------------------------------------- what the model wants


@dataclass(frozen=True)
class InputRoute:
    """Which model input feeds the layer, and what one example of it looks like."""

    index: int  # position in model.inputs
    shape: tuple[int | None, ...]  # without the batch axis
    tokens: bool  # integer ids (an Embedding follows) rather than real-valued vectors
    vocab_size: int | None  # input_dim of the first Embedding, for token inputs

    @property
    def length(self) -> int | None:
        """Steps of the input sequence (None: any length; 1 for a single vector)."""
        if self.tokens:
            return self.shape[0] if self.shape else 1
        return self.shape[0] if len(self.shape) >= 2 else 1

    @property
    def features(self) -> int:
        return 1 if self.tokens else int(self.shape[-1] or 1)

    @property
    def is_sequence(self) -> bool:
        """False for a single token or a single vector (one-to-many models)."""
        return self.length != 1 if self.tokens else len(self.shape) >= 2

    def describe(self) -> str:
        if self.tokens:
            size = f" from a vocabulary of {self.vocab_size:,}" if self.vocab_size else ""
            return f"{self.length or 'any number of'} token ids{size}"
        if self.is_sequence:
            return f"{self.length or 'any number of'} steps of {self.features} number(s) each"
        return f"one vector of {self.features} numbers"


def _first_embedding(model: keras.Model) -> keras.layers.Embedding | None:
    return next((layer for layer in walk_layers(model) if isinstance(layer, keras.layers.Embedding)), None)


def _call_tensors(layer: keras.layers.Layer) -> list[list]:
    """For every call of the layer in a graph: x, then its mask and initial state if any."""
    calls = []
    for node in getattr(layer, "_inbound_nodes", []):
        arguments = node.arguments
        tensors = [arguments.args[0]]
        if arguments.kwargs.get("mask") is not None:
            tensors.append(arguments.kwargs["mask"])
        initial = arguments.kwargs.get("initial_state")
        if initial is not None:
            tensors.extend(initial if isinstance(initial, list | tuple) else [initial])
        calls.append(tensors)
    return calls


@dataclass
class Feeder:
    """Runs the part of the model in front of the recurrent layer."""

    route: InputRoute
    submodel: keras.Model
    has_mask: bool
    initial_states: int

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, list[np.ndarray]]:
        """(sequence (steps, features), mask (steps,) or None, initial states) for one example."""
        batch = self.submodel.inputs[0].shape[0]
        if batch is not None and batch != len(x):  # a stateful model was built for a fixed batch size
            x = np.repeat(x[:1], batch, axis=0)
        outputs = self.submodel(x, training=False)
        outputs = outputs if isinstance(outputs, list | tuple) else [outputs]
        arrays = [keras.ops.convert_to_numpy(o) for o in outputs]
        sequence = np.asarray(arrays[0][0], dtype=np.float64)
        mask = np.asarray(arrays[1][0], dtype=bool) if self.has_mask else None
        states = [np.asarray(a[0], dtype=np.float64) for a in arrays[1 + self.has_mask :]]
        return sequence, mask, states


def _connects(inputs, tensors) -> keras.Model | None:
    try:
        return keras.Model(inputs, tensors)
    except ValueError:  # these tensors don't depend on (only) these inputs
        return None


def feeder_for(model: keras.Model, recurrent: RecurrentLayer) -> Feeder:
    """Find the one model input the layer depends on and build the model up to the layer.

    A layer may be called in several graphs (a translator shares its decoder between a training
    model and a step-by-step one); the call that belongs to `model` is the one that connects.
    Raises NotInterpretable (with a message for the user) for layers that need several model
    inputs at once, were never called, or sit inside a nested model.
    """
    layer = recurrent.layer
    calls = _call_tensors(layer)
    if not calls:
        raise NotInterpretable(f"Layer {layer.name!r} was never called on an input, so its input can't be traced.")
    inputs = list(getattr(model, "inputs", None) or [])
    if not inputs:
        raise NotInterpretable("The model has no defined input (it was never built on data), so it can't be fed.")
    for tensors in calls:
        has_mask = len(tensors) > 1 and tensors[1].dtype == "bool"
        for index, model_input in enumerate(inputs):
            submodel = _connects(model_input, tensors)
            if submodel is None:
                continue
            if recurrent.bidirectional and len(tensors) > 1 + has_mask:
                raise NotInterpretable(
                    "This Bidirectional layer starts from a given state; only zero-state ones can be shown."
                )
            shape = tuple(model_input.shape[1:])
            tokens = "int" in str(model_input.dtype)
            embedding = _first_embedding(submodel)
            if embedding is not None and not tokens and len(shape) == 1:
                tokens = True  # a Sequential model whose Input was declared as float but feeds an Embedding
            route = InputRoute(index, shape, tokens, int(embedding.input_dim) if tokens and embedding else None)
            return Feeder(route, submodel, has_mask, len(tensors) - 1 - has_mask)
    if len(inputs) > 1 and any(_connects(inputs, tensors) is not None for tensors in calls):
        raise NotInterpretable(
            f"Layer {layer.name!r} reads {len(inputs)} model inputs at once (for example the encoder's states and "
            "a teacher-forced decoder input); this view can feed one sequence only. Pick an earlier layer."
        )
    raise NotInterpretable(f"Layer {layer.name!r} is not connected to the model's input in a way this view can follow.")


# ----------------------------------------------------------------------------- building one example


@dataclass(frozen=True)
class Example:
    """One input for the model, with a label for every step of it."""

    x: np.ndarray  # (1, ...) ready for the model input
    labels: list[str]  # one per input step: the word, the character, "day 3"
    source: str  # where it came from, in words
    padding_steps: int = 0  # leading steps that are padding, not content
    notice: str = ""  # anything the user should know (generated, unknown words, truncated)


def fit_length(ids: list[int], length: int | None, pad_id: int) -> tuple[np.ndarray, int, bool]:
    """Pad at the front / keep the end (Keras' convention), returning (ids, padding steps, truncated)."""
    if length is None:
        return np.asarray(ids, dtype=np.int32), 0, False
    truncated = len(ids) > length
    kept = list(ids[-length:])
    padding = length - len(kept)
    return np.asarray([pad_id] * padding + kept, dtype=np.int32), padding, truncated


def token_example(ids: list[int], labels: list[str], route: InputRoute, source: str, pad_id: int = 0) -> Example:
    """An Example from token ids (already encoded), fitted to the route's length."""
    if not ids:
        raise NotInterpretable("There is nothing to feed: the text has no known tokens.")
    fitted, padding, truncated = fit_length(ids, route.length, pad_id)
    labels = ["<pad>"] * padding + list(labels)[len(labels) - (len(fitted) - padding) :]
    notice = f"Only the last {route.length} tokens fit the model's input." if truncated else ""
    if len(fitted) > MAX_STEPS:
        raise NotInterpretable(f"The sequence has {len(fitted)} steps; this view traces at most {MAX_STEPS}.")
    return Example(fitted[None], labels, source, padding, notice)


def review_example(vocab: imdb.Vocabulary, text: str, max_length: int, route: InputRoute) -> Example:
    """A review typed by the user, encoded like the IMDb training data; the notice counts unknown words."""
    encoded = imdb.encode_user_text(vocab, text, max_length)
    if encoded.problem:
        raise NotInterpretable(encoded.problem)
    labels = [vocab.decode([i], skip_padding=False) for i in encoded.ids]
    example = token_example([int(i) for i in encoded.ids], labels, route, "your review")
    notes = [f"{encoded.words} words, {encoded.unknown} outside the model's vocabulary (shown as <?>)."]
    if encoded.truncated:
        notes.append(f"Only the last {max_length} tokens fit.")
    return dataclasses.replace(example, notice=" ".join([*notes, example.notice]).strip())


def _is_codec(value: object) -> bool:
    return (
        callable(getattr(value, "encode", None))
        and callable(getattr(value, "decode", None))
        and not isinstance(value, str | bytes | keras.layers.Layer)
    )


def _encodes_text(codec: object, vocab_size: int | None) -> bool:
    """True when `codec.encode` turns a short text into token ids the model's embedding accepts."""
    try:
        ids = np.asarray(codec.encode("the cat"))
        label = codec.decode([int(ids.reshape(-1)[0])])
    except Exception:  # not a text vocabulary after all (a model wrapper with encode/decode, say)
        return False
    if ids.ndim != 1 or len(ids) == 0 or not np.issubdtype(ids.dtype, np.integer) or not isinstance(label, str):
        return False
    return vocab_size is None or bool(np.all((ids >= 0) & (ids < vocab_size)))


def text_codec(run: TrainedRun, vocab_size: int | None = None) -> object | None:
    """The run's vocabulary (encode(text) -> ids, decode(ids) -> text), if it has one.

    A run may offer several (`TrainedRun.text_codecs`, best first); the first whose ids fit
    the model's embedding (`vocab_size`) wins.
    """
    for candidate in run.text_codecs():
        if _is_codec(candidate) and _encodes_text(candidate, vocab_size):
            return candidate
    return None


VISIBLE = {"\n": "⏎", " ": "␣", "\t": "⇥"}


def codec_example(codec: object, text: str, route: InputRoute, source: str = "your text") -> Example:
    """Encode text with the model's own vocabulary and label every step with its token."""
    try:
        ids = [int(i) for i in np.asarray(codec.encode(text)).reshape(-1)]
    except Exception as err:  # a page's vocabulary may reject some input; say so instead of failing
        raise NotInterpretable(f"The model's vocabulary could not encode this text: {err}") from err
    if route.vocab_size is not None and any(not 0 <= i < route.vocab_size for i in ids):
        raise NotInterpretable("The vocabulary found does not match the model's embedding size.")
    labels = []
    for i in ids:
        label = str(codec.decode([i]))
        labels.append(VISIBLE.get(label, label) or f"#{i}")
    return token_example(ids, labels, route, source)


def _fits(route: InputRoute) -> Callable[[object], bool]:
    def accept(value: object) -> bool:
        if not isinstance(value, np.ndarray) or value.ndim != len(route.shape) + 1 or len(value) == 0:
            return False
        kind_ok = np.issubdtype(value.dtype, np.integer if route.tokens else np.floating)
        return kind_ok and all(w in (None, g) for w, g in zip(route.shape, value.shape[1:], strict=True))

    return accept


def example_arrays(run: TrainedRun, route: InputRoute) -> tuple[str, np.ndarray] | None:
    """The first of the run's stored inputs (`TrainedRun.example_inputs`, held-out first) that
    fits the route's shape, as (name, array)."""
    fits = _fits(route)
    return next(((name, array) for name, array in run.example_inputs().items() if fits(array)), None)


def stored_example(name: str, array: np.ndarray, index: int, route: InputRoute) -> Example:
    """One stored input; a one-number-per-step sequence is labelled with its values."""
    x = array[index : index + 1]
    if not route.is_sequence:
        labels = ["x"]
    elif route.tokens or route.features != 1:
        labels = [f"step {t + 1}" for t in range(x.shape[1])]
    else:
        labels = [f"{v:+.2f}" for v in x[0, :, 0]]
    return Example(x, labels, f"example {index + 1} of {name!r} ({len(array):,} stored)")


SIGNALS = ("sine wave", "step", "single spike", "random walk (price-like)")


def signal(kind: str, steps: int, seed: int = 0) -> np.ndarray:
    """A generated 1-D signal, scaled to roughly [-1, 1], for probing a cell's response."""
    t = np.arange(steps)
    if kind == "sine wave":
        return np.sin(2 * np.pi * t / max(8, steps / 3))
    if kind == "step":
        return np.where(t >= steps // 2, 1.0, -1.0)
    if kind == "single spike":
        out = np.zeros(steps)
        out[steps // 3] = 1.0
        return out
    if kind == "random walk (price-like)":
        walk = np.cumsum(np.random.default_rng(seed).normal(0, 1, steps))
        return (walk - walk.mean()) / (walk.std() or 1.0)
    raise ValueError(f"Unknown signal {kind!r}; choose one of {', '.join(SIGNALS)}.")


def signal_example(kind: str, route: InputRoute, steps: int, seed: int = 0) -> Example:
    """A generated signal shaped for a float input: the same value on every feature of a step."""
    steps = route.length or steps
    if route.is_sequence:
        values = signal(kind, steps, seed)
        x = np.repeat(values[:, None], route.features, axis=1)[None].astype(np.float32)
        labels = [f"{v:+.2f}" for v in values]
    else:
        x = np.full((1, route.features), 1.0, dtype=np.float32)
        labels = ["x"]
    return Example(x, labels, f"generated {kind}", notice="Generated input, not real data.")


def parse_numbers(text: str) -> np.ndarray:
    """ "1, 2.5 3" -> array; raises NotInterpretable with a readable message."""
    parts = text.replace(",", " ").replace(";", " ").split()
    if not parts:
        raise NotInterpretable("Type a few numbers separated by commas or spaces.")
    try:
        values = np.array([float(p) for p in parts])
    except ValueError as err:
        raise NotInterpretable(f"Not a number: {err.args[0].split(': ')[-1]}") from err
    if not np.all(np.isfinite(values)):
        raise NotInterpretable("The numbers must be finite.")
    if len(values) > MAX_STEPS:
        raise NotInterpretable(f"{len(values)} numbers; at most {MAX_STEPS} can be traced.")
    return values


def numbers_example(values: np.ndarray, route: InputRoute, standardise: bool) -> Example:
    """Typed numbers as a sequence for a float input; optionally z-scored (models see scaled data)."""
    scaled = (values - values.mean()) / (values.std() or 1.0) if standardise else values
    length = route.length
    padding = 0
    if length is not None:
        if len(scaled) > length:
            scaled = scaled[-length:]
        padding = length - len(scaled)
        scaled = np.concatenate([np.zeros(padding), scaled])
    x = np.repeat(scaled[:, None], route.features, axis=1)[None].astype(np.float32)
    labels = ["pad"] * padding + [f"{v:g}" for v in values[-(len(scaled) - padding) :]]
    notice = "Standardised to mean 0, spread 1 before feeding." if standardise else ""
    return Example(x, labels, "your numbers", padding, notice)


def random_token_example(route: InputRoute, steps: int, seed: int = 0) -> Example:
    """Random token ids, for token models whose vocabulary this page can't find."""
    steps = route.length or steps
    high = max(2, route.vocab_size or 2)
    ids = np.random.default_rng(seed).integers(1, high, steps).astype(np.int32)
    return Example(
        ids[None],
        [f"#{i}" for i in ids],
        "random token ids",
        notice="No vocabulary was found for this model, so these are random token ids.",
    )


# ----------------------------------------------------------------------------- labels for the layer's own steps


def step_labels(example: Example, layer_steps: int) -> tuple[list[str], int]:
    """Labels for each step of the recurrent layer, and how many leading steps are padding.

    When the layer reads the input sequence step by step (same length) the labels are the
    input's tokens; otherwise (a repeated vector, a decoder's output steps) they are step numbers.
    """
    if len(example.labels) == layer_steps:
        return example.labels, example.padding_steps
    return [f"step {t + 1}" for t in range(layer_steps)], 0
