"""Whole-process wall times of ``tunelint check`` against baselines and a peer, on one generated
file per size (issue 2, point 14 and "What must hold").

    python benchmarks/bench_cli.py                       # 10k and 100k lines, 3 runs each
    python benchmarks/bench_cli.py --sizes 10000 --runs 5
    python benchmarks/bench_cli.py --only read,parse,check
    python benchmarks/bench_cli.py --sizes 100000 --flagged 1000000   # and files all flagged

For each size it generates (once; reused later) ``benchmarks/data/chat-<N>-s<seed>.jsonl``, a
clean chat dataset shaped like PERF.md's, then times, each as its own process:

- ``read``: read the file's bytes;
- ``parse``: that, split lines, ``orjson.loads`` every line;
- ``tiktoken``: that, plus o200k ``encode_ordinary_batch`` of every string value, in batches,
  ``num_threads`` = cores (encoding loaded from tunelint's shipped copy; never downloads);
- ``together``: ``together files check FILE`` (together 3.1.1 from PyPI, in its own venv; give its
  path with ``--peer`` or ``TUNELINT_BENCH_PEER``; skipped with a message when missing);
- ``check``: ``tunelint check --no-cache FILE``;
- ``stats``: ``tunelint check --stats --no-cache FILE``;
- ``cached``: ``tunelint check FILE`` after one untimed run that fills the cache.

With ``--flagged N`` it also times ``check --no-cache`` on three files of N lines full of
findings: ``flagged-same-<N>.jsonl`` (the same one on every line, ``"weight": 1.0``),
``flagged-own-<N>.jsonl`` (one of its own, ``"role": "bot<i>"``) and
``flagged-repeated-<N>.jsonl`` (each line twice: a duplicate on every other line), the last also
with itself as its ``--validation-file`` (every line in both files), for the memory target; and
``check --fix --no-cache`` on a fresh copy of the first, where every line has a safe fix.

Medians of ``--runs`` runs; peak memory of each command: the larger of its biggest process's
``wait4`` peak RSS and the summed RSS of its process tree sampled every 50 ms (tunelint's workers
count). Then the targets of issue 2.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
DEFAULT_PEER = HERE / ".venv-peer" / "bin" / "together"
CORES = os.cpu_count() or 1

READ = """
import sys
with open(sys.argv[1], "rb") as f:
    data = f.read()
print(len(data))
"""

PARSE = """
import sys, orjson
with open(sys.argv[1], "rb") as f:
    data = f.read()
n = 0
for line in data.split(b"\\n"):
    if line.strip():
        orjson.loads(line)
        n += 1
print(n)
"""

TIKTOKEN = """
import sys, orjson
from tunelint.tokens import get_encoding
enc = get_encoding("o200k_base")
threads = int(sys.argv[2])

def strings(v, out):
    if isinstance(v, str):
        out.append(v)
    elif isinstance(v, dict):
        for x in v.values():
            strings(x, out)
    elif isinstance(v, list):
        for x in v:
            strings(x, out)

with open(sys.argv[1], "rb") as f:
    data = f.read()
total = 0
batch = []
for line in data.split(b"\\n"):
    if line.strip():
        strings(orjson.loads(line), batch)
    if len(batch) >= 20000:
        total += sum(map(len, enc.encode_ordinary_batch(batch, num_threads=threads)))
        batch = []
total += sum(map(len, enc.encode_ordinary_batch(batch, num_threads=threads)))
print(total)
"""


@dataclass
class Result:
    name: str
    times: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    note: str = ""
    rc: int | None = None
    skipped: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def peak_mb(self) -> float | None:
        return max(self.rss_kb) / 1024 if self.rss_kb else None


PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _tree_rss_kb(pid: int) -> int:
    """Resident KB of a process and all its descendants (Linux /proc; 0 elsewhere)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * PAGE_KB
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            continue
    return total


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process tree (worker processes included) every 50 ms.

    ``wait4`` gives the peak of the largest single process; a CLI that forks workers uses the sum.
    Shared copy-on-write pages are counted once per process, so this errs on the high side."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            self.peak_kb = max(self.peak_kb, _tree_rss_kb(self.pid))


def run_once(cmd: list[str], env: dict[str, str] | None = None,
             cwd: Path | None = None) -> tuple[float, int, int, bytes]:
    """Wall seconds, peak RSS (KB) of the child, exit code, the last bytes of its output.

    The RSS is the larger of the biggest single process (``wait4``) and the sampled sum over the
    process tree."""
    out_path = DATA / ".bench-out"
    with open(out_path, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        sampler.stop.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path, "rb") as f:
        f.seek(max(0, out_path.stat().st_size - 400))
        tail = f.read()
    return wall, max(usage.ru_maxrss, sampler.peak_kb), proc.returncode, tail


def measure(name: str, cmd: list[str], runs: int, env: dict[str, str] | None = None,
            ok_codes: tuple[int, ...] = (0, 1), verbose: bool = True) -> Result:
    res = Result(name)
    for i in range(runs):
        wall, rss, rc, tail = run_once(cmd, env)
        res.rc = rc
        if rc not in ok_codes:
            res.note = f"exit {rc}: {tail.decode(errors='replace').strip()[-300:]}"
            if verbose:
                print(f"    {name}: FAILED ({res.note})", file=sys.stderr)
            return res
        res.times.append(wall)
        res.rss_kb.append(rss)
        res.note = tail.decode(errors="replace").strip().splitlines()[-1][:120] if tail else ""
        if verbose:
            print(f"    {name} run {i + 1}/{runs}: {wall:.2f}s, {rss / 1024:.0f} MB",
                  file=sys.stderr)
    return res


Command = tuple[str, list[str], dict[str, str] | None, tuple[int, ...]]


def measure_turns(first: Command, second: Command, runs: int) -> tuple[Result, Result]:
    """Both commands ``runs`` times, one after the other in turn."""
    results = (Result(first[0]), Result(second[0]))
    for _ in range(runs):
        for (name, cmd, env, ok), res in zip((first, second), results):
            if res.note.startswith("exit "):
                continue  # failed before: its note says how
            one = measure(name, cmd, 1, env=env, ok_codes=ok)
            res.times += one.times
            res.rss_kb += one.rss_kb
            res.note, res.rc = one.note, one.rc
    return results


def dataset(lines: int, seed: int, python: str) -> Path:
    path = DATA / f"chat-{lines}-s{seed}.jsonl"
    if not path.exists():
        print(f"  generating {path.name} ...", file=sys.stderr)
        subprocess.run([python, str(HERE / "generate.py"), "--lines", str(lines), "--seed",
                        str(seed), "--out", str(path)], check=True)
    return path


FLAGGED_LINES = {
    # kind -> a line with a finding (the same on every line, or one of its own)
    "same": '{"messages": [{"role": "user", "content": "Question %d about things"}, '
            '{"role": "assistant", "content": "Answer %d is here", "weight": 1.0}]}\n',
    "own": '{"messages": [{"role": "user", "content": "Question %d"}, '
           '{"role": "bot%d", "content": "Answer %d"}]}\n',
    # Each line twice in a row: a duplicate finding on every other line, each a dataset finding
    # pointing at another line.
    "repeated": '{"messages": [{"role": "user", "content": "Question %d about things"}, '
                '{"role": "assistant", "content": "Answer %d."}]}\n',
}


def flagged_dataset(lines: int, kind: str) -> Path:
    path = DATA / f"flagged-{kind}-{lines}.jsonl"
    if not path.exists():
        print(f"  generating {path.name} ...", file=sys.stderr)
        line = FLAGGED_LINES[kind]
        with open(path, "w", encoding="utf-8") as f:
            for i in range(lines):
                n = i // 2 if kind == "repeated" else i
                f.write(line % ((n,) * line.count("%d")))
    return path


def bench_flagged(lines: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    """``check --no-cache`` on the two all-flagged files: wall time and peak memory."""
    print(f"\n## {lines:,} lines, every line with a finding\n")
    print("| file | MB | wall (s) | peak RSS (MB) | findings |")
    print("| --- | ---: | ---: | ---: | --- |")
    verdicts = []
    for kind in FLAGGED_LINES:
        path = flagged_dataset(lines, kind)
        r = measure(f"check {path.name}", [args.tunelint, "check", "--no-cache", str(path)],
                    args.heavy_runs)
        if r.median is None or r.peak_mb is None:
            print(f"| {path.name} | | failed: {r.note} | | |")
            continue
        print(f"| {path.name} | {path.stat().st_size / 1e6:,.0f} | {r.median:.2f} | "
              f"{r.peak_mb:.0f} | {r.note} |")
        verdicts.append({"target": f"peak memory of check < 300 MB ({path.name})",
                         "holds": r.peak_mb < 300, "detail": f"{r.peak_mb:.0f} MB"})
    # The repeated file with itself as the validation file: every line is also in the other.
    path = flagged_dataset(lines, "repeated")
    r = measure(f"check {path.name} --validation-file (itself)",
                [args.tunelint, "check", "--no-cache", str(path), "--validation-file", str(path)],
                args.heavy_runs)
    if r.median is not None and r.peak_mb is not None:
        print(f"| {path.name} --validation-file {path.name} | {2 * path.stat().st_size / 1e6:,.0f} "
              f"| {r.median:.2f} | {r.peak_mb:.0f} | {r.note} |")
        verdicts.append({"target": f"peak memory of check < 300 MB ({path.name} with itself "
                                   "as the validation file)",
                         "holds": r.peak_mb < 300, "detail": f"{r.peak_mb:.0f} MB"})
    else:
        print(f"| {path.name} --validation-file | | failed: {r.note} | | |")
    # Every line of the "same" file has a safe fix (weight 1.0 -> 1): --fix rewrites each. A
    # fresh copy each run (the copy's time is in the wall time).
    path = flagged_dataset(lines, "same")
    copy = DATA / f".fix-{path.name}"
    r = measure(f"check --fix {path.name}",
                ["sh", "-c", f'cp "{path}" "{copy}" && exec "{args.tunelint}" check --fix '
                             f'--no-cache "{copy}"'], args.heavy_runs)
    copy.unlink(missing_ok=True)
    if r.median is not None and r.peak_mb is not None:
        print(f"| {path.name} --fix (each line fixed) | {path.stat().st_size / 1e6:,.0f} | "
              f"{r.median:.2f} | {r.peak_mb:.0f} | {r.note} |")
        verdicts.append({"target": f"peak memory of check --fix < 300 MB ({path.name})",
                         "holds": r.peak_mb < 300, "detail": f"{r.peak_mb:.0f} MB"})
    else:
        print(f"| {path.name} --fix | | failed: {r.note} | | |")
    print()
    for v in verdicts:
        print(f"- {'HOLDS' if v['holds'] else 'FAILS'}: {v['target']}: {v['detail']}")
    return verdicts


_CLEAN_WORDS = ["alpha", "beta", "gamma", "delta", "model", "token", "data", "train", "answer",
                "question", "paris", "rome", "city", "weather"]


def clean_dataset(lines: int) -> Path:
    """Short clean chat lines, each different (about 185 bytes a line)."""
    import random

    path = DATA / f"clean-{lines}.jsonl"
    if not path.exists():
        print(f"  generating {path.name} ...", file=sys.stderr)
        rng = random.Random(lines)
        with open(path, "w", encoding="utf-8") as f:
            batch = []
            for i in range(lines):
                q = " ".join(rng.choice(_CLEAN_WORDS) for _ in range(6))
                batch.append(f'{{"messages":[{{"role":"user","content":"Question {i}: {q}?"}},'
                             f'{{"role":"assistant","content":"Answer {i}: {q}."}}]}}\n')
                if len(batch) >= 100_000:
                    f.write("".join(batch))
                    batch = []
            f.write("".join(batch))
    return path


def _edit_one_line(path: Path) -> None:
    """Change one byte of the line in the middle of the file (its length stays)."""
    with open(path, "r+b") as f:
        f.seek(path.stat().st_size // 2)
        f.readline()
        at = f.tell()
        line = f.readline()
        k = line.index(b"Question")
        f.seek(at + k)
        f.write(b"Qu3stion" if line[k + 2:k + 3] == b"e" else b"Question")


def bench_clean(lines: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    """A large clean file: check, cache fill, cached rerun, rerun after one edited line."""
    source = clean_dataset(lines)
    path = DATA / f".clean-copy-{lines}.jsonl"  # the copy is edited, the source kept
    print(f"  copying {source.name} ...", file=sys.stderr)
    subprocess.run(["cp", str(source), str(path)], check=True)
    cache = DATA / ".tunelint_cache"
    print(f"\n## {lines:,} clean lines, {path.stat().st_size / 1e6:,.0f} MB\n")
    print("| run | wall (s) | peak RSS (MB) |")
    print("| --- | ---: | ---: |")
    verdicts = []
    runs = [("check --no-cache", ["--no-cache"], None),
            ("cache fill", [], lambda: shutil.rmtree(cache, ignore_errors=True)),
            ("cached rerun", [], None),
            ("rerun, one line edited", [], lambda: _edit_one_line(path))]
    try:
        for name, extra, before in runs:
            if before is not None:
                before()
            r = measure(f"{name} {path.name}", [args.tunelint, "check", *extra, str(path)], 1)
            if r.median is None or r.peak_mb is None:
                print(f"| {name} | failed: {r.note} | |")
                continue
            print(f"| {name} | {r.median:.2f} | {r.peak_mb:.0f} |")
            verdicts.append({"target": f"peak memory of {name} < 300 MB ({lines:,} lines)",
                             "holds": r.peak_mb < 300, "detail": f"{r.peak_mb:.0f} MB"})
    finally:
        path.unlink(missing_ok=True)
    print()
    for v in verdicts:
        print(f"- {'HOLDS' if v['holds'] else 'FAILS'}: {v['target']}: {v['detail']}")
    return verdicts


def bench_size(path: Path, args: argparse.Namespace) -> dict[str, Result]:
    py = args.python
    tl = args.tunelint
    only = set(args.only.split(",")) if args.only else None

    def want(name: str) -> bool:
        return only is None or name in only

    results: dict[str, Result] = {}
    f = str(path)
    if want("read"):
        results["read"] = measure("read", [py, "-c", READ, f], args.runs)
    if want("parse"):
        results["parse"] = measure("parse", [py, "-c", PARSE, f], args.runs)
    if want("tiktoken"):
        results["tiktoken"] = measure("tiktoken", [py, "-c", TIKTOKEN, f, str(CORES)],
                                      args.heavy_runs)
    if want("together"):
        peer = Path(args.peer) if args.peer else None
        if peer is None or not peer.exists():
            results["together"] = Result("together", skipped=(
                f"peer not found at {peer}: install together==3.1.1 into its own venv "
                f"(see benchmarks/README.md) or pass --peer"))
            print(f"    together: skipped ({results['together'].skipped})", file=sys.stderr)
        else:
            # `files check` is local, but the CLI wants a key and resolves a project first;
            # dummy values keep it offline (it never calls the API for this command).
            env = {**os.environ, "TOGETHER_API_KEY": "unused-local-check",
                   "TOGETHER_PROJECT_ID": "unused-local-check"}
            peer_cmd = [str(peer), "--non-interactive", "files", "check", f]
            if want("check"):
                # Turn about, so that both see the same machine: its speed drifts by tens of
                # percent over minutes (other tenants), more than the two differ by.
                r, results["check"] = measure_turns(
                    ("together", peer_cmd, env, (0,)),
                    ("check", [tl, "check", "--no-cache", f], None, (0, 1)),
                    max(args.runs, args.heavy_runs))
            else:
                r = measure("together", peer_cmd, args.runs, env=env, ok_codes=(0,))
            if r.times and "passed" not in r.note.lower():
                r.note = f"peer did not pass the file: {r.note}"
            results["together"] = r
    if want("check") and "check" not in results:
        results["check"] = measure("check", [tl, "check", "--no-cache", f], args.heavy_runs)
    if want("stats"):
        results["stats"] = measure("stats", [tl, "check", "--stats", "--no-cache", f],
                                   args.heavy_runs)
    if want("cached"):
        cache = path.parent / ".tunelint_cache"
        if cache.exists():
            shutil.rmtree(cache)
        warm = measure("cache fill", [tl, "check", f], 1)
        results["cache-fill"] = warm
        results["cached"] = measure("cached", [tl, "check", f], args.runs)
    return results


TARGETS = (
    # (label, lhs, rhs, factor): holds when median(lhs) <= factor * median(rhs)
    ("check >= 2x faster than together", "check", "together", 0.5),
    ("--stats no slower than the tiktoken baseline", "stats", "tiktoken", 1.0),
    ("cached rerun within 1.5x the parse baseline", "cached", "parse", 1.5),
)


def report(size: int, path: Path, results: dict[str, Result], runs: int,
           heavy_runs: int) -> list[dict[str, Any]]:
    mb = path.stat().st_size / 1e6
    base = {k: results[k].median for k in ("read", "parse", "tiktoken") if k in results}
    runs_text = str(runs)
    if heavy_runs != runs:
        runs_text += f" ({heavy_runs} for tiktoken, check, stats)"
    print(f"\n## {size:,} lines, {mb:,.0f} MB ({path.name}), median of {runs_text} runs\n")
    head = "| work | wall (s) | peak RSS (MB) | × read | × parse | × tiktoken | × together |"
    print(head)
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    peer = results.get("together")
    peer_t = peer.median if peer else None
    for name, r in results.items():
        if r.skipped:
            print(f"| {name} | skipped | | | | | |")
            continue
        if r.median is None:
            print(f"| {name} | failed: {r.note} | | | | | |")
            continue
        cells = []
        for k in ("read", "parse", "tiktoken"):
            b = base.get(k)
            cells.append(f"{r.median / b:.2f}" if b else "")
        cells.append(f"{r.median / peer_t:.2f}" if peer_t else "")
        print(f"| {name} | {r.median:.2f} | {r.peak_mb:.0f} | " + " | ".join(cells) + " |")
    print()
    verdicts = []
    for label, lhs, rhs, factor in TARGETS:
        a, b = results.get(lhs), results.get(rhs)
        if not a or not b or a.median is None or b.median is None:
            verdicts.append({"target": label, "holds": None, "detail": "not measured"})
            continue
        holds = a.median <= factor * b.median
        detail = (f"{lhs} {a.median:.2f}s vs {rhs} {b.median:.2f}s "
                  f"(ratio {a.median / b.median:.2f}, needs ≤ {factor})")
        if lhs == "check" and rhs == "together" and len(a.times) == len(b.times) > 1:
            # Measured in turns (measure_turns): each pair of runs saw the same machine.
            turns = [x / y for x, y in zip(a.times, b.times)]
            detail += (f"; ratio of each turn {', '.join(f'{t:.2f}' for t in turns)}, "
                       f"median {statistics.median(turns):.2f}")
        verdicts.append({"target": label, "holds": holds, "detail": detail})
    peaks = [results[k].peak_mb for k in ("check", "cached", "stats")
             if k in results and results[k].peak_mb is not None]
    if "check" in results and results["check"].peak_mb is not None:
        p = results["check"].peak_mb
        verdicts.append({"target": "peak memory of check < 300 MB", "holds": p < 300,
                         "detail": f"check peak RSS {p:.0f} MB (cached, stats: "
                                   f"{', '.join(f'{x:.0f}' for x in peaks[1:])} MB)"})
    for v in verdicts:
        mark = {True: "HOLDS", False: "FAILS", None: "n/a"}[v["holds"]]
        print(f"- {mark}: {v['target']}: {v['detail']}")
    return verdicts


# An installed package has its modules' bytecode, compiled by pip; an editable install in an
# environment with PYTHONDONTWRITEBYTECODE set (as on the benchmark machine) would compile
# every module again at each start, about 0.15 s, which the peer (installed by pip) never pays.
COMPILE = ("import compileall, sys, tunelint, tunelint.rules\n"
           "ok = all(compileall.compile_dir(p, quiet=1) for m in (tunelint, tunelint.rules)"
           " for p in m.__path__)\n"
           "sys.exit(0 if ok else 1)")


def compile_bytecode(python: str) -> None:
    """The tunelint modules' bytecode, written as pip writes it when it installs a package."""
    subprocess.run([python, "-c", COMPILE], check=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10000,100000", help="comma-separated line counts")
    p.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    p.add_argument("--heavy-runs", type=int, default=None,
                   help="runs for the slow ones (tiktoken, check, stats); default --runs")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--only", help="comma-separated subset: read,parse,tiktoken,together,check,"
                                  "stats,cached")
    p.add_argument("--peer", default=os.environ.get("TUNELINT_BENCH_PEER", str(DEFAULT_PEER)),
                   help="path to the `together` executable (default: benchmarks/.venv-peer)")
    p.add_argument("--python", default=sys.executable, help="python with orjson and tunelint")
    p.add_argument("--tunelint", default=str(Path(sys.executable).parent / "tunelint"),
                   help="the tunelint executable")
    p.add_argument("--flagged", type=int, default=0, metavar="N",
                   help="also check two files of N lines that all have findings")
    p.add_argument("--clean", type=int, action="append", default=[], metavar="N",
                   help="also check a clean file of N short lines (generated): --no-cache, "
                        "cache fill, cached rerun, rerun after one edited line (repeatable)")
    p.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = p.parse_args(argv)
    if args.heavy_runs is None:
        args.heavy_runs = args.runs
    DATA.mkdir(parents=True, exist_ok=True)
    compile_bytecode(args.python)
    print(f"# tunelint CLI benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, "
          f"{CORES} cores, Python {platform.python_version()}, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    out: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M"), "cores": CORES, "sizes": {}}
    for size in (int(s) for s in args.sizes.split(",")):
        path = dataset(size, args.seed, args.python)
        print(f"  benchmarking {path.name}", file=sys.stderr)
        results = bench_size(path, args)
        verdicts = report(size, path, results, args.runs, args.heavy_runs)
        out["sizes"][size] = {
            "file": path.name, "bytes": path.stat().st_size,
            "results": {k: {"median_s": r.median, "times_s": r.times,
                            "peak_rss_mb": r.peak_mb, "note": r.note, "skipped": r.skipped}
                        for k, r in results.items()},
            "targets": verdicts,
        }
    if args.flagged:
        out["flagged"] = bench_flagged(args.flagged, args)
    for lines in args.clean:
        out.setdefault("clean", {})[lines] = bench_clean(lines, args)
    print(f"\nload average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
