"""The batched count featurizer gives exactly Rasa's features (nlu/components/counts.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.counts import BatchCountVectorsFeaturizer, split_rows
from nlu.components.tokenizer import ScriptAwareTokenizer

EXAMPLES = [
    ("Le photographe n'a pas livré les 120 photos !", "complain"),
    ("我的客户不满意照片，要求退款", "complain"),
    ("Клиент не платит за свадебную съёмку", "complain"),
    ("merci", "thank"),
    ("好的", "affirm"),
    ("да", "affirm"),
    ("…", "affirm"),  # punctuation only
]


def messages(with_intent: bool) -> List[Message]:
    tokenizer = ScriptAwareTokenizer(ScriptAwareTokenizer.get_default_config(), None, None)
    found = [Message(data={TEXT: text, **({INTENT: intent} if with_intent else {})})
             for text, intent in EXAMPLES]
    found.append(Message(data={TEXT: ""}))  # no tokens at all
    tokenizer.process_training_data(TrainingData(found))
    return found


def featurizer(cls: Any, storage: LocalModelStorage, options: Dict[str, Any]) -> Any:
    context = ExecutionContext(GraphSchema({}), "test", node_name="counts")
    return cls.create({**cls.get_default_config(), **options}, storage,
                      Resource("counts"), context)


def as_tuples(message: Message) -> List[tuple]:
    return [(f.type, f.attribute, f.origin, f.features.shape, f.features.dtype,
             f.features.row.tolist(), f.features.col.tolist(), f.features.data.tolist())
            for f in message.features]


@pytest.mark.parametrize("options", [{}, {"analyzer": "char", "min_ngram": 1,
                                          "max_ngram": 4}])
def test_same_features_as_rasa(tmp_path: Path, options):
    storage = LocalModelStorage(tmp_path)
    data = TrainingData(messages(with_intent=True))
    rasa = featurizer(CountVectorsFeaturizer, storage, options)
    rasa.train(data)
    ours = featurizer(BatchCountVectorsFeaturizer, storage, options)
    ours.vectorizers = rasa.vectorizers
    for with_intent in (True, False):  # training examples, then incoming messages
        expected, found = messages(with_intent), messages(with_intent)
        rasa.process(expected)
        ours.process(found)
        assert [as_tuples(m) for m in found] == [as_tuples(m) for m in expected]
        assert found[0].features and not found[-1].features


def test_split_rows_cuts_groups_of_rows():
    matrix = scipy.sparse.csr_matrix(np.array([[1, 0, 2], [0, 0, 0], [3, 4, 0]]))
    first, second = split_rows(matrix, [2, 1])
    assert first.toarray().tolist() == [[1, 0, 2], [0, 0, 0]]
    assert second.toarray().tolist() == [[3, 4, 0]]
    assert second.row.tolist() == [0, 0]
