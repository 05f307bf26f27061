"""The incremental engine API: cost of one edit plus ``diagnostics()``, as the language server pays
it on every keystroke (issue 2: "under 5 ms at 100k lines and the same at 10k").

    python benchmarks/bench_engine.py                    # 10k and 100k lines, 200 edits each
    python benchmarks/bench_engine.py --sizes 10000 --edits 50

For each size it builds ``Document(Analyzer(Settings()), text)`` of a generated clean chat dataset
(``benchmarks/data/chat-<N>-s<seed>.jsonl``, made by generate.py if missing), then times, with
``time.perf_counter`` in-process, the median of ``--edits`` edits of each kind:

- ``replace``: ``replace_lines(i, i+1, new)`` of one line with new (never seen) valid text;
- ``apply_change``: an editor keystroke: ``apply_change((i, c), (i, c), "x…")`` inside a string;
- ``insert``/``delete``: ``apply_change`` inserting a new line (line count changes), then the
  edit removing it again;
- ``dup-make``/``dup-remove``: a line replaced by a copy of another (a duplicate appears), then
  restored (it disappears);
- ``diagnostics``: ``diagnostics()`` alone on an unchanged document (the floor of every edit).

Each edit is timed alone and with the ``diagnostics()`` call that follows it; the table gives both,
and the 100k/10k ratio of the totals.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
TARGET_MS = 5.0


def dataset(lines: int, seed: int) -> Path:
    path = DATA / f"chat-{lines}-s{seed}.jsonl"
    if not path.exists():
        print(f"  generating {path.name} ...", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--lines", str(lines),
                        "--seed", str(seed), "--out", str(path)], check=True)
    return path


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timer:
    def __init__(self) -> None:
        self.edit: list[float] = []
        self.total: list[float] = []
        self.n_diags: list[int] = []

    def run(self, edit: Callable[[], None], doc: Any) -> None:
        t0 = time.perf_counter()
        edit()
        t1 = time.perf_counter()
        diags = doc.diagnostics()
        t2 = time.perf_counter()
        self.edit.append((t1 - t0) * 1000)
        self.total.append((t2 - t0) * 1000)
        self.n_diags.append(len(diags))

    def summary(self) -> dict[str, float]:
        return {
            "edit_ms": statistics.median(self.edit),
            "total_ms": statistics.median(self.total),
            "p90_total_ms": statistics.quantiles(self.total, n=10)[-1]
            if len(self.total) >= 2 else self.total[0],
            "diagnostics": statistics.median(self.n_diags),
        }


def _content_col(text: str) -> int | None:
    k = text.find('"content":"')
    return None if k < 0 else k + len('"content":"') + 3


def bench(path: Path, edits: int, seed: int) -> dict[str, Any]:
    from tunelint.config import Settings
    from tunelint.engine import Analyzer, Document

    text = path.read_bytes().decode("utf-8", "surrogateescape")
    rss0 = rss_mb()
    t0 = time.perf_counter()
    doc = Document(Analyzer(Settings()), text, path=str(path))
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    first = doc.diagnostics()
    first_diags = time.perf_counter() - t0
    del text
    gc.collect()
    out: dict[str, Any] = {
        "lines": doc.line_count, "build_s": build, "first_diagnostics_s": first_diags,
        "diagnostics": len(first), "rss_mb_after_build": rss_mb(), "rss_mb_before": rss0,
    }
    print(f"  built {doc.line_count:,} lines in {build:.1f}s; first diagnostics() "
          f"{first_diags * 1000:.0f} ms ({len(first):,} diagnostics); peak RSS "
          f"{rss_mb():,.0f} MB", file=sys.stderr)
    rng = random.Random(seed)
    n = doc.line_count - 1  # the last entry is the empty segment after the final newline
    timers: dict[str, Timer] = {k: Timer() for k in (
        "diagnostics", "replace", "apply_change", "insert", "delete", "dup-make", "dup-remove")}

    def pick() -> tuple[int, str]:
        while True:
            i = rng.randrange(n)
            t = doc.line_text(i)
            if _content_col(t) is not None:
                return i, t

    for k in range(edits):
        timers["diagnostics"].run(lambda: None, doc)

        i, t = pick()
        new = t.replace('"content":"', f'"content":"edit {k} of line {i}: ', 1)
        timers["replace"].run(lambda i=i, new=new: doc.replace_lines(i, i + 1, new), doc)

        i, t = pick()
        col = _content_col(t)
        assert col is not None
        timers["apply_change"].run(
            lambda i=i, col=col, k=k: doc.apply_change((i, col), (i, col), f"x{k} "), doc)

        i, t = pick()
        line = t.replace('"content":"', f'"content":"inserted {k}: ', 1)
        timers["insert"].run(lambda i=i, line=line: doc.apply_change((i, 0), (i, 0),
                                                                     line + "\n"), doc)
        timers["delete"].run(lambda i=i: doc.apply_change((i, 0), (i + 1, 0), ""), doc)

        i, t = pick()
        j, other = pick()
        if i == j:
            continue
        timers["dup-make"].run(lambda i=i, other=other: doc.replace_lines(i, i + 1, other), doc)
        timers["dup-remove"].run(lambda i=i, t=t: doc.replace_lines(i, i + 1, t), doc)

    out["edits"] = {k: t.summary() for k, t in timers.items() if t.total}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10000,100000")
    p.add_argument("--edits", type=int, default=200, help="edits of each kind (median)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", type=Path, help="also write the results as JSON here")
    p.add_argument("--profile", type=Path,
                   help="write a cProfile of the edit loop (largest size) to this file")
    args = p.parse_args(argv)
    print(f"# tunelint engine benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    results: dict[int, dict[str, Any]] = {}
    sizes = [int(s) for s in args.sizes.split(",")]
    for size in sizes:
        path = dataset(size, args.seed)
        print(f"  {path.name}", file=sys.stderr)
        if args.profile and size == sizes[-1]:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
            results[size] = bench(path, args.edits, args.seed)
            prof.disable()
            prof.dump_stats(args.profile)
        else:
            results[size] = bench(path, args.edits, args.seed)
    kinds = list(next(iter(results.values()))["edits"])
    print(f"\nMedian ms per edit (edit alone / edit + diagnostics()), {args.edits} edits each\n")
    head = "| edit | " + " | ".join(f"{s:,} lines" for s in sizes)
    if len(sizes) > 1:
        head += f" | {sizes[-1] // 1000}k/{sizes[0] // 1000}k"
    print(head + " |")
    print("| --- |" + " ---: |" * (len(sizes) + (len(sizes) > 1)))
    for k in kinds:
        cells = []
        for s in sizes:
            e = results[s]["edits"][k]
            cells.append(f"{e['edit_ms']:.2f} / {e['total_ms']:.2f}")
        if len(sizes) > 1:
            a = results[sizes[0]]["edits"][k]["total_ms"]
            b = results[sizes[-1]]["edits"][k]["total_ms"]
            cells.append(f"{b / a:.1f}×" if a else "")
        print(f"| {k} | " + " | ".join(cells) + " |")
    print()
    for s in sizes:
        r = results[s]
        worst = max(e["total_ms"] for e in r["edits"].values())
        ok = worst < TARGET_MS
        print(f"- {'HOLDS' if ok else 'FAILS'}: one-line re-analysis + diagnostics < "
              f"{TARGET_MS:.0f} ms at {s:,} lines: worst median {worst:.2f} ms "
              f"(build {r['build_s']:.1f}s, {r['diagnostics']:,} diagnostics, "
              f"RSS {r['rss_mb_after_build']:,.0f} MB)")
    print(f"\nload average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
