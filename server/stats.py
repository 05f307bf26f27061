"""Dataset statistics as OpenAI's cookbook prints them, plus billable tokens."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any

import orjson

from tunelint import formats as fm
from tunelint import tokens as tk
from tunelint.jsonscan import orjson_input

if TYPE_CHECKING:
    from tunelint.engine import Document

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


def _quantiles(values: list[int]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    out: dict[str, float] = {
        "min": ordered[0],
        "max": ordered[-1],
        "mean": round(statistics.fmean(ordered), 1),
        "median": statistics.median(ordered),
    }
    if len(ordered) >= 2:
        q = statistics.quantiles(ordered, n=20, method="inclusive")
        out["p5"] = round(q[0], 1)
        out["p95"] = round(q[-1], 1)
    return out


def histogram(values: list[int], buckets: int = 10) -> list[tuple[int, int, int]]:
    """(low, high, count) buckets of equal width."""
    if not values:
        return []
    lo, hi = min(values), max(values)
    width = max(1, (hi - lo + buckets) // buckets)
    counts = [0] * buckets
    for v in values:
        counts[min(buckets - 1, (v - lo) // width)] += 1
    return [(lo + i * width, lo + (i + 1) * width - 1, c) for i, c in enumerate(counts)]


def token_stats(doc: Document, num_threads: int = 2) -> dict[str, Any]:
    """Exact tokens of every example; repeated strings encoded once, in threaded batches."""
    from tunelint.engine import OBJECT

    analyzer = doc.analyzer
    counter = analyzer.run.counter
    model = analyzer.run.model
    limit = model.limit if model else None
    todo = []
    for e in doc.entries:
        r = e.result
        if r.kind == OBJECT and r.format is not None and r.tokens is None:
            todo.append(e)
    # Prefetch all strings in batches so tiktoken's threads do the work.
    batch: list[str] = []
    parsed: dict[int, Any] = {}
    for e in todo:
        try:
            text = e.text if e.text is not None else doc.line_text(e.index)
            obj = orjson.loads(orjson_input(text))
        except orjson.JSONDecodeError:
            continue
        parsed[id(e)] = obj
        if e.result.format == fm.COMPLETION:
            pair = (obj.get("prompt"), obj.get("completion"))
            batch.extend(v for v in pair if isinstance(v, str))
        else:
            for v in obj.values():
                batch.extend(tk._strings(v))
        if len(batch) > 50_000:
            counter.prefetch(batch, num_threads=num_threads)
            batch = []
    counter.prefetch(batch, num_threads=num_threads)
    for e in todo:
        obj = parsed.get(id(e))
        if obj is not None and e.result.format is not None:
            e.result.tokens = fm.example_tokens(counter, obj, e.result.format)
    totals = [e.result.tokens for e in doc.entries
              if e.result.kind == OBJECT and e.result.tokens is not None]
    n = len(totals)
    configured = doc.run.settings.n_epochs
    epochs = auto_epochs(n) if configured == "auto" else int(configured)
    cap = limit or max(totals, default=0)
    billable_per_epoch = sum(min(cap, t) for t in totals)
    return {
        "encoding": counter.encoding_name,
        "limit": limit,
        "examples": n,
        "total": sum(totals),
        "distribution": _quantiles(totals),
        "over_limit": sum(1 for t in totals if limit and t > limit),
        "epochs": epochs,
        "epochs_source": "auto heuristic" if configured == "auto" else "configured",
        "billable_per_epoch": billable_per_epoch,
        "billable": billable_per_epoch * epochs,
        "histogram": histogram(totals),
    }
