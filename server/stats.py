"""Dataset statistics as OpenAI's cookbook prints them, plus billable tokens."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import orjson

from tunelint import formats as fm
from tunelint import tokens as tk
from tunelint.jsonscan import orjson_input

if TYPE_CHECKING:
    from tunelint.engine import Document
    from tunelint.lean import LeanDocument

TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25


def auto_epochs(n_examples: int) -> int:
    """The cookbook's estimate of what ``n_epochs: auto`` picks."""
    if n_examples <= 0:
        return TARGET_EPOCHS
    if n_examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_examples)
    if n_examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_examples)
    return TARGET_EPOCHS


def count_tokens(counter: tk.TokenCounter, pairs: list[tuple[Any, str]],
                 num_threads: int = 2) -> None:
    """Set exact tokens on results from their line texts; strings encoded in threaded batches.

    Takes (result, text) pairs, not entries, so it can run off the editor's event loop while
    the document changes.
    """
    batch: list[str] = []
    parsed: list[tuple[Any, Any]] = []
    # tiktoken encodes a batch in threads; the compiled counter is quicker called string by
    # string than the walk that would gather the batch.
    gather = counter.compiled is None
    for result, text in pairs:
        if result.tokens is not None or result.format is None:
            continue
        try:
            obj = orjson.loads(orjson_input(text))
        except orjson.JSONDecodeError:
            continue
        parsed.append((result, obj))
        if not gather:
            continue
        if result.format == fm.COMPLETION:
            pair = (obj.get("prompt"), obj.get("completion"))
            batch.extend(v for v in pair if isinstance(v, str))
        else:
            for v in obj.values():
                batch.extend(tk._strings(v))
        if len(batch) > 50_000:
            counter.prefetch(batch, num_threads=num_threads)
            batch = []
    if batch:
        counter.prefetch(batch, num_threads=num_threads)
    for result, obj in parsed:
        if result.tokens is None and result.format is not None:
            try:
                result.tokens = fm.example_tokens(counter, obj, result.format)
            except tk.TokensDeferred:
                continue  # a counter that only counts some strings: left uncounted
    counter.end_batch()


class _Counts:
    """A multiset of token totals kept as value -> count: statistics cost its distinct values."""

    def __init__(self, counts: Counter[int]) -> None:
        self.values = sorted(v for v, c in counts.items() if c > 0)
        self.counts = [counts[v] for v in self.values]
        self.n = sum(self.counts)

    def kth(self, k: int) -> int:
        """The k-th smallest total (0-based)."""
        seen = 0
        for v, c in zip(self.values, self.counts):
            seen += c
            if k < seen:
                return v
        raise IndexError(k)

    def quantiles(self) -> dict[str, float]:
        n = self.n
        if not n:
            return {}
        total = sum(v * c for v, c in zip(self.values, self.counts))
        mid = n // 2
        median: float = self.kth(mid) if n % 2 else (self.kth(mid - 1) + self.kth(mid)) / 2
        out: dict[str, float] = {"min": self.values[0], "max": self.values[-1],
                                 "mean": round(total / n, 1), "median": median}
        if n >= 2:
            # statistics.quantiles(n=20, method="inclusive") for the 5th and 95th percentiles.
            for name, i in (("p5", 1), ("p95", 19)):
                j, delta = divmod(i * (n - 1), 20)
                out[name] = round((self.kth(j) * (20 - delta) + self.kth(j + 1) * delta) / 20, 1)
        return out

    def histogram(self, buckets: int = 10) -> list[tuple[int, int, int]]:
        if not self.n:
            return []
        lo, hi = self.values[0], self.values[-1]
        width = max(1, (hi - lo + buckets) // buckets)
        out = [0] * buckets
        for v, c in zip(self.values, self.counts):
            out[min(buckets - 1, (v - lo) // width)] += c
        return [(lo + i * width, lo + (i + 1) * width - 1, c) for i, c in enumerate(out)]


def token_stats(doc: Document | LeanDocument, num_threads: int = 2, count_missing: bool = True
                ) -> dict[str, Any]:
    """Exact token statistics of a document, from its incremental index of token totals.

    Only lines whose tokens are not known yet are tokenized; the rest costs the number of
    distinct totals, not the number of lines. With ``count_missing=False`` (a server whose
    tokens are counted elsewhere) examples not counted yet are left out.
    """
    counter = doc.analyzer.run.counter
    model = doc.analyzer.run.model
    limit = model.limit if model else None
    hist = doc.token_histogram(
        (lambda pairs: count_tokens(counter, pairs, num_threads)) if count_missing else None)
    counts = _Counts(hist)
    n = counts.n
    configured = doc.run.settings.n_epochs
    epochs = auto_epochs(n) if configured == "auto" else int(configured)
    cap = limit or (counts.values[-1] if counts.values else 0)
    billable_per_epoch = sum(min(cap, v) * c for v, c in zip(counts.values, counts.counts))
    return {
        "encoding": counter.encoding_name,
        "limit": limit,
        "examples": n,
        "total": sum(v * c for v, c in zip(counts.values, counts.counts)),
        "distribution": counts.quantiles(),
        "over_limit": sum(c for v, c in zip(counts.values, counts.counts) if limit and v > limit),
        "epochs": epochs,
        "epochs_source": "auto heuristic" if configured == "auto" else "configured",
        "billable_per_epoch": billable_per_epoch,
        "billable": billable_per_epoch * epochs,
        "histogram": counts.histogram(),
    }
