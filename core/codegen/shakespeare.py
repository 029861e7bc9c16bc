"""The Shakespeare run (a character-level language model) as a standalone Keras program."""

from __future__ import annotations

from dataclasses import replace

from core.codegen.common import (
    LOCAL_ENV,
    SEEDED_BATCHES,
    Program,
    Section,
    callbacks_code,
    fit_on_seeded_batches,
    literal,
    optimizer_code,
    train_settings,
)
from core.shakespeare.config import ShakespeareRun

QUICK_CHARS, QUICK_EPOCHS = 30_000, 1
URL = "https://storage.googleapis.com/download.tensorflow.org/data/shakespeare.txt"


def quick(run: ShakespeareRun) -> ShakespeareRun:
    """The run QUICK_RUN=1 makes of the script's settings (the tests train the app on this one)."""
    chars = min(run.run.text.max_chars or QUICK_CHARS, QUICK_CHARS)
    text = replace(run.run.text, max_chars=chars)
    train = replace(run.run.train, epochs=min(run.run.train.epochs, QUICK_EPOCHS))
    return replace(run, run=replace(run.run, text=text, train=train))


def supported(run: ShakespeareRun) -> bool:
    """Tiny Shakespeare (a download or local copy): many-to-many or many-to-one, stateful or not."""
    return run.data.source == "shakespeare"


DATA = f"""
path = {LOCAL_ENV} or keras.utils.get_file("shakespeare.txt", "{URL}")
if os.path.isdir(path):
    path = os.path.join(path, "shakespeare.txt")
with open(path, encoding="utf-8") as f:
    text = f.read().lstrip("\\ufeff").replace("\\r\\n", "\\n").replace("\\r", "\\n")
if MAX_CHARS:
    text = text[:MAX_CHARS]
# The first part trains, the last part validates (contiguous: no window straddles the cut).
cut = int(len(text) * (1 - VALIDATION_FRACTION))
train_text, val_text = text[:cut], text[cut:]
# One id per character of the training text, sorted by code point; validation characters the
# training text lacks share one 'unknown' id.
chars = sorted(set(train_text) | ({{UNKNOWN}} if set(val_text) - set(train_text) else set()))
char_id = {{c: i for i, c in enumerate(chars)}}


def encode(s):
    return np.array([char_id.get(c, char_id.get(UNKNOWN)) for c in s], dtype="int32")


def windows(ids):
    \"\"\"Non-overlapping windows of SEQUENCE_LENGTH characters and the characters that follow each one.\"\"\"
    count = (len(ids) - 1) // SEQUENCE_LENGTH
    x = ids[: count * SEQUENCE_LENGTH].reshape(count, SEQUENCE_LENGTH)
    y = ids[1 : count * SEQUENCE_LENGTH + 1].reshape(count, SEQUENCE_LENGTH)
    return x, y{{LAST}}


x_train, y_train = {{TRAIN_WINDOWS}}
x_val, y_val = windows(encode(val_text))
print(f"{{len(text):,}} characters, {{len(chars)}} distinct; {{len(x_train)}} training windows")
"""


STATEFUL_WINDOWS = '''
def stateful_windows(ids):
    """Windows for a stateful RNN: the text is cut into BATCH_SIZE contiguous streams and batch j holds window j
    of every stream, so row r of each batch continues exactly where row r of the previous batch ended."""
    per_stream = (len(ids) - 1) // BATCH_SIZE
    starts = np.arange(BATCH_SIZE) * per_stream
    offsets = starts[None, :] + np.arange(per_stream // SEQUENCE_LENGTH)[:, None] * SEQUENCE_LENGTH
    positions = offsets.reshape(-1)[:, None] + np.arange(SEQUENCE_LENGTH)[None, :]
    return ids[positions], ids[positions + 1]
'''

STATEFUL_CALLBACKS = '''
class ResetStatesEachEpoch(keras.callbacks.Callback):
    """A stateful RNN carries its state from batch to batch; each epoch starts reading from a zero state."""

    def on_epoch_begin(self, epoch, logs=None):
        for layer in self.model.layers:
            if getattr(layer, "stateful", False):
                layer.reset_state()


class ValidateOnTwin(keras.callbacks.Callback):
    """A stateful model takes only its fixed batch size, and evaluating it would overwrite the state it carries,
    so each epoch's validation copies the weights into a stateless twin that reads every window from zero."""

    def __init__(self, twin, x_val, y_val, batch_size):
        super().__init__()
        self.twin, self.x_val, self.y_val, self.batch_size = twin, x_val, y_val, batch_size

    def on_epoch_end(self, epoch, logs=None):
        self.twin.set_weights(self.model.get_weights())
        values = self.twin.evaluate(self.x_val, self.y_val, batch_size=self.batch_size, verbose=0, return_dict=True)
        if logs is not None:
            logs.update({f"val_{name}": value for name, value in values.items()})
        print(f"  validation (stateless twin): loss {values['loss']:.4f}")
'''


STATEFUL_FIT = [
    "twin.compile(",
    "    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),",
    '    metrics=[keras.metrics.SparseCategoricalAccuracy(name="sparse_accuracy")],',
    ")",
    "# Stateful: the batches in text order (row r of each batch continues row r of the one before), all full.",
    "batches = SeededBatches(x_train, y_train, BATCH_SIZE, SEED, EPOCHS, shuffle=False, drop_remainder=True)",
    "history = model.fit(",
    "    batches,",
    "    epochs=EPOCHS,",
    "    callbacks=[",
    "        batches.follow_epochs,",
    "        ResetStatesEachEpoch(),",
    "        ValidateOnTwin(twin, x_val, y_val, max(BATCH_SIZE, 256)),",
    "        *callbacks,",
    "    ],",
    "    shuffle=False,  # SeededBatches shuffles already",
    "    verbose=2,",
    ")",
]


def stateful_model_lines(lines: list[str]) -> list[str]:
    """The model lines as a function building the stateful model (fixed batch) and its stateless twin."""
    body = [line for line in lines[1:] if line not in ("model.summary()",) and not line.startswith("model = ")]
    body = [
        line.replace(
            'inputs = keras.Input(shape=(None,), dtype="int32", name="chars")  # any window length',
            'shape = {"batch_shape": (BATCH_SIZE, None)} if stateful else {"shape": (None,)}\n'
            'inputs = keras.Input(**shape, dtype="int32", name="chars")',
        ).replace(', name="rnn_', ', stateful=stateful, name="rnn_')
        for line in body
    ]
    name = next(line for line in lines if line.startswith("model = ")).split('name="')[1].split('"')[0]
    doc = '    """The network; a stateful one keeps each row\'s state for the next batch."""'
    function = ["def build(stateful):", doc]
    function += ["    " + part for line in body for part in line.split("\n")]
    function.append(f'    return keras.Model(inputs, logits, name="{name}")')
    return [
        *function,
        "",
        "",
        lines[0],
        "model = build(stateful=True)  # trains, carrying its state across the batches",
        "twin = build(stateful=False)  # validates and writes, with the weights copied in",
        "model.summary()",
    ]


def program(sr: ShakespeareRun) -> Program:
    run = sr.run
    m, many_to_one = run.model, run.model.pattern == "many_to_one"
    last = "[:, -1]  # many-to-one: only the character after the window" if many_to_one else ""
    stateful = run.text.stateful
    data = DATA.replace("{LAST}", last)
    if stateful:
        data = data.replace("x_train, y_train = {TRAIN_WINDOWS}", STATEFUL_WINDOWS.strip() + "\n\n\n"
                            "x_train, y_train = stateful_windows(encode(train_text))")
    data = data.replace("{TRAIN_WINDOWS}", "windows(encode(train_text))")
    settings = "\n".join(
        [
            f"SEQUENCE_LENGTH = {run.text.sequence_length}  # characters per training window",
            f"EMBEDDING_DIM = {run.text.embedding_dim}",
            f"MAX_CHARS = {run.text.max_chars}  # 0 = the whole text",
            f"VALIDATION_FRACTION = {run.text.validation_fraction!r}",
            train_settings(run.train),
            'UNKNOWN = "\\ufffd"',
            f'{LOCAL_ENV} = os.environ.get("{LOCAL_ENV}", {literal(sr.data.local_path)})  # a local copy, or download',
        ]
    )
    model_lines = [
        "keras.utils.set_random_seed(SEED)  # the same initial weights as the playground's run",
        'inputs = keras.Input(shape=(None,), dtype="int32", name="chars")  # any window length',
        'x = layers.Embedding(len(chars), EMBEDDING_DIM, name="embedding")(inputs)',
    ]
    for i in range(1, m.layers + 1):
        sequences = i < m.layers or not many_to_one
        args = [str(m.units)] + (["return_sequences=True"] if sequences else [])
        args += [f"dropout={m.dropout!r}"] if m.dropout else []
        model_lines.append(f'x = layers.{m.cell}({", ".join(args)}, name="rnn_{i}")(x)')
    if m.dropout > 0:
        model_lines.append(f'x = layers.Dropout({m.dropout!r}, name="output_dropout")(x)')
    model_lines += [
        'logits = layers.Dense(len(chars), name="output")(x)  # a score per character; softmax gives probabilities',
        f'model = keras.Model(inputs, logits, name="char_rnn_{m.pattern}")',
        "model.summary()",
    ]
    if stateful:
        model_lines = stateful_model_lines(model_lines)
    callbacks, helper = callbacks_code(run.train, True, {"sparse_accuracy": "sparse_accuracy"})
    optimizer, clip_helper = optimizer_code(run.train, sparse_embedding=True)
    train = "\n".join(
        [
            optimizer,
            "model.compile(",
            "    optimizer=optimizer,",
            "    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),  # nats per character",
            '    metrics=[keras.metrics.SparseCategoricalAccuracy(name="sparse_accuracy")],',
            ")",
            callbacks,
            *(
                STATEFUL_FIT
                if stateful
                else ["batches = SeededBatches(x_train, y_train, BATCH_SIZE, SEED, EPOCHS)", *fit_on_seeded_batches()]
            ),
        ]
    )
    evaluate = f"""
val_loss, val_accuracy = model.evaluate(x_val, y_val, batch_size=max(BATCH_SIZE, 256), verbose=0)
print(f"parameters: {{model.count_params()}}")
print(f"val_loss: {{val_loss:.4f}}")
print(f"val_bits_per_char: {{val_loss / np.log(2):.4f}}")


def sample(prompt, length={run.sampling.length}, temperature={run.sampling.temperature!r}, seed=0):
    \"\"\"Write `length` characters after `prompt`, one at a time, drawing each from the softmax.\"\"\"
    rng = np.random.default_rng(seed)
    ids = list(encode(prompt))
    for _ in range(length):
        context = np.array([ids[-SEQUENCE_LENGTH:]], dtype="int32")
        logits = np.asarray(model(context, training=False))[0, {"" if many_to_one else "-1"}] / temperature
        p = np.exp(logits - logits.max())
        ids.append(int(rng.choice(len(chars), p=p / p.sum())))
    return "".join(chars[i] for i in ids)


print(sample("\\n", length=40 if {"QUICK_RUN"} else {run.sampling.length}))
"""
    if many_to_one:
        evaluate = evaluate.replace("[0, ]", "[0]")
    if stateful:
        evaluate = evaluate.replace(
            "val_loss, val_accuracy = model.evaluate(",
            "twin.set_weights(model.get_weights())  # the stateless twin reads any batch size\n"
            "val_loss, val_accuracy = twin.evaluate(",
        ).replace("np.asarray(model(context", "np.asarray(twin(context")
    notes = (
        "Left out: the playground writes samples while training and charts every layer's gradient norm; "
        "it generates with the cell's state carried from character to character, where sample() here "
        "simply re-reads the last SEQUENCE_LENGTH characters each time (slower, same idea).",
    )
    return Program(
        name=f"shakespeare_{m.cell.lower()}_{'many_to_one' if many_to_one else 'many_to_many'}"
        + ("_stateful" if stateful else ""),
        summary=f"Tiny Shakespeare, one character at a time: a {m.cell} language model "
        f"({m.pattern.replace('_', '-')}) learns to predict the next character, then writes.",
        imports=("import os", "", "import keras", "import numpy as np", "from keras import layers"),
        settings=settings,
        quick=f"MAX_CHARS = min(MAX_CHARS or {QUICK_CHARS}, {QUICK_CHARS})\nEPOCHS = min(EPOCHS, {QUICK_EPOCHS})",
        quick_words=f"the first {QUICK_CHARS:,} characters, {QUICK_EPOCHS} epoch",
        local_words="reads PATH (a text file, or a folder holding shakespeare.txt) instead of downloading",
        helpers="\n\n\n".join(
            h.strip() for h in (SEEDED_BATCHES, STATEFUL_CALLBACKS if stateful else "", clip_helper, helper) if h
        ),
        sections=(
            Section("Data", "Tiny Shakespeare as character ids, cut into windows.", data),
            Section("Model", "Character ids -> embedding -> recurrent layers -> a score for every next character.",
                    "\n".join(model_lines)),
            Section("Train", "Cross-entropy on the next character, the playground's optimiser and batches.", train),
            Section("Evaluate", "Validation loss in nats and bits per character, then a sample.", evaluate),
        ),
        metric="val_loss",
        notes=notes,
    )
