"""The Sentiment run (and every other IMDb run) as a standalone Keras program.

`imdb_data_code` is shared with the attention pooling and the Architectures quick-train, which
read the same reviews the same way (core/sentiment/config.py: one IMDb run shape).
"""

from __future__ import annotations

from dataclasses import replace

from core.codegen.common import (
    LOCAL_ENV,
    SEEDED_BATCHES,
    Program,
    Section,
    callbacks_code,
    fit_on_seeded_batches,
    head_code,
    literal,
    optimizer_code,
    readout_code,
    rnn_stack_code,
    train_settings,
)
from core.sentiment.config import MAX_VALIDATION_REVIEWS, ImdbRun, SentimentRun

QUICK_EPOCHS, QUICK_TRAIN, QUICK_TEST = 2, 1_000, 500


def quick(run: ImdbRun) -> ImdbRun:
    """The run QUICK_RUN=1 makes of the script's settings (the tests train the app on this one)."""
    data = replace(
        run.data, train_size=min(run.data.train_size, QUICK_TRAIN), test_size=min(run.data.test_size, QUICK_TEST)
    )
    return replace(run, data=data, train=replace(run.train, epochs=min(run.train.epochs, QUICK_EPOCHS)))


IMDB_LOADER = '''
def load_local_imdb(folder, num_words):
    """The playground's local format (imdb_train.csv.gz, imdb_test.csv.gz with text,label columns),
    tokenised as keras.datasets.imdb is: 1 = start, 2 = a word outside the vocabulary, and the
    word of frequency rank r (in the training reviews) gets id r + 3."""
    if os.path.isdir(os.path.join(folder, "imdb")):
        folder = os.path.join(folder, "imdb")

    def read(name):
        with gzip.open(os.path.join(folder, name), "rt", encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        words = [re.findall(r"[a-z0-9]+(?:'[a-z]+)?", re.sub(r"<[^>]+>", " ", r["text"].lower())) for r in rows]
        return words, np.array([int(r["label"]) for r in rows], dtype="float32")

    (train_words, y_train), (test_words, y_test) = read("imdb_train.csv.gz"), read("imdb_test.csv.gz")
    counts = Counter(w for review in train_words for w in review)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    word_id = {w: rank + 3 for rank, (w, _) in enumerate(ranked, start=1) if rank + 3 < num_words}
    encode = lambda review: [1] + [word_id.get(w, 2) for w in review]  # noqa: E731
    return ([encode(r) for r in train_words], y_train), ([encode(r) for r in test_words], y_test)
'''

IMDB_IMPORTS = ("import csv", "import gzip", "import os", "import re", "from collections import Counter", "")


def imdb_settings(run: ImdbRun) -> str:
    d = run.data
    return (
        f"NUM_WORDS = {d.num_words}  # vocabulary: the most frequent words; the rest become one 'unknown' id\n"
        f"MAX_LENGTH = {d.max_length}  # words per review: longer ones keep their end, shorter ones are padded\n"
        f"TRAIN_SIZE = {d.train_size}\n"
        f"TEST_SIZE = {d.test_size}\n"
        f"EMBEDDING_DIM = {d.embedding_dim}\n"
        f"{train_settings(run.train)}\n"
        f'{LOCAL_ENV} = os.environ.get("{LOCAL_ENV}", {literal(run.local_path)})  # a local copy; empty: download'
    )


IMDB_QUICK = (
    f"EPOCHS = min(EPOCHS, {QUICK_EPOCHS})\nTRAIN_SIZE = min(TRAIN_SIZE, {QUICK_TRAIN})\n"
    f"TEST_SIZE = min(TEST_SIZE, {QUICK_TEST})"
)
IMDB_QUICK_WORDS = (
    f"at most {QUICK_EPOCHS} epochs, {QUICK_TRAIN:,} training and {QUICK_TEST} test reviews"
)
IMDB_LOCAL_WORDS = "reads imdb_train.csv.gz/imdb_test.csv.gz (text,label) from PATH or PATH/imdb"

IMDB_DATA = f"""
if {LOCAL_ENV}:
    (x_train, y_train), (x_test, y_test) = load_local_imdb({LOCAL_ENV}, NUM_WORDS)
else:
    (x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data(num_words=NUM_WORDS)
# Keep each review's last MAX_LENGTH words; shorter ones get zeros (padding) in front.
x_train = keras.utils.pad_sequences(x_train, maxlen=MAX_LENGTH, padding="pre", truncating="pre")
x_test = keras.utils.pad_sequences(x_test, maxlen=MAX_LENGTH, padding="pre", truncating="pre")
y_train, y_test = y_train.astype("float32"), y_test.astype("float32")
# Validation: the last tenth of the training reviews (at most {MAX_VALIDATION_REVIEWS:,}); training from the front.
n_val = min({MAX_VALIDATION_REVIEWS}, max(1, len(y_train) // 10))
n_train = min(TRAIN_SIZE, len(y_train) - n_val)
x_val, y_val = x_train[-n_val:], y_train[-n_val:]
x_train, y_train = x_train[:n_train], y_train[:n_train]
x_test, y_test = x_test[:TEST_SIZE], y_test[:TEST_SIZE]
print(f"{{len(y_train)}} training, {{len(y_val)}} validation, {{len(y_test)}} test reviews")
"""
IMDB_DATA_NOTE = "IMDb reviews as word ids (0 = padding, 1 = start, 2 = unknown word), padded to MAX_LENGTH."

NOT_SHOWN = (
    "Left out: the playground also charts every layer's gradient norm at every step, and when the loss "
    "turns NaN it rolls the weights back to the last finite step; model.fit does neither (keras.callbacks."
    "TerminateOnNaN stops without rolling back)."
)


def model_code(run: SentimentRun) -> tuple[list[str], str]:
    """(lines building `model`, helper classes): the app's many-to-one RNN or one-to-one baseline."""
    m = run.model
    lines = [
        "keras.utils.set_random_seed(SEED)  # the same initial weights as the playground's run",
        'inputs = keras.Input(shape=(MAX_LENGTH,), dtype="int32", name="tokens")',
        'x = layers.Embedding(NUM_WORDS, EMBEDDING_DIM, mask_zero=True, name="embedding")(inputs)',
    ]
    helper = ""
    if m.pattern == "one_to_one":
        lines += [
            "# No recurrence: average the real words' vectors (the mask skips the padding), ignoring their order.",
            'x = layers.GlobalAveragePooling1D(name="average_pool")(x)',
            f'x = layers.Dense({m.dense_units}, activation="relu", name="dense_hidden")(x)',
        ]
    else:
        lines.append("# Read the review word by word; the mask makes the cell skip the padding.")
        lines += rnn_stack_code(m, "rnn", last_returns_sequences=m.readout != "last")
        readout, helper = readout_code(m)
        lines += readout
    lines += head_code(m, 1, "sigmoid")
    lines += [f'model = keras.Model(inputs, outputs, name="{m.pattern}")', "model.summary()"]
    return lines, helper


def train_code(run: ImdbRun, loss: str = "binary_crossentropy", metric: str = "accuracy") -> tuple[str, str]:
    """(code compiling and fitting `model` on x_train/x_val, helpers it needs)."""
    callbacks, helper = callbacks_code(run.train, True, {metric: metric})
    optimizer, clip_helper = optimizer_code(run.train, sparse_embedding=True)
    code = "\n".join(
        [
            optimizer,
            f'model.compile(optimizer=optimizer, loss="{loss}", metrics=["{metric}"])',
            callbacks,
            "batches = SeededBatches(x_train, y_train, BATCH_SIZE, SEED, EPOCHS)",
            *fit_on_seeded_batches(),
        ]
    )
    return code, "\n\n\n".join(h.strip() for h in (clip_helper, helper) if h)


EVALUATE = """
probabilities = model.predict(x_test, verbose=0).reshape(-1)
test_accuracy = float(np.mean((probabilities > 0.5) == (y_test > 0.5)))
print(f"parameters: {model.count_params()}")
print(f"test_accuracy: {test_accuracy:.4f}")
"""


def program(run: SentimentRun) -> Program:
    model_lines, model_helper = model_code(run)
    train, train_helper = train_code(run)
    what = "averaged word vectors, no recurrence" if run.model.pattern == "one_to_one" else run.model.cell
    name = "baseline" if run.model.pattern == "one_to_one" else run.model.cell.lower()
    return Program(
        name=f"sentiment_{name}",
        summary=f"Sentiment on IMDb reviews: a {run.model.pattern.replace('_', '-')} model ({what}) "
        "says whether a review is positive.",
        imports=(*IMDB_IMPORTS, "import keras", "import numpy as np", "from keras import layers, ops"),
        settings=imdb_settings(run),
        quick=IMDB_QUICK,
        quick_words=IMDB_QUICK_WORDS,
        local_words=IMDB_LOCAL_WORDS,
        helpers="\n\n\n".join(h.strip() for h in (IMDB_LOADER, SEEDED_BATCHES, model_helper, train_helper) if h),
        sections=(
            Section("Data", IMDB_DATA_NOTE, IMDB_DATA),
            Section("Model", "Word ids -> embedding vectors -> the network -> P(positive).", "\n".join(model_lines)),
            Section("Train", "Binary cross-entropy, the playground's optimiser, batches and stopping rule.", train),
            Section("Evaluate", "Accuracy on the test reviews: P(positive) > 0.5 counts as positive.", EVALUATE),
        ),
        metric="test_accuracy",
        notes=(NOT_SHOWN,),
    )
