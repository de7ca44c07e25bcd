"""Sentence vectors kept between trainings, next to Rasa's own training cache.

Rasa's cache keys a component's output on *all* of its input: change one NLU example and
both sentence encoders run again over every example (130 s of a 130 s training, README
"Benchmarks"). This cache keys each vector on the encoder, its package version and the
text, so a training encodes only the texts it has not seen. It lives in Rasa's cache
directory (`RASA_CACHE_DIRECTORY`, default `.rasa/cache`), so an empty Rasa cache is an
empty vector cache too. Used while training only; a cache that cannot be opened or
written is skipped with a warning, never an error.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np

logger = logging.getLogger(__name__)

FILE_NAME = "accord-sentence-vectors.sqlite"
Encode = Callable[[List[str]], np.ndarray]


def default_path() -> Path:
    """The cache file in Rasa's cache directory."""
    return Path(os.environ.get("RASA_CACHE_DIRECTORY", ".rasa/cache")) / FILE_NAME


class VectorCache:
    """Vectors by (namespace, text) in one SQLite file."""

    def __init__(self, path: Path, namespace: str) -> None:
        self.path = path
        self.namespace = namespace

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.namespace}\0{text}".encode("utf-8")).hexdigest()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=30)
        connection.execute(
            "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB)"
        )
        return connection

    def get_many(self, texts: List[str]) -> Dict[str, np.ndarray]:
        """The cached vectors of these texts (missing ones are left out)."""
        keys = {self._key(text): text for text in texts}
        found: Dict[str, np.ndarray] = {}
        with self._connect() as connection:
            names = list(keys)
            for start in range(0, len(names), 500):
                chunk = names[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = connection.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({marks})",  # nosec B608
                    chunk,
                )
                for key, blob in rows:
                    found[keys[key]] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, vectors: Dict[str, np.ndarray]) -> None:
        """Stores these vectors."""
        rows = [(self._key(text), np.asarray(vector, dtype=np.float32).tobytes())
                for text, vector in vectors.items()]
        with self._connect() as connection:
            connection.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)


def cached_encode(encode: Encode, texts: List[str], cache: Optional[VectorCache]) -> np.ndarray:
    """`encode(texts)`, taking the vectors already in `cache` and storing the new ones."""
    if cache is None or not texts:
        return np.asarray(encode(texts), dtype=np.float32)
    try:
        known = cache.get_many(texts)
    except sqlite3.Error as error:
        logger.warning("sentence vector cache not readable (%s): encoding everything", error)
        return np.asarray(encode(texts), dtype=np.float32)
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    if missing:
        fresh = np.asarray(encode(missing), dtype=np.float32)
        new = dict(zip(missing, fresh))
        known.update(new)
        try:
            cache.put_many(new)
        except sqlite3.Error as error:
            logger.warning("sentence vector cache not writable: %s", error)
    return np.stack([known[text] for text in texts])
