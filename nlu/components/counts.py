"""Rasa's `CountVectorsFeaturizer`, with one call of the vectorizer for all messages.

Rasa's `process` calls scikit-learn's `CountVectorizer.transform` twice per message and
attribute (its tokens, then the tokens joined into one sentence): about 75 000 calls for
the two count featurizers over the training data, 10 of their 16 s under cProfile, most
of it the set-up of each call and of each small matrix. `transform` counts every
document on its own against a fixed vocabulary, so one call for all the tokens and one
for all the sentences give the same rows; they are cut back into the same per-message
matrices (`tests/nlu/test_counts.py` compares every feature with Rasa's own).
"""

from __future__ import annotations

from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.training_data.message import Message

Matrices = List[Optional[scipy.sparse.coo_matrix]]


def split_rows(matrix: scipy.sparse.csr_matrix,
               sizes: Sequence[int]) -> Iterator[scipy.sparse.coo_matrix]:
    """Consecutive groups of `sizes` rows of a CSR matrix, each as its own COO matrix
    (what `tocoo()` of that group's own matrix gives)."""
    start = 0
    for size in sizes:
        low, high = matrix.indptr[start], matrix.indptr[start + size]
        rows = np.repeat(np.arange(size, dtype=matrix.indices.dtype),
                         np.diff(matrix.indptr[start : start + size + 1]))
        yield scipy.sparse.coo_matrix(
            (matrix.data[low:high].copy(), (rows, matrix.indices[low:high].copy())),
            shape=(size, matrix.shape[1]),
        )
        start += size


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class BatchCountVectorsFeaturizer(CountVectorsFeaturizer):
    """`CountVectorsFeaturizer` that featurizes a list of messages in two calls of the
    vectorizer per attribute instead of two per message."""

    def _features_of_all(self, attribute: str,
                         all_tokens: List[List[str]]) -> Tuple[Matrices, Matrices]:
        """Each message's sequence and sentence features, as `_create_features`
        gives them (None where a message has no tokens)."""
        sequences: Matrices = [None] * len(all_tokens)
        sentences: Matrices = [None] * len(all_tokens)
        vectorizer = self.vectorizers.get(attribute)
        todo = [i for i, tokens in enumerate(all_tokens) if tokens]
        if not vectorizer or not todo:
            return sequences, sentences
        counts = vectorizer.transform([t for i in todo for t in all_tokens[i]])
        counts.sort_indices()
        for i, matrix in zip(todo, split_rows(counts, [len(all_tokens[i]) for i in todo])):
            sequences[i] = matrix
        if attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            joined = vectorizer.transform([" ".join(all_tokens[i]) for i in todo])
            joined.sort_indices()
            for i, matrix in zip(todo, split_rows(joined, [1] * len(todo))):
                sentences[i] = matrix
        return sequences, sentences

    def process(self, messages: List[Message]) -> List[Message]:
        """Computes and sets the features of every message."""
        if self.vectorizers is None:
            return super().process(messages)  # Rasa's own "not trained" error
        for attribute in self._attributes:
            all_tokens = [self._get_processed_message_tokens_by_attribute(m, attribute)
                          for m in messages]
            sequences, sentences = self._features_of_all(attribute, all_tokens)
            for message, sequence, sentence in zip(messages, sequences, sentences):
                self.add_features_to_message(sequence, sentence, attribute, message)
        return messages
