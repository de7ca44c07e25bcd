"""Language identification for every message: script first, a model for the rest.

Han → `zh`, Cyrillic → `ru` (unless it has letters Russian does not use), Latin → a
character n-gram logistic regression trained in `rasa train` on the project's own data:
the French examples against the examples marked `metadata: {language: other}`
(English, Spanish, German… in `nlu/other/`). The component adds a `language` entity
(fr, zh or ru) to every message, with a confidence. A message written in a language
Accord does not speak also gets an `unsupported_language` entity, and its intent becomes
`out_of_scope`, so the dialogue answers with the trilingual language choice.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Dict, List, Optional, Text, Tuple

import regex
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.scripts import count_scripts, fold
from nlu.components.stored import read_json, write_json

logger = logging.getLogger(__name__)

MODEL_FILE = "latin_model.json"
WORD = regex.compile(r"\p{L}+")
OUT_OF_SCOPE = "out_of_scope"
OTHER = "other"


def char_ngrams(text: str, max_n: int = 4) -> List[str]:
    """Character 1..max_n-grams of each folded word, padded with spaces."""
    grams: List[str] = []
    for word in WORD.findall(fold(text)):
        padded = f" {word} "
        for n in range(1, max_n + 1):
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


def ngram_set(text: str) -> List[str]:
    """The distinct character n-grams of a text (spaces alone are not one)."""
    return sorted({gram for gram in char_ngrams(text) if gram.strip()})


class LatinModel:
    """French or another Latin-script language: a logistic regression over which
    character n-grams a message has, stored as JSON (one weight per n-gram).

    Chosen over a naive Bayes on n-gram counts (README, "Languages"): trained on 3 259
    French sentences against about 160 foreign ones, the naive Bayes took French
    messages naming a foreign city ("j'habite à Shanghai", "on est à Chongqing") for
    another language. Presence rather than counts, so that a long message is not
    foreign for having many "a"s; classes weighted to balance.
    """

    def __init__(self, weights: Dict[str, float], bias: float):
        self.weights = weights
        self.bias = bias

    @classmethod
    def fit(cls, samples: List[Tuple[str, str]], c: float = 10.0) -> "LatinModel":
        """Fits on (text, "fr" or "other") pairs."""
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression

        labels = [label == OTHER for _, label in samples]
        if len(set(labels)) < 2:
            # one class only: every Latin message is that class
            return cls({}, 10.0 if any(labels) else -10.0)
        vectorizer = DictVectorizer()
        features = vectorizer.fit_transform(
            [dict.fromkeys(ngram_set(text), 1) for text, _ in samples]
        )
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
        model.fit(features, labels)
        weights = {
            gram: round(float(weight), 6)
            for gram, weight in zip(vectorizer.get_feature_names_out(), model.coef_[0])
            if weight != 0.0
        }
        return cls(weights, float(model.intercept_[0]))

    def probabilities(self, text: str) -> Dict[str, float]:
        """Probability of French and of another language."""
        score = self.bias + sum(self.weights.get(gram, 0.0) for gram in ngram_set(text))
        other = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, score))))
        return {"fr": 1.0 - other, OTHER: other}

    def to_json(self) -> Dict[str, Any]:
        return {"weights": self.weights, "bias": self.bias}


def example_language(example: Message) -> Optional[str]:
    """The language an example is marked with (`metadata: {language: …}`), if any."""
    metadata = example.get("metadata") or {}
    for level in ("example", "intent"):
        marked = metadata.get(level) if isinstance(metadata, dict) else None
        if isinstance(marked, dict) and marked.get("language"):
            return str(marked["language"])
    return None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True
)
class LanguageIdentifier(GraphComponent, EntityExtractorMixin):
    """Adds the `language` entity (fr, zh, ru) to every message."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {
            # a Latin-script message is unsupported when the model finds another
            # language likelier than French (its classes are balanced)…
            "unsupported_threshold": 0.5,
            # …and the message has at least this many words (one-word "ok", "merci",
            # "super" stay French: too short to tell)
            "min_words_for_unsupported": 3,
            # confidence given to a Latin message too short to judge
            "short_latin_confidence": 0.5,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[LatinModel] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageIdentifier:
        """Creates an untrained identifier."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LanguageIdentifier:
        """Loads the Latin-script model stored in training."""
        data = read_json(model_storage, resource, MODEL_FILE)
        if data is None:
            logger.warning("LanguageIdentifier: no stored model, scripts only")
        model = LatinModel(data["weights"], data["bias"]) if data is not None else None
        return cls(config, model_storage, resource, model)

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the French-versus-other model on Latin-script examples."""
        samples = []
        for example in training_data.intent_examples:
            text = example.get(TEXT) or ""
            if count_scripts(text).dominant != "latin":
                continue
            marked = example_language(example)
            samples.append((text, OTHER if marked == OTHER else "fr"))
        self._model = LatinModel.fit(samples)
        write_json(self._model_storage, self._resource, MODEL_FILE, self._model.to_json())
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to add to training examples."""
        return training_data

    def identify(self, text: str) -> Tuple[str, float, Optional[str]]:
        """Returns (language, confidence, unsupported script or language or None)."""
        counts = count_scripts(text)
        dominant = counts.dominant
        if dominant == "han":
            return "zh", 1.0, None
        if dominant == "cyrillic":
            if counts.non_russian_cyrillic:
                return "ru", 0.3, "cyrillic"
            return "ru", 1.0, None
        if dominant == "foreign":
            return "fr", 0.0, "foreign"
        if dominant == "none":
            return "fr", 0.0, None
        words = len(text.split())
        if self._model is None:
            return "fr", self._config["short_latin_confidence"], None
        p_fr = self._model.probabilities(text).get("fr", 1.0)
        if words < self._config["min_words_for_unsupported"]:
            return "fr", min(p_fr, self._config["short_latin_confidence"]), None
        if 1.0 - p_fr >= self._config["unsupported_threshold"]:
            return "fr", p_fr, "latin"
        return "fr", p_fr, None

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds the language entities, and routes unsupported languages."""
        for message in messages:
            text = message.get(TEXT) or ""
            language, confidence, unsupported = self.identify(text)
            entities = [
                {
                    "entity": "language",
                    "value": language,
                    "start": 0,
                    "end": len(text),
                    "confidence_entity": round(confidence, 4),
                }
            ]
            if unsupported:
                entities.append(
                    {
                        "entity": "unsupported_language",
                        "value": unsupported,
                        "start": 0,
                        "end": len(text),
                        "confidence_entity": 1.0,
                    }
                )
                self._route_out_of_scope(message)
            entities = self.add_extractor_name(entities)
            message.set(
                ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True
            )
        return messages

    @staticmethod
    def _route_out_of_scope(message: Message) -> None:
        """Makes `out_of_scope` the predicted intent (the ranking keeps the rest)."""
        intent = {INTENT_NAME_KEY: OUT_OF_SCOPE, PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = [
            r
            for r in message.get(INTENT_RANKING_KEY) or []
            if r.get(INTENT_NAME_KEY) != OUT_OF_SCOPE
        ]
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [intent] + ranking, add_to_output=True)
