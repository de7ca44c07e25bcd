"""Rasa's logistic regression intent classifier, faster per parse and to train.

Three costs of `LogisticRegressionClassifier` that grow with the number of features, and
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
- Training fits scikit-learn's model on the same numbers with the dense encoder
  features kept dense, so that their products go through BLAS (`multinomial.py`):
  48 s instead of 75 s for 12 000 examples.
- Rasa stores the fitted model through skops, whose first import in a process that has
  loaded Rasa takes 4.5 s (it looks up 750 types in each of the loaded modules): in
  every training and at every server start. The weights are plain arrays, stored here
  with `numpy.savez` and read back without pickle; a model stored by Rasa's own class
  (a `.skops` file) still loads.

`X` holds the same numbers in the same order, so the scores are the same numbers,
computed the same way; the fitted weights agree to rounding
(`tests/nlu/test_classifier.py`, `tests/nlu/test_multinomial.py`).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import (
    LogisticRegressionClassifier,
)
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.multinomial import BlockMatrix, fit_lbfgs

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "weights.npz"


def sentence_parts(message: Message) -> tuple:
    """A message's text sentence features as Rasa orders them: the columns and values of
    every sparse block in the order the featurizers added them, the sparse blocks'
    width, and the numbers of every dense block (one array each)."""
    found = [f.features for f in message.features
             if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
    columns, values, offset = [], [], 0
    for block in (f for f in found if scipy.sparse.issparse(f)):
        coo = block.tocoo()
        columns.append(coo.col + offset)
        values.append(coo.data)
        offset += block.shape[1]
    dense = [np.asarray(f).reshape(-1) for f in found if not scipy.sparse.issparse(f)]
    return columns, values, offset, dense


def sentence_row(message: Message) -> tuple:
    """The columns and values of a message's text sentence features, as Rasa lays them
    out: every sparse block, then every dense one (zeros left out, as `csr_matrix` of
    a dense row does)."""
    columns, values, offset, dense = sentence_parts(message)
    for row in dense:
        (kept,) = np.nonzero(row)
        columns.append(kept + offset)
        values.append(row[kept])
        offset += row.shape[0]
    if not columns:
        return np.zeros(0, dtype=np.int64), np.zeros(0), 0
    return np.concatenate(columns), np.concatenate(values), offset


def csr_rows(rows: List[tuple], width: int) -> scipy.sparse.csr_matrix:
    """One CSR matrix of rows given as (columns, values)."""
    indptr = np.cumsum([0] + [len(columns) for columns, _ in rows])
    return scipy.sparse.csr_matrix(
        (np.concatenate([v for _, v in rows]) if rows else np.zeros(0),
         np.concatenate([c for c, _ in rows]) if rows else np.zeros(0, np.int64),
         indptr),
        shape=(len(rows), width),
    )


def one_width(widths: set) -> Any:
    """The width all rows share (0 for no rows)."""
    if len(widths) > 1:
        raise ValueError(f"messages with different feature widths: {sorted(widths)}")
    return widths.pop() if widths else 0


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class FastLogisticRegressionClassifier(LogisticRegressionClassifier):
    """`LogisticRegressionClassifier` that builds its rows directly, fits with the dense
    features kept dense and keeps its weights laid out for one-row products."""

    def _create_X(self, messages: List[Message]) -> scipy.sparse.csr_matrix:
        """One CSR row per message, with the numbers Rasa's `_create_X` puts there."""
        rows = [sentence_row(m) for m in messages]
        width = one_width({width for _, _, width in rows})
        return csr_rows([(columns, values) for columns, values, _ in rows], width)

    def _training_matrix(self, messages: List[Message]) -> BlockMatrix:
        """The same numbers as `_create_X`, the dense blocks kept dense."""
        parts = [sentence_parts(m) for m in messages]
        dense = [np.concatenate(d) if d else np.zeros(0) for _, _, _, d in parts]
        width, _ = one_width({(w, len(row)) for (_, _, w, _), row in zip(parts, dense)})
        sparse = csr_rows(
            [(np.concatenate(c) if c else np.zeros(0, np.int64),
              np.concatenate(v) if v else np.zeros(0)) for c, v, _, _ in parts],
            width)
        return BlockMatrix(sparse, np.vstack(dense))

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the classifier as Rasa's does (`multinomial.py`), then stores it."""
        examples = [e for e in training_data.intent_examples
                    if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return super().train(training_data)  # Rasa's own "no data" path
        self._fit(self._training_matrix(examples), [e.get(INTENT) for e in examples])
        self.persist()
        return self._resource

    def _fit(self, features: BlockMatrix, labels: List[str]) -> None:
        """Fits `self.clf` on the training rows (`multinomial.py`)."""
        fit_lbfgs(self.clf, features, labels)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The storage format, so that Rasa's cache holds no classifier stored the old
        way under the same key."""
        return WEIGHTS_FILE

    def persist(self) -> None:
        """Stores the fitted weights and intents as arrays."""
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / WEIGHTS_FILE, coef=self.clf.coef_,
                     intercept=self.clf.intercept_, classes=self.clf.classes_,
                     n_iter=self.clf.n_iter_)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> FastLogisticRegressionClassifier:
        """The stored classifier; an untrained one if nothing was stored."""
        arrays = None
        try:
            with model_storage.read_from(resource) as directory:
                if (directory / WEIGHTS_FILE).exists():
                    with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as stored:
                        arrays = {name: stored[name] for name in stored.files}
        except ValueError:  # no such resource, as in Rasa's own `load`
            logger.debug("%s: no stored classifier in %s", cls.__name__, resource.name)
            return cls.create(config, model_storage, resource, execution_context)
        if arrays is None:  # stored by Rasa's own class (skops)
            return super().load(config, model_storage, resource, execution_context,
                                **kwargs)
        component = cls(config, execution_context.node_name, model_storage, resource)
        component.clf.coef_ = np.asfortranarray(arrays["coef"])
        component.clf.intercept_ = arrays["intercept"]
        component.clf.classes_ = arrays["classes"]
        component.clf.n_iter_ = arrays["n_iter"]
        component.clf.n_features_in_ = arrays["coef"].shape[1]
        return component

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets the intent and its ranking on each message."""
        coef = getattr(self.clf, "coef_", None)
        if coef is not None and not coef.flags.f_contiguous:
            self.clf.coef_ = np.asfortranarray(coef)
        return super().process(messages)
