"""What a sentiment model learned about words: its embedding vectors, projected and compared.

Each word id owns one row of the Embedding matrix. Training moves the rows so that words
which push the prediction the same way end up close together; a 2-D PCA of the rows of
the most frequent words, coloured by how positive the model finds each word on its own,
makes that visible, and cosine similarity gives a word's nearest neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd

from core.cells.internals import NotInterpretable, walk_layers
from core.data.imdb import INDEX_FROM, OOV, START, Vocabulary

FIRST_WORD = INDEX_FROM + 1  # ids 0-3 are padding, start, unknown and unused


def embedding_matrix(model: keras.Model) -> np.ndarray | None:
    """The first Embedding layer's weights (vocabulary x dimensions), or None without one."""
    for layer in walk_layers(model):
        if isinstance(layer, keras.layers.Embedding):
            return np.asarray(keras.ops.convert_to_numpy(layer.embeddings), dtype=np.float64)
    return None


def frequent_word_ids(num_words: int, count: int, skip: int = 0) -> np.ndarray:
    """Ids of the `count` most frequent words after skipping the `skip` most frequent.

    Word ids follow frequency rank (rank r has id r + 3, see core.data.imdb), so this is a range.
    """
    first = INDEX_FROM + 1 + max(0, skip)
    last = min(num_words, first + max(0, count))
    return np.arange(first, last, dtype=np.int32)


@dataclass(frozen=True)
class Projection:
    coordinates: np.ndarray  # (n, 2)
    explained: tuple[float, float]  # share of the variance along each axis


def pca_2d(vectors: np.ndarray) -> Projection:
    """Project rows onto their two directions of largest variance (PCA via SVD)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.ndim != 2 or len(vectors) < 2:
        raise ValueError("PCA needs at least two vectors.")
    centred = vectors - vectors.mean(axis=0)
    _, singular, components = np.linalg.svd(centred, full_matrices=False)
    coordinates = centred @ components[:2].T
    if coordinates.shape[1] < 2:  # one-dimensional embeddings: a flat second axis
        coordinates = np.hstack([coordinates, np.zeros((len(coordinates), 1))])
    variance = singular**2
    total = variance.sum() or 1.0
    shares = [float(v / total) for v in variance[:2]] + [0.0, 0.0]
    return Projection(coordinates, (shares[0], shares[1]))


def cosine_neighbours(matrix: np.ndarray, word_id: int, candidates: np.ndarray, k: int = 10) -> list[tuple[int, float]]:
    """The k candidate ids whose embedding points most nearly the same way as `word_id`'s."""
    candidates = np.asarray([c for c in candidates if c != word_id], dtype=np.int64)
    if len(candidates) == 0:
        return []
    query = matrix[word_id]
    rows = matrix[candidates]
    norms = np.linalg.norm(rows, axis=1) * (np.linalg.norm(query) or 1.0)
    similarity = rows @ query / np.where(norms == 0, 1.0, norms)
    best = np.argsort(-similarity)[:k]
    return [(int(candidates[i]), float(similarity[i])) for i in best]


def single_word_positivity(model: keras.Model, word_ids: np.ndarray, length: int, batch_size: int = 256) -> np.ndarray:
    """P(positive) the model gives a 'review' made of one word (after the start token).

    A direct, model-agnostic reading of what a word means to a sentiment classifier: no
    other word can pull the prediction either way. The reviews are padded at the front,
    like the training data.
    """
    word_ids = np.asarray(word_ids, dtype=np.int32)
    x = np.zeros((len(word_ids), length), dtype=np.int32)
    if length >= 2:
        x[:, -2] = START
    x[:, -1] = word_ids
    return np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64).reshape(len(word_ids), -1)[
        :, 0
    ]


def empty_review_positivity(model: keras.Model, length: int) -> float:
    """P(positive) of a review with no words (only the start token): the model's neutral point.

    A word's *push* is how far it moves the prediction away from this, which stays meaningful
    when the model leans to one side for any short input.
    """
    x = np.zeros((1, length), dtype=np.int32)
    x[0, -1] = START
    return float(np.asarray(model.predict(x, verbose=0)).reshape(-1)[0])


def is_sentiment_like(model: keras.Model) -> bool:
    """A token model with one sigmoid-style output: positivity per word makes sense for it."""
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) != 1 or "int" not in str(inputs[0].dtype):
        return False
    shape = tuple(model.outputs[0].shape[1:]) if getattr(model, "outputs", None) else ()
    return shape == (1,)


def positivity_of(model: keras.Model, word_ids: np.ndarray, length: int) -> tuple[np.ndarray, float]:
    """P(positive) of each single-word review and of an empty one; 0.5 everywhere for a model
    that is not a sentiment classifier."""
    if not is_sentiment_like(model):
        return np.full(len(word_ids), 0.5), 0.5
    return single_word_positivity(model, word_ids, length), empty_review_positivity(model, length)


@dataclass(frozen=True)
class WordMap:
    """The words of a sentiment model in the 2-D PCA plane, and one word's nearest neighbours."""

    frame: pd.DataFrame  # id, word, x, y, positivity, push, rank, role ("chosen word", "neighbour", "other")
    explained: tuple[float, float]  # share of the spread each PCA axis keeps
    neutral: float  # P(positive) of an empty review
    neighbours: pd.DataFrame  # word, positivity, push, similarity; empty when the word is not known
    usable: int  # ids below this are words the model was trained on
    word_known: bool  # the chosen word is one of them


def word_map(
    model: keras.Model,
    matrix: np.ndarray,
    vocab: Vocabulary,
    num_words: int,
    max_length: int,
    count: int,
    skip: int,
    word: str,
    k: int,
) -> WordMap:
    """Plot the `count` most frequent words after `skip`, plus `word` and its `k` nearest neighbours.

    Raises NotInterpretable when the vocabulary is too small to plot.
    """
    usable = min(num_words, len(matrix), vocab.distinct_words + FIRST_WORD)
    ids = frequent_word_ids(usable, count, skip)
    if len(ids) < 2:
        raise NotInterpretable("The vocabulary of this model is too small for a plot; train with more words.")
    query = vocab.word_id(word) if word else OOV
    known = FIRST_WORD <= query < usable
    neighbours = []
    if known:
        neighbours = cosine_neighbours(matrix, query, np.arange(FIRST_WORD, usable), k)
    neighbour_ids = [n for n, _ in neighbours]
    shown = np.array(list(dict.fromkeys([*ids.tolist(), *([query] if neighbours else []), *neighbour_ids])))
    positivity, neutral = positivity_of(model, shown, max_length)
    projection = pca_2d(matrix[shown])
    frame = pd.DataFrame(
        {
            "id": shown,
            "word": [vocab.decode([i]) for i in shown],
            "x": projection.coordinates[:, 0],
            "y": projection.coordinates[:, 1],
            "positivity": positivity,
            "push": positivity - neutral,
            "rank": shown - INDEX_FROM,
            "role": ["chosen word" if i == query else "neighbour" if i in neighbour_ids else "other" for i in shown],
        }
    )
    table = frame.set_index("id").loc[neighbour_ids, ["word", "positivity", "push"]]
    table = table.assign(similarity=[similarity for _, similarity in neighbours])
    return WordMap(frame, projection.explained, neutral, table, usable, known)
