"""The evaluation's training files keep each example's language marking."""

from __future__ import annotations

from collections import Counter

from rasa.shared.nlu.training_data.loading import load_data

from nlu import dataset
from nlu.components.language_id import example_language


def test_only_the_foreign_examples_are_marked_other(tmp_path):
    examples = dataset.load_examples()
    sample = [e for e in examples if e.intent in ("out_of_scope", "greet")]
    dataset.write_training_files(sample, tmp_path)
    loaded = load_data(str(tmp_path))
    marked = Counter(
        (m.get("intent"), example_language(m) == "other") for m in loaded.intent_examples
    )
    foreign = sum(1 for e in sample if e.language == dataset.OTHER)
    assert foreign > 0
    assert marked[("out_of_scope", True)] == foreign
    assert marked[("out_of_scope", False)] == sum(
        1 for e in sample if e.intent == "out_of_scope" and e.language != dataset.OTHER
    )
    assert marked[("greet", True)] == 0
    # Rasa merges files without repeating a text ("ok" is French and Chinese data)
    assert {m.get("text") for m in loaded.intent_examples} == {e.text for e in sample}
    assert any(t["name"].startswith("dispute_type") for t in loaded.lookup_tables)
