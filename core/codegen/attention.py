"""The Attention page's IMDb attention-pooling run as a standalone Keras program.

(The page's encoder-decoder translation run, with and without attention, is translation.py's.)
"""

from __future__ import annotations

from core.attention.config import PoolingRun
from core.codegen import sentiment
from core.codegen.common import (
    SEEDED_BATCHES,
    Program,
    Section,
    callbacks_code,
    fit_on_seeded_batches,
    optimizer_code,
)

quick = sentiment.quick  # the same cut as every IMDb run

ATTENTION_POOLING = '''
class AttentionPooling(layers.Layer):
    """A learned, weighted average of the RNN's outputs: score_t = v . tanh(W h_t + b), a = softmax(score),
    review = sum_t a_t h_t. Padding (id 0) and the start marker (id 1) get weight exactly 0."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.supports_masking = True

    def build(self, sequence_shape, token_ids_shape=None):
        self.kernel = self.add_weight(shape=(sequence_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        self.score_vector = self.add_weight(shape=(self.units,), name="score_vector")

    def call(self, sequence, token_ids, mask=None):
        real = ops.cast(ops.greater(token_ids, 1), self.compute_dtype)  # words only
        scores = ops.sum(ops.tanh(ops.matmul(sequence, self.kernel) + self.bias) * self.score_vector, axis=-1)
        weights = ops.softmax(scores * real + (1.0 - real) * -1e9, axis=-1)
        return ops.sum(sequence * weights[:, :, None], axis=1), weights

    def compute_mask(self, sequence, token_ids, mask=None):
        return None

    def compute_output_spec(self, sequence, token_ids, mask=None):
        batch, steps, width = sequence.shape
        dtype = self.compute_dtype
        return keras.KerasTensor((batch, width), dtype), keras.KerasTensor((batch, steps), dtype)
'''

EVALUATE = """
probabilities, attention = explainer.predict(x_test, verbose=0)
probabilities = probabilities.reshape(-1)
test_accuracy = float(np.mean((probabilities > 0.5) == (y_test > 0.5)))
print(f"parameters: {model.count_params()}")
print(f"test_accuracy: {test_accuracy:.4f}")
# Where did it look? The five most weighted words of the first test review.
print("The first test review's most weighted words:")
index_word = {} if LOCAL_COPY else {i + 3: w for w, i in keras.datasets.imdb.get_word_index().items()}
for t in np.argsort(-attention[0])[:5]:
    word = index_word.get(int(x_test[0, t]), f"word id {x_test[0, t]}")
    print(f"  {word}: {attention[0, t]:.3f}")
"""


def program(run: PoolingRun) -> Program:
    m = run.model
    rnn = f'layers.{m.cell}({m.units}, return_sequences=True, name="rnn_1")'
    if m.bidirectional:
        rnn = f'layers.Bidirectional({rnn}, name="rnn_1")'
    model = "\n".join(
        [
            "keras.utils.set_random_seed(SEED)  # the same initial weights as the playground's run",
            'tokens = keras.Input(shape=(MAX_LENGTH,), dtype="int32", name="tokens")',
            'x = layers.Embedding(NUM_WORDS, EMBEDDING_DIM, mask_zero=True, name="embedding")(tokens)',
            f"x = {rnn}(x)  # one output per word",
            f'pooled, weights = AttentionPooling({m.attention_units}, name="attention_pooling")(x, tokens)',
            'probability = layers.Dense(1, activation="sigmoid", name="output")(pooled)',
            'model = keras.Model(tokens, probability, name="attention_pooling_classifier")',
            "explainer = keras.Model(tokens, [probability, weights])  # the same layers, also giving the weights",
            "model.summary()",
        ]
    )
    callbacks, helper = callbacks_code(run.train, True, {"accuracy": "accuracy"})
    optimizer, clip_helper = optimizer_code(run.train, sparse_embedding=True)
    train = "\n".join(
        [
            optimizer,
            'model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])',
            callbacks,
            "# Equal batches (the last, smaller one is dropped), as the playground trains this model.",
            "drop = len(y_train) >= BATCH_SIZE",
            "batches = SeededBatches(x_train, y_train, BATCH_SIZE, SEED, EPOCHS, drop_remainder=drop)",
            *fit_on_seeded_batches(),
        ]
    )
    helpers = (sentiment.IMDB_LOADER, SEEDED_BATCHES, ATTENTION_POOLING, clip_helper, helper)
    return Program(
        name=f"attention_pooling_{m.cell.lower()}",
        summary=f"Attention pooling on IMDb reviews: a {m.cell} reads the review, a learned attention "
        "averages its outputs word by word, and the weights show which words the classifier relied on.",
        imports=(*sentiment.IMDB_IMPORTS, "import keras", "import numpy as np", "from keras import layers, ops"),
        settings=sentiment.imdb_settings(run),
        quick=sentiment.IMDB_QUICK,
        quick_words=sentiment.IMDB_QUICK_WORDS,
        local_words=sentiment.IMDB_LOCAL_WORDS,
        helpers="\n\n\n".join(h.strip() for h in helpers if h),
        sections=(
            Section("Data", sentiment.IMDB_DATA_NOTE, sentiment.IMDB_DATA),
            Section("Model", "Word ids -> embedding -> RNN outputs -> attention-weighted average -> P(positive).",
                    model),
            Section("Train", "Binary cross-entropy, the playground's optimiser, clipping and batches.", train),
            Section("Evaluate", "Test accuracy, and the words the attention weighted most.", EVALUATE),
        ),
        metric="test_accuracy",
        notes=(sentiment.NOT_SHOWN,),
    )
