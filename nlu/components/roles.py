"""Sparse sentence features for the side the user says they are on, negation included.

"Je ne suis pas client, je suis photographe" and "je ne suis pas photographe, je suis
client" have the same words, and the sentence encoders put them close together: held
out, most confusions of the model were `i_am_photographer` ↔ `i_am_client` (README,
"NLU pipeline"). This featurizer adds six numbers to each message: a photographer-side
word said, a client-side word said, each of them negated, and each of them named as the
user's own side ("je suis la photographe", "я заказчик", "我是消费者": a self cue just
before it), so that "я заказчик, а снимал фотограф" is not the photographer's message.
The classifier learns what they weigh from the training examples.

Learnt in `rasa train` from lookup tables in the training data (`nlu/<lang>/
role_words.yml`): `role_word=photographer` and `role_word=client` (the sides' words),
`role_phrase=<side>` (phrases that tell the side as well: "mon client", "у фотографа",
"给客户拍", "我请的摄影师"; matched as the words are, but kept out of jieba's
dictionary, so that they do not change how Chinese is cut), `negation` (cues),
`clause_break` (words that end a negation's reach, besides punctuation), `self_cue`
("je suis", "я", "我是") and `counterpart_cue` (prepositions and verbs after which a
side's word names the other party: "pour le client", "с фотографом", "нанял
фотографа"; none in Chinese, where they measured worse). Matching runs on the folded
text (bot-wide `fold`: lower case, no accents): Latin and Cyrillic forms as whole
words, Chinese ones as substrings; a match overlapping a longer one does not count
("mon photographe" is the client's phrase). A side's word (not a phrase, which says
its side already) counts for the other side when a counterpart cue comes before it in
the same clause with at most `counterpart_window` words between (a Chinese character
counts as one), the cue not inside a self cue or a match of the word's own side.
It is negated when a negation cue comes before it in the same clause with at most
`window` words between; it names the user's side when it is not negated and a self
cue comes before it in the same clause with at most `self_window` words between.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text, Tuple

import numpy as np
import regex
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.scripts import HAN, fold
from nlu.components.stored import read_json, write_json

logger = logging.getLogger(__name__)

LEXICON_FILE = "role_words.json"
# tables of function words: not domain words, so not added to jieba (tokenizer.py)
FUNCTION_WORD_TABLES = ("negation", "clause_break", "self_cue", "counterpart_cue")
# tables kept out of jieba's dictionary besides those (this module's and outcomes.py's)
LEXICON_ONLY_TABLES = (*FUNCTION_WORD_TABLES, "role_phrase", "outcome_word",
                       "outcome_phrase")
PUNCTUATION = regex.compile(r"[,.;:!?…()\[\]«»\"，。；：！？、（）]")
GAP_WORDS = regex.compile(r"\p{Han}|[\p{L}\p{N}]+")
Span = Tuple[int, int]


def for_jieba(table_name: str) -> bool:
    """Whether a lookup table's Chinese elements go into jieba's dictionary: not the
    function words ("不是", "我是") nor the side's phrases ("给客户拍"), which would
    change how every sentence is cut."""
    return table_name.partition("=")[0] not in LEXICON_ONLY_TABLES


def overlap(one: Span, other: Span) -> bool:
    """Whether two spans share a character."""
    return one[0] < other[1] and other[0] < one[1]


def normalise(text: str) -> str:
    """The folded text, typographic apostrophes made plain."""
    return fold(text).replace("’", "'").replace("ʼ", "'")


def pattern_of(forms: List[str]) -> Optional[Any]:
    """One regex for these forms: Chinese ones anywhere, others as whole words; longest
    first, so that "摄影工作室" wins over "工作室".

    The forms with a Chinese character come first, then the others inside one word
    boundary check. That is the order "longest first" gives: where a Chinese form and
    another both match at one place, the other is a prefix of the Chinese one (without
    its Chinese character), so it is the shorter. One boundary check around the group
    instead of one per form makes the whole training data's side and outcome features
    five times faster (6.2 s -> 1.5 s), with the same matches."""
    ordered = sorted({normalise(f).strip() for f in forms if f.strip()}, key=len,
                     reverse=True)
    chinese = [regex.escape(f) for f in ordered if HAN.search(f)]
    words = [regex.escape(f) for f in ordered if not HAN.search(f)]
    parts = ["|".join(chinese)] if chinese else []
    if words:
        parts.append(rf"(?<![\p{{L}}\p{{N}}'])(?:{'|'.join(words)})(?![\p{{L}}\p{{N}}])")
    return regex.compile("|".join(parts)) if parts else None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class RoleFeaturizer(SparseFeaturizer, GraphComponent):
    """Which side the message says the user is on, and which side it denies."""

    # lookup tables `<TABLE>_word=<side>` and `<TABLE>_phrase=<side>`
    TABLE = "role"
    SIDES: Tuple[str, ...] = ("photographer", "client")
    # the two features of the side named as the user's own
    SELF_FEATURES = True
    # whether a counterpart cue gives a side's word to the other side
    COUNTERPARTS = True

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {
            **SparseFeaturizer.get_default_config(),
            # weight of the four features against the n-gram counts and embeddings
            "scale": 3.0,
            # words allowed between a negation cue and the side's word it negates
            "window": 3,
            # words allowed between a self cue ("je suis", "я", "我是") and the side's
            # word that says who the user is ("je suis la photographe")
            "self_window": 1,
            # words allowed between a counterpart cue and the side's word it gives to
            # the other side ("pour un client", "с фотографом")
            "counterpart_window": 1,
        }

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """A positive scale and a window of zero or more words."""
        if float(config.get("scale", 3.0)) <= 0 or int(config.get("window", 3)) < 0:
            raise ValueError("RoleFeaturizer needs scale > 0 and window >= 0")

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        name: Text,
        lexicon: Optional[Dict[str, List[str]]] = None,
    ) -> None:
        config = {**self.get_default_config(), **config}
        super().__init__(name, config)
        self._model_storage = model_storage
        self._resource = resource
        self._set_lexicon(lexicon or {})

    def _set_lexicon(self, lexicon: Dict[str, List[str]]) -> None:
        self._lexicon = {key: sorted(set(forms)) for key, forms in lexicon.items()}
        self._patterns = {key: pattern_of(forms) for key, forms in self._lexicon.items()}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RoleFeaturizer:
        """Creates a featurizer with an empty lexicon."""
        return cls(config, model_storage, resource, execution_context.node_name)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> RoleFeaturizer:
        """Loads the lexicon stored in training."""
        lexicon = read_json(model_storage, resource, LEXICON_FILE)
        if lexicon is None:
            logger.warning("%s: no stored lexicon", cls.__name__)
        return cls(config, model_storage, resource, execution_context.node_name, lexicon)

    @classmethod
    def collect(cls, training_data: TrainingData) -> Dict[str, List[str]]:
        """The lexicon from the lookup tables `role_word=<side>`, `role_phrase=<side>`
        and the function words (FUNCTION_WORD_TABLES)."""
        side_tables = (f"{cls.TABLE}_word", f"{cls.TABLE}_phrase")
        lexicon: Dict[str, List[str]] = {}
        for table in training_data.lookup_tables:
            name = str(table.get("name", ""))
            kind, _, side = name.partition("=")
            elements = table.get("elements")
            if kind not in (*side_tables, *FUNCTION_WORD_TABLES) or not isinstance(
                elements, list
            ):
                continue
            if kind in side_tables and side not in cls.SIDES:
                continue
            key = name if kind in side_tables else kind
            lexicon.setdefault(key, []).extend(str(e) for e in elements)
        return lexicon

    def train(self, training_data: TrainingData) -> Resource:
        """Learns and stores the lexicon."""
        self._set_lexicon(self.collect(training_data))
        write_json(self._model_storage, self._resource, LEXICON_FILE, self._lexicon)
        logger.debug("%s lexicon: %s", self.TABLE,
                     {k: len(v) for k, v in self._lexicon.items()})
        return self._resource

    def _spans(self, key: str, text: str) -> List[Span]:
        pattern = self._patterns.get(key)
        return [m.span() for m in pattern.finditer(text)] if pattern else []

    def _cued(self, cues: List[Span], breaks: List[int], start: int, window: int,
              folded: str) -> bool:
        """Whether one of the cues comes before `start` in the same clause, with at
        most `window` words between."""
        return any(
            cue_end <= start
            and not any(cue_end <= b < start for b in breaks)
            and len(GAP_WORDS.findall(folded[cue_end:start])) <= window
            for _, cue_end in cues
        )

    def sides(self, text: str) -> np.ndarray:
        """[photographer said, client said, photographer negated, client negated,
        photographer named as the user's side, client named as the user's side]; the
        last two only with SELF_FEATURES, the sides are SIDES."""
        folded = normalise(text)
        breaks = sorted(
            [m.start() for m in PUNCTUATION.finditer(folded)]
            + [start for start, _ in self._spans("clause_break", folded)]
        )
        negations = self._spans("negation", folded)
        selves = self._spans("self_cue", folded)
        values = np.zeros(6 if self.SELF_FEATURES else 4, dtype=np.float32)
        # a cue inside a self cue is not one ("с" in "мы с женой")
        counterparts = [cue for cue in self._spans("counterpart_cue", folded)
                        if not any(overlap(cue, own) for own in selves)]
        words = self._side_words(folded)
        for index, start, _, phrase in words:
            if self.COUNTERPARTS and not phrase:
                # nor one inside a match of the word's own side: "跟" of "婚礼跟拍"
                # does not give "摄影师" to the client, "engagé" of "j'ai engagé" does
                own = [(s, e) for side, s, e, _ in words if side == index]
                cues = [c for c in counterparts if not any(overlap(c, o) for o in own)]
                if self._cued(cues, breaks, start, self._config["counterpart_window"],
                              folded):
                    index = 1 - index
            negated = self._cued(negations, breaks, start, self._config["window"],
                                 folded)
            values[index + (2 if negated else 0)] = 1.0
            if self.SELF_FEATURES and not negated and self._cued(
                selves, breaks, start, self._config["self_window"], folded
            ):
                values[index + 4] = 1.0
        return values

    def _side_words(self, folded: str) -> List[Tuple[int, int, int, bool]]:
        """(side's index, start, end, whether a phrase) of each side's word or phrase,
        except those overlapping a longer match: "mon photographe" is the client's
        phrase, and its "photographe" is not the photographer's word."""
        found = [(index, span, kind == "phrase")
                 for index, side in enumerate(self.SIDES) for kind in ("word", "phrase")
                 for span in self._spans(f"{self.TABLE}_{kind}={side}", folded)]
        return [
            (index, start, end, phrase) for index, (start, end), phrase in found
            if not any(overlap((start, end), (o_start, o_end))
                       and o_end - o_start > end - start
                       for _, (o_start, o_end), _ in found)
        ]

    def _featurize(self, messages: List[Message]) -> None:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            vector = self.sides(text) * float(self._config["scale"])
            message.add_features(
                Features(
                    scipy.sparse.coo_matrix(vector.reshape(1, -1)),
                    FEATURE_TYPE_SENTENCE,
                    TEXT,
                    self._identifier,
                )
            )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes every training example."""
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Featurizes incoming messages."""
        self._featurize(messages)
        return messages
