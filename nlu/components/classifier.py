"""Rasa's logistic regression intent classifier, without a copy of its weights per parse.

scikit-learn computes the scores as `X @ coef_.T`. `coef_` is row-major (intents ×
features), so its transpose is column-major, and scipy's sparse-times-dense product
first copies it into row-major order: 33 × 91 000 numbers, about 24 MB, for every
message. That copy was most of `LogisticRegressionClassifier`'s time per parse
(8.1 ms of a 27.3 ms parse, each graph node timed; cProfile puts it in
`ndarray.ravel`) and grows with the number of
n-gram features. Storing `coef_` column-major makes the transpose row-major, so the
product reads it in place. The scores are the same numbers, computed the same way.
"""

from __future__ import annotations

from typing import List

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import (
    LogisticRegressionClassifier,
)
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class FastLogisticRegressionClassifier(LogisticRegressionClassifier):
    """`LogisticRegressionClassifier` whose weights are laid out for one-row products."""

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets the intent and its ranking on each message."""
        coef = getattr(self.clf, "coef_", None)
        if coef is not None and not coef.flags.f_contiguous:
            self.clf.coef_ = np.asfortranarray(coef)
        return super().process(messages)
