"""Rasa's logistic regression intent classifier, faster per parse and to train.

Two costs of `LogisticRegressionClassifier` that grow with the number of features, and
nothing else changed:

- scikit-learn computes the scores as `X @ coef_.T`. `coef_` is row-major (intents ×
  features), so its transpose is column-major, and scipy's sparse-times-dense product
  first copies it into row-major order: 33 × 91 000 numbers, about 24 MB, for every
  message (8.1 ms of a 27.3 ms parse, each graph node timed; cProfile puts it in
  `ndarray.ravel`). Storing `coef_` column-major makes the transpose row-major, so the
  product reads it in place.
- Rasa builds each message's row with `Message.get_sparse_features` and
  `get_dense_features`, which deep-copy and `hstack` the *sequence* features of every
  featurizer as well as the sentence ones, then `hstack` and `vstack` again: about ten
  scipy calls per message (3.1 of a 22.3 ms parse; cProfile puts 90 % of the
  classifier in them). `_create_X` here reads the same sentence features in the same
  order straight into one CSR matrix.

`X` holds the same numbers in the same order, so the scores are the same numbers,
computed the same way (`tests/nlu/test_classifier.py`).
"""

from __future__ import annotations

from typing import List

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import (
    LogisticRegressionClassifier,
)
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message


def sentence_row(message: Message) -> tuple:
    """The columns and values of a message's text sentence features, as Rasa lays them
    out: every sparse block in the order the featurizers added them, then every dense
    one (zeros left out, as `csr_matrix` of a dense row does)."""
    found = [f.features for f in message.features
             if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
    sparse = [f for f in found if scipy.sparse.issparse(f)]
    dense = [f for f in found if not scipy.sparse.issparse(f)]
    columns, values, offset = [], [], 0
    for block in sparse:
        coo = block.tocoo()
        columns.append(coo.col + offset)
        values.append(coo.data)
        offset += block.shape[1]
    for block in dense:
        row = np.asarray(block).reshape(-1)
        (kept,) = np.nonzero(row)
        columns.append(kept + offset)
        values.append(row[kept])
        offset += row.shape[0]
    if not columns:
        return np.zeros(0, dtype=np.int64), np.zeros(0), 0
    return np.concatenate(columns), np.concatenate(values), offset


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class FastLogisticRegressionClassifier(LogisticRegressionClassifier):
    """`LogisticRegressionClassifier` that builds its rows directly and keeps its weights
    laid out for one-row products."""

    def _create_X(self, messages: List[Message]) -> scipy.sparse.csr_matrix:
        """One CSR row per message, with the numbers Rasa's `_create_X` puts there."""
        rows = [sentence_row(m) for m in messages]
        widths = {width for _, _, width in rows}
        if len(widths) > 1:
            raise ValueError(f"messages with different feature widths: {sorted(widths)}")
        indptr = np.cumsum([0] + [len(columns) for columns, _, _ in rows])
        return scipy.sparse.csr_matrix(
            (np.concatenate([v for _, v, _ in rows]) if rows else np.zeros(0),
             np.concatenate([c for c, _, _ in rows]) if rows else np.zeros(0, np.int64),
             indptr),
            shape=(len(rows), widths.pop() if widths else 0),
        )

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets the intent and its ranking on each message."""
        coef = getattr(self.clf, "coef_", None)
        if coef is not None and not coef.flags.f_contiguous:
            self.clf.coef_ = np.asfortranarray(coef)
        return super().process(messages)
