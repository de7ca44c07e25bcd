"""Sparse sentence features for how the step the user tried went, negation included.

"ça a marché" and "ça n'a pas marché", "他同意了" and "他不同意", "сработало" and "не
сработало" differ by one short word that bag-of-words features and the sentence
encoders weigh little: after the two sides, the outcomes `step_failed` ↔
`step_succeeded` were the model's most frequent confusions (README, "NLU pipeline").
This featurizer adds four numbers to each message: a success word said, a failure word
said, each of them negated ("n'a pas marché", "没成功", "не отказалась").

It is `RoleFeaturizer` with other tables (`nlu/<lang>/outcome_words.yml`):
`outcome_word=success`, `outcome_word=failure` and `outcome_phrase=<side>`, with the
`negation` and `clause_break` tables of `role_words.yml`; nothing here is added to
jieba's dictionary.
"""

from __future__ import annotations

from typing import Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe

from nlu.components.roles import RoleFeaturizer


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class OutcomeFeaturizer(RoleFeaturizer):
    """Whether the message says the step worked or failed, and which it denies."""

    TABLE = "outcome"
    SIDES: Tuple[str, ...] = ("success", "failure")
    SELF_FEATURES = False
    COUNTERPARTS = False
