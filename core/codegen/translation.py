"""The Attention page's encoder-decoder translation run (with or without attention) as a standalone Keras program.

The script generates the page's task itself (digits read aloud, dates or number words: the same pairs
for the same seed, written out in a few lines), builds the same encoder-decoder layer by layer in the
playground's order (so the same seed gives the same initial weights), trains it with teacher forcing
on the playground's batches, and scores greedy translations of the held-out pairs.
"""

from __future__ import annotations

from dataclasses import replace

from core.attention.config import AttentionPageRun, TranslationRun
from core.codegen.common import (
    SEEDED_BATCHES,
    Program,
    Section,
    callbacks_code,
    fit_on_seeded_batches,
    optimizer_code,
    train_settings,
)
from core.data.dates import HELD_OUT_FRACTION, MAX_DIGITS, MIN_DIGITS, TASK_LABELS

QUICK_EPOCHS, QUICK_TRAIN, QUICK_TEST = 2, 1_500, 200
EVALUATION_BATCH = 256  # the playground validates in whole batches of max(BATCH_SIZE, 256)
VALIDATION_FRACTION = 0.1  # of the training values (core.attention.seq2seq; a test checks they agree)


def quick(run: TranslationRun) -> TranslationRun:
    """The run QUICK_RUN=1 makes of the script's settings (the tests train the app on this one)."""
    data = replace(
        run.data, train_size=min(run.data.train_size, QUICK_TRAIN), test_size=min(run.data.test_size, QUICK_TEST)
    )
    return replace(run, data=data, train=replace(run.train, epochs=min(run.train.epochs, QUICK_EPOCHS)))


SPLIT_VALUES = f'''
def split_values(count, stream=()):
    """(training, held-out) values 0..count-1: a seeded tenth is held out, never trained on."""
    order = np.random.default_rng([DATA_SEED, 7919, *stream]).permutation(count)
    cut = max(1, round(count * {HELD_OUT_FRACTION!r}))
    return np.sort(order[cut:]), np.sort(order[:cut])
'''

DIGITS_TASK = f'''
WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def is_held_out(digits):
    """A keyed hash puts a fixed tenth of all digit strings, of every length, on the held-out side."""
    key = DATA_SEED.to_bytes(8, "little", signed=True)
    digest = hashlib.blake2b(digits.encode("ascii"), digest_size=8, key=key).digest()
    return int.from_bytes(digest, "little") < {HELD_OUT_FRACTION!r} * 2**64


def spoken_digits(n, rng, held_out):
    """n pairs ("four one five", "415") of {MIN_DIGITS} to {MAX_DIGITS} digits, from one side of the split only."""
    pairs = []
    while len(pairs) < n:
        length = int(rng.integers({MIN_DIGITS}, {MAX_DIGITS + 1}))
        digits = "".join(str(d) for d in rng.integers(0, 10, size=length))
        if is_held_out(digits) == held_out:
            pairs.append((" ".join(WORDS[int(c)] for c in digits), digits))
    return pairs


def make_pairs(train_size, test_size):
    rng = np.random.default_rng([DATA_SEED, 31])
    return spoken_digits(train_size, rng, held_out=False), spoken_digits(test_size, rng, held_out=True)
'''

DATES_TASK = (
    '''
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FIRST_DAY, LAST_DAY = dt.date(1950, 1, 1), dt.date(2049, 12, 31)


def ordinal(day):
    return f"{day}{'th' if 11 <= day % 100 <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th')}"


def month(d):
    return MONTHS[d.month - 1]


def weekday(d):
    return WEEKDAYS[d.weekday()]


# Sixteen ways to write a day. Slashes are US month/day/year, dots day.month.year; yy means 1950-2049.
FORMATS = (
    lambda d: f"{weekday(d)} {ordinal(d.day)} of {month(d)} {d.year}",
    lambda d: f"{weekday(d).title()}, {month(d).title()} {d.day}, {d.year}",
    lambda d: f"the {ordinal(d.day)} of {month(d)}, {d.year}",
    lambda d: f"{month(d).title()} {d.day}, {d.year}",
    lambda d: f"{month(d)} {ordinal(d.day)}, {d.year}",
    lambda d: f"{d.day} {month(d).title()} {d.year}",
    lambda d: f"{d.day} {month(d)[:3]} {d.year}",
    lambda d: f"{month(d)[:3].title()} {d.day:02d} {d.year}",
    lambda d: f"{weekday(d)[:3]}, {d.day} {month(d)[:3]} {d.year}",
    lambda d: f"{d.day}-{month(d)[:3].title()}-{d.year % 100:02d}",
    lambda d: f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}",
    lambda d: f"{d.month}/{d.day}/{d.year}",
    lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    lambda d: f"{d.day}.{d.month}.{d.year % 100:02d}",
    lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    lambda d: d.isoformat(),
)
'''
    + SPLIT_VALUES
    + '''

def sample_dates(days, n, rng):
    """n pairs ("3 mar 2021", "2021-03-03"): a day drawn from `days`, written in a random format."""
    offsets = rng.choice(days, size=n, replace=n > len(days))
    formats = rng.integers(0, len(FORMATS), size=n)
    days = [FIRST_DAY + dt.timedelta(days=int(offset)) for offset in offsets]
    return [(FORMATS[f](day), day.isoformat()) for day, f in zip(days, formats, strict=True)]


def make_pairs(train_size, test_size):
    train_days, test_days = split_values((LAST_DAY - FIRST_DAY).days + 1)  # held-out days are never trained on
    rng = np.random.default_rng(DATA_SEED)
    return sample_dates(train_days, train_size, rng), sample_dates(test_days, test_size, rng)
'''
)

NUMBERS_TASK = (
    '''
ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def below_hundred(n, hyphen):
    if n < 20:
        return ONES[n] if n < 10 else TEENS[n - 10]
    tens, ones = divmod(n, 10)
    return TENS[tens] if ones == 0 else f"{TENS[tens]}{'-' if hyphen else ' '}{ONES[ones]}"


def below_thousand(n, hyphen, british_and):
    hundreds, rest = divmod(n, 100)
    if hundreds == 0:
        return below_hundred(rest, hyphen)
    head = f"{ONES[hundreds]} hundred"
    return head if rest == 0 else f"{head} {'and ' if british_and else ''}{below_hundred(rest, hyphen)}"


def number_words(n, hyphen, british_and):
    """405 -> "four hundred five" ("four hundred and five" with british_and), up to 999,999."""
    thousands, rest = divmod(n, 1000)
    if thousands == 0:
        return below_thousand(rest, hyphen, british_and)
    head = f"{below_thousand(thousands, hyphen, british_and)} thousand"
    if rest == 0:
        return head
    joiner = " and " if british_and and rest < 100 else " "
    return f"{head}{joiner}{below_thousand(rest, hyphen, british_and)}"


def digit_range(digits):
    return (0 if digits == 1 else 10 ** (digits - 1)), 10**digits
'''
    + SPLIT_VALUES
    + '''

def sample_numbers(values, n, rng):
    """n pairs ("forty-two", "42"): every length (1 to 6 digits) equally likely, then a value and a style."""
    pairs = []
    for digits in rng.integers(1, 7, size=n):
        low, high = digit_range(int(digits))
        first, last = np.searchsorted(values, [low, high])
        value = int(values[rng.integers(first, last)])
        hyphen, british_and = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
        pairs.append((number_words(value, hyphen, british_and), str(value)))
    return pairs


def make_pairs(train_size, test_size):
    # Held-out numbers are never trained on; the split is made per length, so every length is held out.
    train_values, test_values = [], []
    for digits in range(1, 7):
        low, high = digit_range(digits)
        train_part, test_part = split_values(high - low, stream=(digits,))
        train_values.append(train_part + low)
        test_values.append(test_part + low)
    train_values, test_values = np.concatenate(train_values), np.concatenate(test_values)
    rng = np.random.default_rng(DATA_SEED)
    return sample_numbers(train_values, train_size, rng), sample_numbers(test_values, test_size, rng)
'''
)

# task -> (the code generating its pairs, the imports it needs)
TASK_CODE: dict[str, tuple[str, tuple[str, ...]]] = {
    "digits": (DIGITS_TASK, ("import hashlib",)),
    "dates": (DATES_TASK, ("import datetime as dt",)),
    "numbers": (NUMBERS_TASK, ()),
}

PAIR_BATCHES = '''
class SeededPairBatches(SeededBatches):
    """SeededBatches for the two inputs (source ids, decoder ids), with the weights that leave padding
    out of the loss: each batch is ((sources, decoder inputs), targets, weights)."""

    def __init__(self, x, y, weights, *args, **kwargs):
        super().__init__(x, y, *args, **kwargs)
        self.weights = weights

    def __getitem__(self, i):
        rows = self.orders[self.epoch][i * self.batch_size : (i + 1) * self.batch_size]
        return (self.x[0][rows], self.x[1][rows]), self.y[rows], self.weights[rows]
'''

ALIGNMENT_ATTENTION = '''
class AlignmentAttention(layers.Layer):
    """Scores every decoder step d_k against every encoder output h_t, softmax over t (padding gets weight 0),
    and returns the weighted average of the h_t (the context) with the weights.
    additive (Bahdanau): v . tanh(W_q d_k + W_k h_t + b); dot (Luong, "general"): d_k . (W h_t)."""

    def __init__(self, kind, units, **kwargs):
        super().__init__(**kwargs)
        self.kind, self.units = kind, units

    def build(self, query_shape, keys_shape, source_ids_shape=None):
        dq, dk = int(query_shape[-1]), int(keys_shape[-1])
        if self.kind == "additive":
            self.query_kernel = self.add_weight(shape=(dq, self.units), name="query_kernel")
            self.key_kernel = self.add_weight(shape=(dk, self.units), name="key_kernel")
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
            self.score_vector = self.add_weight(shape=(self.units,), name="score_vector")
        else:
            self.key_kernel = self.add_weight(shape=(dk, dq), name="key_kernel")

    def call(self, query, keys, source_ids):
        if self.kind == "additive":
            q = ops.matmul(query, self.query_kernel)[:, :, None, :]  # (batch, K, 1, units)
            k = ops.matmul(keys, self.key_kernel)[:, None, :, :]  # (batch, 1, S, units)
            scores = ops.sum(ops.tanh(q + k + self.bias) * self.score_vector, axis=-1)  # (batch, K, S)
        else:
            scores = ops.matmul(query, ops.transpose(ops.matmul(keys, self.key_kernel), (0, 2, 1)))
        real = ops.cast(ops.not_equal(source_ids, 0), self.compute_dtype)[:, None, :]
        weights = ops.softmax(scores * real + (1.0 - real) * -1e9, axis=-1)
        return ops.matmul(weights, keys), weights

    def compute_output_spec(self, query, keys, source_ids):
        batch, steps, width = query.shape[0], query.shape[1], keys.shape[-1]
        dtype = self.compute_dtype
        return keras.KerasTensor((batch, steps, width), dtype), keras.KerasTensor((batch, steps, keys.shape[1]), dtype)
'''

ENCODE = f"""
train_pairs, test_pairs = make_pairs(TRAIN_SIZE, TEST_SIZE)
print("For example:", *(f"{{s!r}} -> {{t!r}}" for s, t in train_pairs[:3]), sep="\\n  ")

# Characters -> ids, from the training pairs. Sources are lower-cased; 0 is padding and 1 a character never seen
# in training. Targets: 0 padding, 1 <start>, 2 <end>.
PAD, UNKNOWN, START, END = 0, 1, 1, 2
source_chars = sorted({{c for s, _ in train_pairs for c in s.lower()}})
target_chars = sorted({{c for _, t in train_pairs for c in t}})
source_id = {{c: i + 2 for i, c in enumerate(source_chars)}}
target_id = {{c: i + 3 for i, c in enumerate(target_chars)}}
SOURCE_LENGTH = max(len(s) for s, _ in train_pairs + test_pairs)
TARGET_LENGTH = max(len(t) for _, t in train_pairs + test_pairs) + 1  # + <end>


def encode(pairs):
    \"\"\"Teacher forcing: the decoder reads <start> y1 .. y(K-1) and learns to write y1 .. yK <end>;
    the weights are 1 on real characters (and <end>), 0 on padding.\"\"\"
    sources = np.zeros((len(pairs), SOURCE_LENGTH), "int32")
    decoder_in = np.zeros((len(pairs), TARGET_LENGTH), "int32")
    targets = np.zeros((len(pairs), TARGET_LENGTH), "int32")
    for row, (source, target) in enumerate(pairs):
        ids = [source_id.get(c, UNKNOWN) for c in source.lower()]
        sources[row, : len(ids)] = ids
        out = [*(target_id[c] for c in target), END]
        targets[row, : len(out)] = out
        decoder_in[row, : len(out)] = [START, *out[:-1]]
    return (sources, decoder_in), targets, (targets != PAD).astype("float32")


# Validation: about a tenth of the training *values* (every pair with one of them) is held back, so validation,
# like the test, asks for values the model never trained on.
values = sorted({{t for _, t in train_pairs}})
order = np.random.default_rng([DATA_SEED, 4243]).permutation(len(values))
held_back = {{values[i] for i in order[: round(len(values) * {VALIDATION_FRACTION!r})]}}
val_pairs = [p for p in train_pairs if p[1] in held_back]
train_pairs = [p for p in train_pairs if p[1] not in held_back]
x_train, y_train, w_train = encode(train_pairs)
x_val, y_val, w_val = encode(val_pairs)
x_test, y_test, _ = encode(test_pairs)
# The playground validates in whole batches of max(BATCH_SIZE, {EVALUATION_BATCH}) (one compiled shape).
batch = max(BATCH_SIZE, {EVALUATION_BATCH})
n_val = len(y_val) if len(y_val) <= batch else len(y_val) - len(y_val) % batch
x_val, y_val, w_val = (x_val[0][:n_val], x_val[1][:n_val]), y_val[:n_val], w_val[:n_val]
print(f"{{len(y_train)}} training, {{len(y_val)}} validation, {{len(y_test)}} held-out test pairs")
"""

EVALUATE = """
def translate(sources):
    \"\"\"Greedy decoding: start from <start>, feed each step's most likely character back in.\"\"\"
    decoder_in = np.zeros((len(sources), TARGET_LENGTH), "int32")
    decoder_in[:, 0] = START
    guesses = np.zeros_like(decoder_in)
    for t in range(TARGET_LENGTH):
        probabilities = model.predict([sources, decoder_in], batch_size=1024, verbose=0)
        guesses[:, t] = probabilities[:, t].argmax(axis=-1)
        if (guesses == END).any(axis=1).all():
            break
        if t + 1 < TARGET_LENGTH:
            decoder_in[:, t + 1] = guesses[:, t]
    guesses[np.cumsum(guesses == END, axis=1) - (guesses == END) > 0] = PAD  # nothing after <end>
    return guesses


def text(ids):
    return "".join(target_chars[i - 3] for i in itertools.takewhile(lambda i: i != END, ids) if i >= 3)


guesses = translate(x_test[0])
predictions = [text(row) for row in guesses]
exact_match = float(np.mean([p == t for p, (_, t) in zip(predictions, test_pairs, strict=True)]))
char_accuracy = float(((guesses == y_test) & (y_test != PAD)).sum() / (y_test != PAD).sum())
for (source, target), prediction in list(zip(test_pairs, predictions, strict=True))[:5]:
    print(f"{source!r} -> {prediction!r} ({'right' if prediction == target else f'should be {target!r}'})")
print(f"parameters: {model.count_params()}")
print(f"test_char_accuracy: {char_accuracy:.4f}")
print(f"test_exact_match: {exact_match:.4f}")
"""


def _model_code(run: TranslationRun) -> str:
    """The layers in the playground's order (the same seed gives the same initial weights), then their wiring."""
    m = run.model
    lstm = m.cell == "LSTM"
    decoder_units = m.units * (2 if m.bidirectional else 1)
    encoder = f'layers.{m.cell}({m.units}, return_sequences=True, return_state=True, name="encoder_1")'
    if m.bidirectional:
        encoder = f'layers.Bidirectional(\n    {encoder}, merge_mode="concat", name="encoder_1"\n)'
    attention = m.attention != "none"
    lines = [
        "keras.utils.set_random_seed(DATA_SEED)  # the same initial weights as the playground's run",
        f'source_embedding = layers.Embedding(len(source_chars) + 2, {m.embedding_dim}, mask_zero=True, '
        'name="source_embedding")',
        f"encoder_rnn = {encoder}",
        f'target_embedding = layers.Embedding(len(target_chars) + 3, {m.embedding_dim}, name="target_embedding")',
        f"decoder_rnn = layers.{m.cell}({decoder_units}, return_sequences=True, return_state=True, "
        'name="decoder_1")',
    ]
    if attention:
        lines += [
            f'attention = AlignmentAttention("{m.attention}", {m.attention_units}, name="attention")',
            f'combine = layers.Dense({decoder_units}, activation="tanh", name="attention_combine")',
        ]
    lines += [
        'output = layers.Dense(len(target_chars) + 3, activation="softmax", name="output")',
        "",
        "# Encoder: one output per source character, and its final state: the context vector.",
        'source_ids = keras.Input((SOURCE_LENGTH,), dtype="int32", name="encoder_ids")',
        "encoded, *final = encoder_rnn(source_embedding(source_ids))",
    ]
    if m.bidirectional:
        per_direction = 2 if lstm else 1
        lines += [
            "# Both directions' final states side by side: the decoder has twice the units.",
            f"forward, backward = final[:{per_direction}], final[{per_direction}:]",
            "pairs = zip(forward, backward, strict=True)",
            'final = [layers.Concatenate(name=f"context_{i}")([f, b]) for i, (f, b) in enumerate(pairs)]',
        ]
    lines += [
        "# Decoder: starts from the context vector and reads the previous character (teacher forcing).",
        'decoder_ids = keras.Input((TARGET_LENGTH,), dtype="int32", name="decoder_ids")',
        "decoded, *_ = decoder_rnn(target_embedding(decoder_ids), initial_state=list(final))",
    ]
    if attention:
        lines += [
            "# Attention: each output step also reads a weighted average of all the encoder's outputs.",
            "context, weights = attention(decoded, encoded, source_ids)",
            "probabilities = output(combine(layers.concatenate([context, decoded])))",
        ]
    else:
        lines.append("probabilities = output(decoded)  # no attention: the context vector is all it knows")
    lines += [
        f'model = keras.Model([source_ids, decoder_ids], probabilities, name="seq2seq_{m.attention}")',
        "model.summary()",
    ]
    return "\n".join(lines)


def _train_code(run: TranslationRun) -> tuple[str, str]:
    callbacks, helper = callbacks_code(run.train, True, {"sparse_accuracy": "accuracy"})
    optimizer, clip_helper = optimizer_code(run.train, sparse_embedding=True)
    code = "\n".join(
        [
            optimizer,
            "# The mean cross-entropy over the real characters (weight 1), never diluted by padding (weight 0).",
            'loss = keras.losses.SparseCategoricalCrossentropy(reduction="mean_with_sample_weight")',
            'model.compile(optimizer=optimizer, loss=loss, weighted_metrics=["accuracy"])',
            callbacks,
            "# Equal batches (the last, smaller one is dropped), as the playground trains this model.",
            "drop = len(y_train) >= BATCH_SIZE",
            "batches = SeededPairBatches(x_train, y_train, w_train, BATCH_SIZE, SEED, EPOCHS, drop_remainder=drop)",
            *fit_on_seeded_batches(validation="(x_val, y_val, w_val)"),
        ]
    )
    return code, "\n\n\n".join(h.strip() for h in (clip_helper, helper) if h)


def _settings(run: TranslationRun) -> str:
    d = run.data
    train = train_settings(run.train).replace("\n", "  # the batch order\n", 1)
    return (
        f"# The task: {TASK_LABELS[d.task].lower()} (make_pairs below generates its pairs).\n"
        f"TRAIN_SIZE = {d.train_size}  # pairs generated for training (a tenth of them held back for validation)\n"
        f"TEST_SIZE = {d.test_size}  # held-out pairs: values never seen in training\n"
        f"DATA_SEED = {d.seed}  # draws the pairs and the initial weights\n"
        f"{train}"
    )


def program(config: AttentionPageRun | TranslationRun) -> Program:
    run = config.translation if isinstance(config, AttentionPageRun) else config
    m = run.model
    task_code, task_imports = TASK_CODE[run.data.task]
    train, train_helper = _train_code(run)
    attention = m.attention != "none"
    model_note = (
        "Characters -> encoder RNN -> decoder RNN + attention over the encoder's outputs -> next character."
        if attention
        else "Characters -> encoder RNN -> its final state (the context vector) -> decoder RNN -> next character."
    )
    notes = [
        "Left out: the playground also charts every layer's gradient norm, snapshots the attention of one "
        "validation example after every epoch, and rolls the weights back when the loss turns NaN."
    ]
    if isinstance(config, AttentionPageRun) and config.twin:
        notes.append(
            'The playground also trained a twin of this model without attention: set attention to "none" (the '
            "attention and attention_combine layers go) and run it again to compare held-out exact match."
        )
    helpers = (task_code, SEEDED_BATCHES, PAIR_BATCHES, ALIGNMENT_ATTENTION if attention else "", train_helper)
    kind = f"{m.attention} attention" if attention else "no attention (the context vector only)"
    return Program(
        name=f"translation_{run.data.task}_{m.attention}",
        summary=f"A character-level encoder-decoder ({'bidirectional ' if m.bidirectional else ''}{m.cell}, "
        f"{kind}) learns {TASK_LABELS[run.data.task].lower()}: the encoder reads the input one character at a "
        "time, the decoder writes the answer one character at a time.",
        imports=(*task_imports, "import itertools", "import os", "", "import keras", "import numpy as np",
                 "from keras import layers, ops"),
        settings=_settings(run),
        quick=f"EPOCHS = min(EPOCHS, {QUICK_EPOCHS})\nTRAIN_SIZE = min(TRAIN_SIZE, {QUICK_TRAIN})\n"
        f"TEST_SIZE = min(TEST_SIZE, {QUICK_TEST})",
        quick_words=f"at most {QUICK_EPOCHS} epochs, {QUICK_TRAIN:,} training and {QUICK_TEST} held-out pairs",
        local_words="",
        helpers="\n\n\n".join(h.strip() for h in helpers if h),
        sections=(
            Section("Data", "The task's pairs, generated as the playground generates them, as padded id arrays.",
                    ENCODE),
            Section("Model", model_note, _model_code(run)),
            Section("Train", "Cross-entropy per character, the playground's optimiser, clipping and batches.", train),
            Section("Evaluate", "Greedy translation of the held-out pairs: the share translated exactly right.",
                    EVALUATE),
        ),
        metric="test_exact_match",
        notes=tuple(notes),
    )


def supported(config: object) -> bool:
    run = config.translation if isinstance(config, AttentionPageRun) else config
    return isinstance(run, TranslationRun) and run.data.task in TASK_CODE
