"""Printing and charting of the NLU evaluation (used by `make eval`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from nlu.dataset import LANGUAGES, OTHER

ROWS = [
    ("intent_accuracy", "intent accuracy"),
    ("intent_macro_f1", "intent macro-F1"),
    ("language_id_accuracy", "language-ID accuracy"),
    ("reply_language_accuracy", "reply language"),
    ("dispute_type_accuracy", "dispute_type accuracy"),
]


def _fmt(value: Any) -> str:
    return "—" if value is None else f"{value:.3f}"


def print_table(report: Dict[str, Any]) -> None:
    """The side-by-side table of both pipelines, per language."""
    pipelines = report["pipelines"]
    names = list(pipelines)
    languages = LANGUAGES + (OTHER,)
    print(  # noqa: T201 - a CLI report
        f"\nNLU evaluation: {report['train_examples']} training examples, "
        f"{report['test_examples']} held out"
    )
    header = f"{'metric':24}" + "".join(
        f"{lang + ' ' + name:>16}" for lang in languages for name in names
    )
    print(header)  # noqa: T201
    for key, label in ROWS:
        cells = []
        for lang in languages:
            for name in names:
                metrics = pipelines[name]["per_language"].get(lang, {})
                cells.append(f"{_fmt(metrics.get(key)):>16}")
        print(f"{label:24}" + "".join(cells))  # noqa: T201
    for name in names:
        data = pipelines[name]
        epochs = data.get("epochs_override")
        note = f" (DIET trained {epochs} epochs, not its 100)" if epochs else ""
        print(  # noqa: T201
            f"{name}: training {data['training_seconds']} s, one-word language ID "
            f"{_fmt(data['one_word_language_id'])}{note}"
        )
        for lang in languages:
            worst = data["per_language"].get(lang, {}).get("confusions", [])[:3]
            if worst:
                text = ", ".join(
                    f"{c['gold']}→{c['predicted']} ×{c['count']}" for c in worst
                )
                print(f"  {lang} worst confusions: {text}")  # noqa: T201
    if "cross_validation" in report:
        cv = report["cross_validation"]
        values = ", ".join(f"{k} {v:.3f}" for k, v in cv["intent_accuracy"].items())
        print(f"cross-validation ({cv['folds']} folds), accord: {values}")  # noqa: T201


def write_chart(report: Dict[str, Any], path: Path) -> None:
    """A grouped bar chart of intent accuracy per language and pipeline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pipelines = report["pipelines"]
    languages = [lang for lang in LANGUAGES + (OTHER,)]
    width = 0.8 / max(1, len(pipelines))
    fig, ax = plt.subplots(figsize=(7, 4))
    for index, (name, data) in enumerate(pipelines.items()):
        values = [
            data["per_language"].get(lang, {}).get("intent_accuracy") or 0.0
            for lang in languages
        ]
        positions = [i + index * width for i in range(len(languages))]
        ax.bar(positions, values, width=width, label=name)
    ax.set_xticks([i + width * (len(pipelines) - 1) / 2 for i in range(len(languages))])
    ax.set_xticklabels(languages)
    ax.set_ylim(0, 1)
    ax.set_ylabel("held-out intent accuracy")
    ax.set_title("Accord NLU: project pipeline vs stock Rasa pipeline")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
