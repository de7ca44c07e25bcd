"""`make eval`: NLU evaluation of Accord's pipeline against Rasa's stock pipeline.

Both pipelines are trained on the same training split (80 % of every language × intent,
never the held-out 20 %) and scored on the held-out split, per language: intent accuracy
and macro-F1, language-ID accuracy, `dispute_type` accuracy, worst confusions. Accord's
pipeline is also cross-validated (`--folds`). Results: reports/nlu_eval.json and
reports/nlu_eval.png, and a table on stdout.

    python -m nlu.evaluate --out reports [--folds 3] [--skip-stock]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional

from nlu import dataset
from nlu.dataset import LANGUAGES, OTHER, Example

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {"accord": ROOT / "config.yml", "stock": ROOT / "nlu" / "configs" / "stock.yml"}
# one-word messages whose language must still be recognised (issue 2's target)
ONE_WORD = [
    ("ok", "fr"), ("merci", "fr"), ("oui", "fr"), ("non", "fr"), ("salut", "fr"),
    ("да", "ru"), ("нет", "ru"), ("спасибо", "ru"), ("ок", "ru"), ("привет", "ru"),
    ("好的", "zh"), ("谢谢", "zh"), ("不", "zh"), ("好", "zh"), ("謝謝", "zh"),
]


def train(config: Path, examples: List[Example], workdir: Path, name: str) -> str:
    """Trains an NLU model on `examples`; returns the model path."""
    from rasa.model_training import train_nlu

    started = time.monotonic()
    with tempfile.TemporaryDirectory() as data:
        dataset.write_training_files(examples, Path(data))
        model = train_nlu(str(config), data, str(workdir), fixed_model_name=name)
    logger.info("trained %s in %.1f s", name, time.monotonic() - started)
    if not model:
        raise RuntimeError(f"training {name} failed")
    return model


async def _parse_all(model: str, texts: List[str]) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    return [await agent.parse_message(text) for text in texts]


def parse_all(model: str, texts: List[str]) -> List[Dict[str, Any]]:
    """Parses the texts with the model, in one event loop."""
    return asyncio.run(_parse_all(model, texts))


def language_entity(parse: Dict[str, Any]) -> Dict[str, Any]:
    """The parse's first `language` entity ({} without one)."""
    found = [e for e in parse.get("entities") or [] if e.get("entity") == "language"]
    return found[0] if found else {}


def is_unsupported(parse: Dict[str, Any]) -> bool:
    """Whether the language identifier marked the message as an unsupported language."""
    return any(e.get("entity") == "unsupported_language" for e in parse.get("entities") or [])


def predicted_language(parse: Dict[str, Any]) -> Optional[str]:
    """`other` for an unsupported language, else the `language` entity, else None."""
    return OTHER if is_unsupported(parse) else language_entity(parse).get("value")


def reply_language(parse: Dict[str, Any], conversation: str) -> str:
    """The language Accord answers in, mid-conversation in `conversation`'s language:
    the `language` slot's own rule (`actions.slot_mappings.next_language`), so "hello"
    or "ok" keeps the conversation's language. An unsupported language gets the
    trilingual choice (`other`).
    """
    from actions.slot_mappings import next_language

    if is_unsupported(parse):
        return OTHER
    entity = language_entity(parse)
    confidence = float(entity.get("confidence_entity") or 0.0)
    return next_language(entity.get("value"), confidence, False, conversation, None)


def macro_f1(gold: List[str], pred: List[str]) -> float:
    """Macro-averaged F1 over the gold labels."""
    labels = sorted(set(gold))
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        denominator = precision + recall
        scores.append(2 * precision * recall / denominator if denominator else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def names_languages(parses: List[Dict[str, Any]]) -> bool:
    """Whether the model identifies languages at all (the stock pipeline does not)."""
    return any(language_entity(p) or is_unsupported(p) for p in parses)


def share(hits: List[bool], measured: bool = True) -> Optional[float]:
    """The fraction of hits, or None when the measure does not apply."""
    return sum(hits) / len(hits) if measured and hits else None


def score(test: List[Example], parses: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Metrics per language for one model. A model that names no language at all (the
    stock pipeline) gets no language-ID or reply-language figure, rather than the
    conversation's language scored as its answer."""
    identifies = names_languages(parses)
    result: Dict[str, Any] = {}
    for language in LANGUAGES + (OTHER,):
        pairs = [(e, p) for e, p in zip(test, parses) if e.language == language]
        if not pairs:
            continue
        gold = [e.intent for e, _ in pairs]
        pred = [(p.get("intent") or {}).get("name") or "" for _, p in pairs]
        with_type = [
            (e, p) for e, p in pairs if any(n == "dispute_type" for n, _ in e.entities)
        ]
        confusions = Counter((g, p) for g, p in zip(gold, pred) if g != p)
        result[language] = {
            "n": len(pairs),
            "intent_accuracy": sum(g == p for g, p in zip(gold, pred)) / len(pairs),
            "intent_macro_f1": macro_f1(gold, pred),
            "language_id_accuracy": share(
                [predicted_language(p) == language for _, p in pairs], identifies
            ),
            "reply_language_accuracy": share(
                [reply_language(p, language) == language for _, p in pairs], identifies
            ),
            "dispute_type_n": len(with_type),
            "dispute_type_accuracy": (
                sum(_types(e) == _predicted_types(p) for e, p in with_type)
                / len(with_type)
                if with_type
                else None
            ),
            "confusions": [
                {"gold": g, "predicted": p, "count": c}
                for (g, p), c in confusions.most_common(5)
            ],
        }
    return result


def _types(example: Example) -> set:
    return {v for n, v in example.entities if n == "dispute_type"}


def _predicted_types(parse: Dict[str, Any]) -> set:
    return {
        str(e.get("value"))
        for e in parse.get("entities") or []
        if e.get("entity") == "dispute_type"
    }


def with_epochs(config: Path, epochs: int, workdir: Path) -> Path:
    """A copy of `config` whose DIET and ResponseSelector train for `epochs`."""
    import yaml

    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    for component in data["pipeline"]:
        if "epochs" in component:
            component["epochs"] = epochs
    path = workdir / f"{config.stem}-{epochs}-epochs.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def evaluate(
    config_name: str,
    train_set,
    test_set,
    workdir: Path,
    epochs: Optional[int] = None,
) -> Dict[str, Any]:
    """Trains on `train_set`, scores on `test_set` (+ one-word language ID)."""
    config = CONFIGS[config_name]
    if epochs is not None:
        config = with_epochs(config, epochs, workdir)
    started = time.monotonic()
    model = train(config, train_set, workdir, config_name)
    training_seconds = time.monotonic() - started
    texts = [e.text for e in test_set] + [w for w, _ in ONE_WORD]
    parses = parse_all(model, texts)
    held_out, one_word = parses[: len(test_set)], parses[len(test_set) :]
    return {
        "epochs_override": epochs,
        "training_seconds": round(training_seconds, 1),
        "per_language": score(test_set, held_out),
        "one_word_language_id": share(
            [predicted_language(p) == lang for p, (_, lang) in zip(one_word, ONE_WORD)],
            names_languages(one_word),
        ),
    }


def cross_validate(k: int, examples: List[Example], workdir: Path) -> Dict[str, Any]:
    """k-fold cross-validation of Accord's pipeline: mean accuracy per language."""
    parts = dataset.folds(examples, k)
    totals: Dict[str, List[float]] = {}
    for index in range(k):
        train_set = [e for i, part in enumerate(parts) if i != index for e in part]
        model = train(CONFIGS["accord"], train_set, workdir, f"cv{index}")
        scores = score(parts[index], parse_all(model, [e.text for e in parts[index]]))
        for language, metrics in scores.items():
            totals.setdefault(language, []).append(metrics["intent_accuracy"])
    return {lang: round(sum(v) / len(v), 4) for lang, v in totals.items()}


def main(argv: Optional[List[str]] = None) -> int:
    """Command line entry point."""
    from nlu.report import print_table, write_chart

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="reports")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--skip-stock", action="store_true")
    parser.add_argument(
        "--stock-epochs",
        type=int,
        help="train the stock pipeline's DIET for this many epochs instead of its 100 "
        "(quicker; the report says so)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    examples = dataset.load_examples()
    train_set, test_set = dataset.split(examples)
    report: Dict[str, Any] = {
        "train_examples": len(train_set),
        "test_examples": len(test_set),
        "pipelines": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name in ["accord"] + ([] if args.skip_stock else ["stock"]):
            epochs = args.stock_epochs if name == "stock" else None
            report["pipelines"][name] = evaluate(
                name, train_set, test_set, Path(tmp), epochs
            )
            # written after each pipeline, so that a long run keeps what it measured
            (out / "nlu_eval.json").write_text(
                json.dumps(report, indent=2, ensure_ascii=False)
            )
        if args.folds > 1:
            report["cross_validation"] = {
                "folds": args.folds,
                "intent_accuracy": cross_validate(args.folds, examples, Path(tmp)),
            }
    (out / "nlu_eval.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    write_chart(report, out / "nlu_eval.png")
    print_table(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
