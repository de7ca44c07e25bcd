"""The NLU examples per language, and the deterministic held-out split."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

NLU_DIR = Path(__file__).resolve().parent
LANGUAGES = ("fr", "zh", "ru")
OTHER = "other"  # examples in languages Accord does not speak (nlu/other)


@dataclass
class Example:
    """One labelled message."""

    text: str
    intent: str
    language: str
    entities: List[Tuple[str, str]] = field(default_factory=list)  # (entity, value)
    message: Optional[Message] = None


def load_language(language: str, root: Path = NLU_DIR) -> TrainingData:
    """All training data of one language directory."""
    return load_data(str(root / language))


def load_examples(root: Path = NLU_DIR) -> List[Example]:
    """Every intent example, tagged with the language of its directory."""
    examples = []
    for language in LANGUAGES + (OTHER,):
        for message in load_language(language, root).intent_examples:
            entities = [
                (e["entity"], str(e.get("value")))
                for e in message.get("entities") or []
            ]
            examples.append(
                Example(
                    message.get("text"),
                    message.get("intent"),
                    language,
                    entities,
                    message,
                )
            )
    return examples


def _groups(examples: List[Example]) -> List[List[Example]]:
    """The examples per (language, intent), each group in a fixed pseudo-random order:
    by a hash of the text, so that adding an example leaves the others in order."""
    groups: Dict[Tuple[str, str], List[Example]] = defaultdict(list)
    for example in examples:
        groups[(example.language, example.intent)].append(example)
    return [
        sorted(groups[key], key=lambda e: hashlib.sha256(e.text.encode()).hexdigest())
        for key in sorted(groups)
    ]


def split(
    examples: List[Example], test_fraction: float = 0.2
) -> Tuple[List[Example], List[Example]]:
    """Stratified by (language, intent), the same on every run. An example added to
    the data goes to one side and moves at most one other example across, so that
    figures before and after a data change are measured on nearly the same messages."""
    train, test = [], []
    for items in _groups(examples):
        n_test = max(1, round(len(items) * test_fraction))
        test.extend(items[:n_test])
        train.extend(items[n_test:])
    return train, test


def folds(examples: List[Example], k: int) -> List[List[Example]]:
    """k stratified folds (for cross-validation)."""
    result: List[List[Example]] = [[] for _ in range(k)]
    for items in _groups(examples):
        for index, item in enumerate(items):
            result[index % k].append(item)
    return result


def write_training_files(
    examples: List[Example], directory: Path, root: Path = NLU_DIR
) -> None:
    """Writes these examples as Rasa YAML into `directory` (Rasa trains on it), one file
    per language, plus one file of every lookup table and synonym.

    One file per language because Rasa's writer keeps one block per intent and the
    block's metadata: in one file, `out_of_scope`'s `language: other` (nlu/other) would
    mark the French, Chinese and Russian out-of-scope examples as foreign too, and the
    language identifier would learn French as "other".
    """
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter

    directory.mkdir(parents=True, exist_ok=True)
    writer = RasaYAMLWriter()
    for language in LANGUAGES + (OTHER,):
        messages = [
            e.message for e in examples if e.language == language and e.message is not None
        ]
        if messages:
            data = TrainingData(training_examples=messages)
            writer.dump(directory / f"{language}.yml", data)
    writer.dump(directory / "lookups.yml", training_data([], root))


def training_data(examples: List[Example], root: Path = NLU_DIR) -> TrainingData:
    """Training data made of these examples plus every lookup table and synonym."""
    elements: Dict[str, List[str]] = defaultdict(list)
    synonyms: Dict[str, str] = {}
    for language in LANGUAGES + (OTHER,):
        data = load_language(language, root)
        for table in data.lookup_tables:
            elements[table["name"]].extend(table.get("elements") or [])
        synonyms.update(data.entity_synonyms)
    # one table per name: the YAML writer keeps only one table of each name
    lookups = [{"name": name, "elements": items} for name, items in elements.items()]
    return TrainingData(
        training_examples=[e.message for e in examples if e.message is not None],
        entity_synonyms=synonyms,
        lookup_tables=lookups,
    )
