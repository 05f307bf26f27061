"""An on-disk cache of line results, keyed by line content and settings.

A second ``tunelint check`` over an unchanged file then only hashes its lines. The cache lives in
``.tunelint_cache/`` next to the project config (or the file), one file per settings fingerprint.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import xxhash

from tunelint import __version__
from tunelint.config import Settings

if TYPE_CHECKING:
    from tunelint.engine import Analyzer, LineResult

CACHE_DIR = ".tunelint_cache"


class ResultCache:
    def __init__(self, file: Path) -> None:
        self.file = file
        self.loaded: dict[int, LineResult] = {}
        self._dirty = False

    @classmethod
    def for_settings(cls, settings: Settings, root: str | None) -> ResultCache:
        base = Path(root) if root else Path.cwd()
        directory = base / CACHE_DIR
        name = f"{__version__}-{settings.fingerprint()}.pickle"
        return cls(directory / name)

    def attach(self, analyzer: Analyzer) -> None:
        try:
            with open(self.file, "rb") as f:
                self.loaded = pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            self.loaded = {}
        loaded = self.loaded
        original = analyzer._analyze
        self.used: dict[int, LineResult] = {}
        used = self.used

        def analyze_cached(text: str) -> LineResult:
            key = xxhash.xxh3_64_intdigest(text.encode("utf-8", "surrogateescape"))
            hit = loaded.get(key)
            if hit is None:
                hit = original(text)
                self._dirty = True
            used[key] = hit
            return hit

        analyzer._analyze = analyze_cached

    def save(self, analyzer: Analyzer) -> None:
        if not self._dirty and len(self.used) == len(self.loaded):
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            gitignore = self.file.parent / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("*\n")
            fd, tmp = tempfile.mkstemp(dir=self.file.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                pickle.dump(self.used, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.file)
        except OSError:
            pass  # a read-only checkout still gets its results, just not cached
