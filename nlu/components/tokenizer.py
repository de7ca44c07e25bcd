"""A tokenizer for French, Chinese and Russian in one pipeline.

Rasa's built-in tokenizers each tie the whole config to one language: the
`WhitespaceTokenizer` drops Chinese words (its emoji range covers CJK) and the
`JiebaTokenizer` cuts Russian into letters. This one splits a message into runs of Han
characters and runs of everything else, segments Han runs with spaCy's Chinese class
(jieba segmenter) and the rest with spaCy's French or Russian class, by script.
Whitespace and punctuation are dropped. Each token's lemma is its folded form
(lower case, no accents, ё → е), which the count-vector featurizers use.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.roles import for_jieba
from nlu.components.scripts import CYRILLIC, HAN, HAN_RUN, LATIN, fold

logger = logging.getLogger(__name__)

WORDS_FILE = "jieba_words.txt"


class _SpacyTokenizers:
    """spaCy blank pipelines (tokenizer only), created on first use."""

    def __init__(self) -> None:
        self._pipelines: Dict[str, Any] = {}

    def get(self, language: str) -> Any:
        if language not in self._pipelines:
            import spacy

            if language == "zh":
                config = {"nlp": {"tokenizer": {"segmenter": "jieba"}}}
                self._pipelines[language] = spacy.blank("zh", config=config)
            else:
                self._pipelines[language] = spacy.blank(language)
        return self._pipelines[language]


class StableToken(Token):
    """Rasa's `Token`, which keeps its fingerprint until the token changes.

    In training, Rasa fingerprints the training data after every pipeline step (the
    step's output is a cache key), and every message's fingerprint includes its tokens'.
    Only the features change from step to step, yet the tokens were fingerprinted again
    each time: each fingerprint of the 15 000 examples took 1.7 s, 0.7 s with this class
    (the same value). Setting an attribute or calling `set` forgets the
    fingerprint; changing `data` in place would not, and nothing in the pipeline does.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name != "_fingerprint":
            self.__dict__["_fingerprint"] = None
        super().__setattr__(name, value)

    def set(self, prop: Text, info: Any) -> None:
        """Sets a property (and forgets the fingerprint)."""
        super().set(prop, info)
        self._fingerprint = None

    def fingerprint(self) -> Text:
        """Rasa's fingerprint of the token, computed once per change."""
        if self.__dict__.get("_fingerprint") is None:
            self._fingerprint = super().fingerprint()
        return self._fingerprint


def add_jieba_words(words: List[str]) -> None:
    """Teach jieba domain words so that entity spans match the segmentation."""
    import jieba

    for word in words:
        jieba.add_word(word, freq=20000)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True
)
class ScriptAwareTokenizer(Tokenizer):
    """Tokenizes fr/ru with spaCy's language classes and zh with jieba via spaCy."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            # a regex option, not a password
            "token_pattern": None,  # nosec B105
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        """Packages needed by the component."""
        return ["spacy", "jieba"]

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        words: Optional[List[str]] = None,
    ) -> None:
        super().__init__(config)
        self._model_storage = model_storage
        self._resource = resource
        self._words = list(words or [])
        self._spacy = _SpacyTokenizers()
        if self._words:
            add_jieba_words(self._words)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ScriptAwareTokenizer:
        """Creates a new, untrained tokenizer."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ScriptAwareTokenizer:
        """Loads the tokenizer with the Chinese domain words learnt in training."""
        words: List[str] = []
        try:
            with model_storage.read_from(resource) as directory:
                words = (directory / WORDS_FILE).read_text("utf-8").split("\n")
        except (ValueError, FileNotFoundError):
            logger.debug("No jieba word list stored for %s", resource.name)
        return cls(config, model_storage, resource, [w for w in words if w])

    @staticmethod
    def collect_chinese_words(training_data: TrainingData) -> List[str]:
        """Chinese entity spans and lookup elements (not the function words and side
        phrases of nlu/components/roles.py), to keep them whole words."""
        words = set()
        for example in training_data.training_examples:
            text = example.get(TEXT) or ""
            for entity in example.get(ENTITIES) or []:
                span = text[entity["start"] : entity["end"]]
                if HAN.search(span) and not span.isspace():
                    words.add(span.strip())
        for table in training_data.lookup_tables:
            elements = table.get("elements")
            if isinstance(elements, list) and for_jieba(str(table.get("name", ""))):
                words.update(e.strip() for e in elements if HAN.search(e))
        return sorted(words)

    def train(self, training_data: TrainingData) -> Resource:
        """Stores the Chinese domain words found in the training data."""
        self._words = self.collect_chinese_words(training_data)
        add_jieba_words(self._words)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / WORDS_FILE).write_text("\n".join(self._words), "utf-8")
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Tokenizes the training data, after learning its Chinese domain words."""
        add_jieba_words(self.collect_chinese_words(training_data))
        return super().process_training_data(training_data)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        """Tokenizes the text of the given attribute."""
        text = message.get(attribute) or ""
        tokens: List[Token] = []
        for run in HAN_RUN.finditer(text):
            chunk = run.group()
            if HAN.match(chunk):
                language = "zh"
            elif len(CYRILLIC.findall(chunk)) > len(LATIN.findall(chunk)):
                language = "ru"
            else:
                language = "fr"
            for tok in self._spacy.get(language)(chunk):
                if tok.is_space or tok.is_punct or not tok.text.strip():
                    continue
                start = run.start() + tok.idx
                tokens.append(StableToken(tok.text, start, lemma=fold(tok.text)))
        if not tokens and text.strip():
            stripped = text.strip()
            tokens = [StableToken(stripped, text.index(stripped), lemma=fold(stripped))]
        return self._apply_token_pattern(tokens)
