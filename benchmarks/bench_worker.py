"""What one worker of ``tunelint check`` costs, in-process: its share of a file's ranges, cold
(as a freshly forked worker) and warm (shapes and verdicts learnt), and the compiled passes per
byte. For finding where a check's time goes without the noise of the whole CLI.

    python benchmarks/bench_worker.py benchmarks/data/chat-100000-s1.jsonl
    python benchmarks/bench_worker.py FILE --workers 2 --profile worker.prof
"""

from __future__ import annotations

import argparse
import cProfile
import os
import time
from pathlib import Path

from tunelint import batch
from tunelint.config import Settings
from tunelint.engine import Analyzer
from tunelint.fastpath import _fastline
from tunelint.memory import keep_blocks_for_reuse


def worker_share(path: str, workers: int) -> list[tuple[int, int]]:
    """The ranges the first of ``workers`` workers gets, as check_path splits the file."""
    size = os.path.getsize(path)
    ranges = batch._split(path, size, max(workers, -(-size // batch._range_bytes(path))))
    return ranges[::workers]


def run_share(path: str, settings: Settings, ranges: list[tuple[int, int]]) -> float:
    start = time.perf_counter()
    for a, b in ranges:
        batch.analyze_range(path, settings, a, b, None, False, True, False, ("bench", 0))
    return time.perf_counter() - start


def per_byte(path: str, lines: int) -> None:
    """ns a byte of the compiled passes, best of 5, on the file's first lines."""
    if _fastline is None:
        print("built without the C extension: no compiled passes")
        return
    with open(path, "rb") as f:
        raw = [line for line in f.read().split(b"\n")[:lines] if line]
    plain = [found[0] for found in map(_fastline.plain_chat, raw) if found is not None]
    tools = [line for line in raw if _fastline.plain_chat(line) is None
             and _fastline.chat_line(line) is not None]
    for name, fn, items in (("normalize", _fastline.normalize, plain),
                            ("plain_chat", _fastline.plain_chat, raw),
                            ("chat_line", _fastline.chat_line, tools)):
        if not items:
            continue
        best = min(_timed(fn, items) for _ in range(5))
        size = sum(map(len, items))
        print(f"  {name:10s} {len(items):7,} items  {best * 1e9 / size:5.2f} ns a byte")


def _timed(fn: object, items: list[bytes]) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("path", type=Path)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--lines", type=int, default=20_000, help="lines for the per-byte figures")
    p.add_argument("--profile", type=Path, help="write a cProfile of the cold run here")
    args = p.parse_args()
    path = str(args.path)
    settings = Settings()
    keep_blocks_for_reuse(batch.WORKER_HEAP_BLOCK)  # as a worker's heap is set up
    Analyzer(settings, path)  # what the parent has built before it forks its workers
    share = worker_share(path, args.workers)
    print(f"{args.path.name}: {len(share)} ranges for the first of {args.workers} workers")
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    cold = run_share(path, settings, share)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(str(args.profile))
    warm = run_share(path, settings, share)
    analyzer = batch._job_analyzer[1] if batch._job_analyzer else None
    shapes = len(analyzer.tool_path.verdicts) if analyzer is not None else 0
    print(f"  cold {cold:.3f} s, warm {warm:.3f} s ({shapes:,} tool-line shapes learnt)")
    per_byte(path, args.lines)


if __name__ == "__main__":
    main()
