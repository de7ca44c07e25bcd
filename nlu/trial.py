"""Quick trials of the NLU pipeline's features, without training Rasa models.

`make eval` trains a Rasa model per measurement: about ten minutes for the held-out
split, more for cross-validation. To compare feature variants, this runs the
config's featurizers once over the training split (and the held-out split), keeps
each featurizer's sentence features as a block, and fits scikit-learn's logistic
regression with the settings of Rasa's `LogisticRegressionClassifier` on them (or,
when the config classifies with `LinearSVMIntentClassifier`, its linear SVM):
5-fold cross-validation *within the training split* (to choose between variants
without looking at the held-out split) and, once chosen, the held-out figure.

    python -m nlu.trial --config config.yml [--folds 5] [--held-out] [--scale NODE=X]
                        [--misses FILE]

Node names are `<position>_<class>` ("2_CountVectorsFeaturizer"); `--scale` multiplies
one block (0 leaves it out). The count vectorizers' vocabulary is fitted on the whole
training split, so the cross-validation figures are a little optimistic, the same way
for every variant. Figures match `make eval`'s within a few tenths of a point (its
fallback threshold is applied here too).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import scipy.sparse
import yaml

from nlu import dataset
from nlu.dataset import LANGUAGES, Example

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]
CLASSIFIERS = ("FastLogisticRegressionClassifier", "LogisticRegressionClassifier",
               "DIETClassifier", "LinearSVMIntentClassifier")
FALLBACK = "nlu_fallback"


def component_class(name: str) -> Any:
    """The class of a pipeline step: a dotted path, or a Rasa component's name."""
    if "." in name:
        module, _, attribute = name.rpartition(".")
        return getattr(importlib.import_module(module), attribute)
    from rasa.engine.graph import GraphComponent
    from rasa.shared.utils.common import all_subclasses

    return next(c for c in all_subclasses(GraphComponent) if c.__name__ == name)


def featurize(config: Path, train: List[Example], test: List[Example]) -> Dict[str, Any]:
    """Runs the config's steps up to the classifier: the sentence features of each
    featurizer, as blocks {node: matrix}, for the training and the held-out messages."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    import rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer  # noqa: F401

    steps = yaml.safe_load(config.read_text())["pipeline"]
    data = dataset.training_data(train)
    # Rasa drops duplicate messages from the training data; train on what it keeps
    kept = {id(m) for m in data.intent_examples}
    train = [e for e in train if id(e.message) in kept]
    test_messages = [e.message for e in test]
    nodes = []
    with tempfile.TemporaryDirectory() as tmp:
        storage = LocalModelStorage(Path(tmp))
        for position, step in enumerate(steps):
            options = dict(step)
            name = options.pop("name")
            if name.rpartition(".")[2] in CLASSIFIERS:
                break
            cls = component_class(name)
            node = f"{position}_{cls.__name__}"
            context = ExecutionContext(GraphSchema({}), "trial", node_name=node)
            component = cls.create({**cls.get_default_config(), **options}, storage,
                                   Resource(node), context)
            if hasattr(component, "train"):
                component.train(data)
            data = component.process_training_data(data)
            component.process(test_messages)
            nodes.append(node)
            logger.info("featurized %s", node)
    return {
        "nodes": nodes[1:],
        "train": blocks([e.message for e in train], nodes[1:]),
        "test": blocks(test_messages, nodes[1:]) if test_messages else {},
        "y_train": [e.intent for e in train], "y_test": [e.intent for e in test],
        "text_train": [e.text for e in train],
        "lang_train": [e.language for e in train], "lang_test": [e.language for e in test],
    }


def blocks(messages: Sequence[Any], nodes: List[str]) -> Dict[str, scipy.sparse.csr_matrix]:
    """Each node's sentence features of the messages, one row per message."""
    from rasa.shared.nlu.constants import TEXT

    result = {}
    for node in nodes:
        rows = []
        for message in messages:
            sparse = message.get_sparse_features(TEXT, [node])[1]
            dense = message.get_dense_features(TEXT, [node])[1]
            found = sparse if sparse is not None else dense
            rows.append(scipy.sparse.csr_matrix(found.features))
        result[node] = scipy.sparse.vstack(rows).tocsr()
    return result


def matrix(blocks_: Dict[str, Any], scales: Dict[str, float]) -> scipy.sparse.csr_matrix:
    """The blocks side by side, each multiplied by its scale (0 leaves it out)."""
    parts = [m * scales.get(n, 1.0) for n, m in blocks_.items() if scales.get(n, 1.0)]
    return scipy.sparse.hstack(parts).tocsr()


def step_option(config: Path, steps: Sequence[str], option: str, default: Any) -> Any:
    """An option of the first step of the config's pipeline of one of these classes
    (the default if not set there)."""
    for found in yaml.safe_load(config.read_text())["pipeline"]:
        if found.get("name", "").rpartition(".")[2] in steps:
            return found.get(option, default)
    return default


def classifier(max_iter: int = 100) -> Any:
    """The unfitted scikit-learn estimator of Rasa's LogisticRegressionClassifier, built by
    that class itself so that its settings are not repeated here."""
    from rasa.nlu.classifiers.logistic_regression_classifier import (
        LogisticRegressionClassifier,
    )

    return LogisticRegressionClassifier({"max_iter": max_iter}, "trial", None, None).clf


def svm_options(config: Path) -> Optional[Dict[str, Any]]:
    """The options of the config's `LinearSVMIntentClassifier` (its defaults included),
    None when the config classifies otherwise."""
    from nlu.components.svm import LinearSVMIntentClassifier

    for found in yaml.safe_load(config.read_text())["pipeline"]:
        if found.get("name", "").rpartition(".")[2] == LinearSVMIntentClassifier.__name__:
            options = {k: v for k, v in found.items() if k != "name"}
            return {**LinearSVMIntentClassifier.get_default_config(), **options}
    return None


def fit(features: Any, labels: Sequence[str], max_iter: int = 100,
        svm: Optional[Dict[str, Any]] = None) -> Any:
    """`classifier(max_iter)` fitted as `FastLogisticRegressionClassifier` fits it, the
    columns with a number in every row (the sentence encoders') kept dense
    (`nlu/components/multinomial.py`): the same weights, in two thirds of the time.
    With `svm` (`svm_options`), fitted as `LinearSVMIntentClassifier` fits it."""
    from nlu.components.multinomial import BlockMatrix, fit_lbfgs

    if svm is not None:
        from nlu.components.svm import fit_svm

        return fit_svm(classifier(), scipy.sparse.csr_matrix(features), labels, svm)
    X = scipy.sparse.csc_matrix(features)
    full = np.diff(X.indptr) == X.shape[0]
    order = np.concatenate([np.flatnonzero(~full), np.flatnonzero(full)])
    model = fit_lbfgs(classifier(max_iter),
                      BlockMatrix(X[:, ~full].tocsr(), X[:, full].toarray()), labels)
    # back to the columns' own order
    model.coef_ = model.coef_[:, np.argsort(order)]
    return model


def predict(model: Any, features: Any, threshold: float) -> List[str]:
    """The most probable intent, or nlu_fallback below the fallback threshold."""
    probabilities = model.predict_proba(features)
    best = probabilities.argmax(axis=1)
    # str(): scikit-learn gives numpy strings, which YAML cannot write
    return [str(model.classes_[i]) if probabilities[row, i] >= threshold else FALLBACK
            for row, i in enumerate(best)]


def accuracy(gold: Sequence[str], predicted: Sequence[str],
             languages: Sequence[str]) -> Dict[str, float]:
    """Intent accuracy per language (French, Chinese, Russian)."""
    result = {}
    for language in LANGUAGES:
        hits = [g == p for g, p, l in zip(gold, predicted, languages) if l == language]
        result[language] = round(float(np.mean(hits)), 4) if hits else float("nan")
    return result


def cross_predict(features: Any, labels: List[str], folds: int, threshold: float,
                  max_iter: int = 100, svm: Optional[Dict[str, Any]] = None) -> List[str]:
    """Stratified k-fold cross-validation: each example's prediction by the model fitted
    on the other folds."""
    from sklearn.model_selection import StratifiedKFold

    y = np.array(labels)
    predicted = np.empty(len(y), dtype=object)
    for rows, held in StratifiedKFold(folds, shuffle=True, random_state=0).split(
        features, y
    ):
        model = fit(features[rows], y[rows], max_iter, svm)
        predicted[held] = predict(model, features[held], threshold)
    return list(predicted)


def cross_validate(features: Any, labels: List[str], languages: List[str], folds: int,
                   threshold: float, max_iter: int = 100,
                   svm: Optional[Dict[str, Any]] = None) -> Dict[str, float]:
    """Stratified k-fold cross-validation, accuracy per language."""
    return accuracy(labels,
                    cross_predict(features, labels, folds, threshold, max_iter, svm),
                    languages)


def misses(texts: Sequence[str], gold: Sequence[str], predicted: Sequence[str],
           languages: Sequence[str]) -> List[Dict[str, str]]:
    """The examples predicted wrong, grouped by language, gold and predicted intent."""
    found = [{"language": l, "intent": g, "predicted": p, "text": t}
             for t, g, p, l in zip(texts, gold, predicted, languages) if g != p]
    return sorted(found, key=lambda m: (m["language"], m["intent"], m["predicted"],
                                        m["text"]))


def main(argv: Optional[List[str]] = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--held-out", action="store_true",
                        help="also fit on the training split and score the held-out one")
    parser.add_argument("--scale", action="append", default=[], metavar="NODE=X")
    parser.add_argument("--misses", type=Path, metavar="FILE",
                        help="write the training examples cross-validation got wrong "
                             "(YAML; training split only, never the held-out one)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    scales = {k: float(v) for k, _, v in (s.partition("=") for s in args.scale)}
    # the config's own fallback threshold and iterations, as `make eval` uses them
    threshold = float(step_option(args.config, ["FallbackClassifier"], "threshold", 0.3))
    max_iter = int(step_option(args.config, CLASSIFIERS[:2], "max_iter", 100))
    svm = svm_options(args.config)

    train, test = dataset.split(dataset.load_examples())
    found = featurize(args.config, train, test if args.held_out else [])
    print("blocks:", {n: m.shape[1] for n, m in found["train"].items()})  # noqa: T201
    features = matrix(found["train"], scales)
    predicted = cross_predict(features, found["y_train"], args.folds, threshold, max_iter,
                              svm)
    print(f"{args.folds}-fold cross-validation of the training split:",  # noqa: T201
          accuracy(found["y_train"], predicted, found["lang_train"]))
    if args.misses:
        wrong = misses(found["text_train"], found["y_train"], predicted,
                       found["lang_train"])
        args.misses.write_text(yaml.safe_dump(wrong, allow_unicode=True, sort_keys=False))
        print(f"{len(wrong)} misses written to {args.misses}")  # noqa: T201
    if args.held_out:
        model = fit(features, found["y_train"], max_iter, svm)
        print("held out:", accuracy(  # noqa: T201
            found["y_test"], predict(model, matrix(found["test"], scales), threshold),
            found["lang_test"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
