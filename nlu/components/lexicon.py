"""Dictionary entity extraction for `dispute_type` and `requested_language`.

Learnt in `rasa train` from the training data: the lookup tables named
`<entity>=<value>` (`nlu/<lang>/lookups.yml`) and every annotated span of those entities.
Matching runs on the folded text (lower case, no accents, ё → е): Latin and Cyrillic
forms match as word prefixes, so a stem covers its inflections ("размыт" finds
"размытые"); forms with Chinese characters match as substrings. The longest match
wins; matches never overlap.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text, Tuple

import regex
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.scripts import HAN, fold
from nlu.components.stored import read_json, write_json

logger = logging.getLogger(__name__)

LEXICON_FILE = "lexicon.json"
Entry = Tuple[str, str, str]  # (folded form, entity, value)


def folded_with_offsets(text: str) -> Tuple[str, List[int]]:
    """The folded text and, for each of its characters, the index in `text`."""
    pieces: List[str] = []
    offsets: List[int] = []
    for index, char in enumerate(text):
        folded = fold(char)
        pieces.append(folded)
        offsets.extend([index] * len(folded))
    return "".join(pieces), offsets


def compile_entries(entries: List[Entry]) -> List[Tuple[Any, str, str]]:
    """Regexes for the entries, longest form first."""
    compiled = []
    for form, entity, value in sorted(entries, key=lambda e: -len(e[0])):
        escaped = regex.escape(form)
        pattern = escaped if HAN.search(form) else rf"(?<![\p{{L}}\p{{N}}]){escaped}"
        compiled.append((regex.compile(pattern), entity, value))
    return compiled


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True
)
class LexiconEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Finds dispute types and requested languages from a learnt lexicon."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {
            "entities": ["dispute_type", "requested_language", "jurisdiction"],
            "min_length": 2,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        entries: Optional[List[Entry]] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._set_entries(entries or [])

    def _set_entries(self, entries: List[Entry]) -> None:
        self._entries = sorted(set(entries))
        self._patterns = compile_entries(self._entries)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LexiconEntityExtractor:
        """Creates an empty extractor."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LexiconEntityExtractor:
        """Loads the lexicon stored in training."""
        raw = read_json(model_storage, resource, LEXICON_FILE)
        if raw is None:
            logger.warning("LexiconEntityExtractor: no stored lexicon")
        entries = [tuple(item) for item in raw or []]  # type: ignore[misc]
        return cls(config, model_storage, resource, entries)

    def collect(self, training_data: TrainingData) -> List[Entry]:
        """Lexicon entries from lookup tables and annotated examples."""
        wanted = set(self._config["entities"])
        entries: List[Entry] = []

        def add(form: str, entity: str, value: str) -> None:
            folded = fold(form).strip()
            if len(folded) >= self._config["min_length"] or HAN.search(folded):
                entries.append((folded, entity, value))

        for table in training_data.lookup_tables:
            entity, _, value = str(table.get("name", "")).partition("=")
            elements = table.get("elements")
            if entity in wanted and value and isinstance(elements, list):
                for element in elements:
                    add(str(element), entity, value)
        for example in training_data.entity_examples:
            text = example.get(TEXT) or ""
            for entity in example.get(ENTITIES) or []:
                if entity.get("entity") in wanted:
                    span = text[entity["start"] : entity["end"]]
                    add(span, entity["entity"], str(entity.get("value", span)))
        return entries

    def train(self, training_data: TrainingData) -> Resource:
        """Builds and stores the lexicon."""
        self._set_entries(self.collect(training_data))
        write_json(self._model_storage, self._resource, LEXICON_FILE, self._entries)
        logger.debug("Lexicon of %s entries", len(self._entries))
        return self._resource

    def extract(self, text: str) -> List[Dict[str, Any]]:
        """The entities found in `text`, in reading order."""
        folded, offsets = folded_with_offsets(text)
        taken = [False] * len(folded)
        found = []
        for pattern, entity, value in self._patterns:
            for match in pattern.finditer(folded):
                start, end = match.span()
                if any(taken[start:end]):
                    continue
                taken[start:end] = [True] * (end - start)
                found.append(
                    {
                        "entity": entity,
                        "value": value,
                        "start": offsets[start],
                        "end": offsets[end - 1] + 1,
                        "confidence_entity": 1.0,
                    }
                )
        return sorted(found, key=lambda e: e["start"])

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds the lexicon entities to each message."""
        for message in messages:
            entities = self.add_extractor_name(self.extract(message.get(TEXT) or ""))
            message.set(
                ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True
            )
        return messages
