"""Benchmark the language server over stdio, as an editor drives it (not a test).

    python benchmarks/lsp_bench.py                 # 10k and 100k lines
    python benchmarks/lsp_bench.py --lines 10000   # one size
    python benchmarks/lsp_bench.py --edits 50 --debounce 150

For each size it generates a seeded chat file (about 400 bytes a line: 100k lines ≈ 40 MB, with
duplicates, syntax errors, role typos and blank lines sprinkled in), starts ``tunelint lsp`` as a
subprocess, and measures:

- open: didOpen sent → first publishDiagnostics received;
- edit: the median over N one-line edits of didChange sent → publishDiagnostics for that version
  received and parsed (also: its bytes read, before the client's parse), minus the server's
  debounce (measured after the background token statistics finished, and again for a few edits
  while they run);
- memory: the server's resident set (VmRSS, and the peak VmHWM) against the file's size, and the
  peak of the server with its token worker (the child that counts tokens), sampled every 20 ms.

Targets (issue 3): edit ≤ 20 ms at 100k and no slower than at 10k; open ≤ 3 s; RSS < 5× file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

WORDS = [
    "the", "of", "and", "to", "in", "is", "you", "that", "it", "was", "for", "on", "are", "as",
    "with", "they", "at", "be", "this", "have", "from", "or", "model", "data", "training",
    "example", "answer", "question", "customer", "order", "account", "refund", "shipping",
    "invoice", "payment", "service", "support", "request", "issue", "ticket", "policy", "report",
    "summary", "analysis", "café", "naïve", "東京", "数据", "🙂", "über", "résumé",
]


def generate(n_lines: int, seed: int = 1, line_bytes: int = 400, defect_every: int = 500) -> str:
    """A seeded chat dataset of about ``line_bytes`` UTF-8 bytes a line, with a defect every
    ``defect_every`` lines."""
    rng = random.Random(seed)
    systems = [f"You are support agent {i}. " + " ".join(rng.choice(WORDS) for _ in range(10))
               for i in range(32)]
    lines = []
    for i in range(n_lines):
        # Every example has a system prompt: a mostly clean file, the usual one being edited.
        msgs = [{"role": "system", "content": rng.choice(systems)}]
        n = max(4, int(rng.gauss(line_bytes / 12, 6)))
        msgs.append({"role": "user", "content": f"Q{i} " + " ".join(
            rng.choice(WORDS) for _ in range(n // 2))})
        msgs.append({"role": "assistant", "content": f"A{i} " + " ".join(
            rng.choice(WORDS) for _ in range(n // 2))})
        lines.append(json.dumps({"messages": msgs}, ensure_ascii=False))
    for k in range(0, n_lines, defect_every):  # defects: about 0.8% of lines by default
        j = rng.randrange(1, n_lines)
        kind = k // defect_every % 4
        if kind == 0:
            lines[j] = lines[j - 1]  # duplicate
        elif kind == 1:
            lines[j] = lines[j][:-2]  # syntax error
        elif kind == 2:
            lines[j] = lines[j].replace('"assistant"', '"asistant"')  # role typo
        else:
            lines[j] = ""  # blank line
    return "\n".join(lines) + "\n"


def rss(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, value = line.split(":", 1)
            values[key] = int(value.split()[0]) * 1024
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def pss(pid: int) -> int:
    """Proportional set size in bytes: shared pages split between their sharers, so a child
    just forked (sharing all of its parent's pages until it execs) is not counted twice."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def tree_rss(pid: int) -> int:
    """Resident memory (PSS) of a process and all its descendants (the server and its token
    worker)."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError, ValueError):
            total += pss(p)
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return total


async def sample_tree(pid: int, peak: list[int], every_s: float = 0.02) -> None:
    """Keep ``peak[0]`` at the highest tree RSS seen (until cancelled)."""
    while True:
        peak[0] = max(peak[0], tree_rss(pid))
        await asyncio.sleep(every_s)


class Bench:
    """A minimal stdio JSON-RPC client (orjson, like an editor's native JSON parser): it times
    publishDiagnostics without the cost of a Python LSP client structuring every message."""

    def __init__(self, debounce_ms: int) -> None:
        self.debounce_ms = debounce_ms
        self.published: dict[tuple[str, int | None], float] = {}
        self.last_published: dict[tuple[str, int | None], float] = {}
        self.arrived: dict[tuple[str, int | None], float] = {}
        self.counts: dict[tuple[str, int | None], int] = {}
        self.event = asyncio.Event()
        self.stats_done = asyncio.Event()
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.next_id = 0
        self.proc: asyncio.subprocess.Process | None = None

    def send(self, msg: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        body = orjson.dumps({"jsonrpc": "2.0", **msg})
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = fut
        self.send({"id": self.next_id, "method": method, "params": params})
        return await fut

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    async def read_loop(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        out = self.proc.stdout
        while True:
            length = 0
            while True:
                line = await out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = await out.readexactly(length)
            arrived = time.perf_counter()
            msg = orjson.loads(body)
            now = time.perf_counter()
            method = msg.get("method")
            if method == "textDocument/publishDiagnostics":
                key = (msg["params"]["uri"], msg["params"].get("version"))
                self.published.setdefault(key, now)  # the first publish of a version, parsed
                self.arrived.setdefault(key, arrived)  # ... and its bytes read, before parsing
                self.last_published[key] = now
                self.counts[key] = len(msg["params"]["diagnostics"])
                self.event.set()
            elif method is not None and "id" in msg:  # a request from the server
                if method == "workspace/codeLens/refresh":
                    self.stats_done.set()
                result: Any = [None] if method == "workspace/configuration" else None
                self.send({"id": msg["id"], "result": result})
            elif "id" in msg and msg["id"] in self.pending:
                self.pending.pop(msg["id"]).set_result(msg.get("result"))

    async def start(self) -> int:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tunelint", "lsp", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, limit=2**26)
        self.reader = asyncio.ensure_future(self.read_loop())
        caps = {
            "general": {"positionEncodings": ["utf-16"]},
            "window": {"workDoneProgress": True},
            "workspace": {"codeLens": {"refreshSupport": True}, "configuration": True},
            "textDocument": {"publishDiagnostics": {"relatedInformation": True,
                                                    "versionSupport": True}},
        }
        # The server logs its own share of each edit at debug level (read by server_timings).
        fd, self.log_file = tempfile.mkstemp(prefix="tunelint-bench-", suffix=".log")
        os.close(fd)
        await self.request("initialize", {
            "processId": None, "rootUri": None, "capabilities": caps,
            "initializationOptions": {"settings": {
                "debounce": self.debounce_ms, "logLevel": "debug", "logFile": self.log_file}}})
        self.notify("initialized", {})
        return int(self.proc.pid)

    async def wait(self, uri: str, version: int, timeout: float = 600) -> float:
        deadline = time.perf_counter() + timeout
        while (uri, version) not in self.published:
            self.event.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"no diagnostics for {uri} v{version}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.event.wait(), left)
        return self.published[(uri, version)]

    async def stop(self) -> None:
        assert self.proc is not None
        await self.request("shutdown", None)
        self.notify("exit", None)
        await self.proc.wait()
        self.reader.cancel()


def server_timings(log_file: str, last: int) -> tuple[list[float], list[float]]:
    """The server's logged time to apply each change and to publish, for the last edits."""
    applied: list[float] = []
    published: list[float] = []
    for line in Path(log_file).read_text(encoding="utf-8").splitlines():
        if "timing: change applied in " in line:
            applied.append(float(line.rsplit(" in ", 1)[1].split()[0]))
        elif "timing: published " in line:
            published.append(float(line.rsplit(" in ", 1)[1].split()[0]))
    Path(log_file).unlink(missing_ok=True)
    return applied[-last:], published[-last:]


async def run_size(n_lines: int, edits: int, debounce_ms: int, seed: int,
                   defect_every: int = 500) -> dict[str, Any]:
    text = generate(n_lines, seed, defect_every=defect_every)
    size = len(text.encode("utf-8"))
    lines = text.split("\n")
    bench = Bench(debounce_ms)
    pid = await bench.start()
    base_rss, _ = rss(pid)
    tree_peak = [0]
    sampler = asyncio.ensure_future(sample_tree(pid, tree_peak))
    uri = f"file:///bench/chat-{n_lines}.jsonl"
    t0 = time.perf_counter()
    bench.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "jsonl", "version": 1, "text": text}})
    opened = await bench.wait(uri, 1) - t0
    first_diags = bench.counts[(uri, 1)]
    rss_open, _ = rss(pid)

    version = 1
    rng = random.Random(seed + 1)

    arrivals: list[float] = []  # the same edits, timed when the publish's bytes were read

    async def one_edit() -> float:
        nonlocal version
        i = rng.randrange(1, n_lines - 1)
        old = lines[i]
        if '"assistant"' in old:
            new = old.replace('"assistant"', '"asistant"', 1)  # introduce a typo
        else:
            new = old.replace('"asistant"', '"assistant"', 1).replace("Q", "q", 1)
        lines[i] = new
        version += 1
        end = len(old.encode("utf-16-le")) // 2
        change = {"range": {"start": {"line": i, "character": 0},
                            "end": {"line": i, "character": end}}, "text": new}
        sent = time.perf_counter()
        bench.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
        got = await bench.wait(uri, version)
        arrivals.append((bench.arrived[(uri, version)] - sent) * 1000 - debounce_ms)
        return (got - sent) * 1000 - debounce_ms

    # Statistics start once the whole file is analysed: the last publish of version 1 before
    # then is the complete set (a big file publishes line-level results early).
    await asyncio.wait_for(bench.stats_done.wait(), 900)
    stats_s = time.perf_counter() - t0
    complete = bench.last_published[(uri, 1)] - t0
    complete_diags = bench.counts[(uri, 1)]
    rss_loaded, _ = rss(pid)
    during: list[float] = []  # token statistics are done by now; see edit_ms_during_stats
    await asyncio.sleep(1.5)  # let the post-edit statistics refresh settle too
    after = [await one_edit() for _ in range(edits)]
    # Edits while an in-process statistics refresh may run (1 s after a lint, 5 s at 20k+ lines).
    for _ in range(5):
        await asyncio.sleep(1.05 if n_lines < 20_000 else 5.05)
        during.append(await one_edit())
    rss_now, hwm = rss(pid)
    sampler.cancel()
    await bench.stop()
    applied, published = server_timings(bench.log_file, edits + len(during))
    return {
        "lines": n_lines,
        "mb": round(size / 1e6, 1),
        "open_s": round(opened, 3),
        "first_diagnostics": first_diags,
        "complete_s": round(complete, 3),
        "complete_diagnostics": complete_diags,
        "edit_ms_median": round(statistics.median(after), 2),
        "edit_ms_p90": round(sorted(after)[int(0.9 * (len(after) - 1))], 2),
        "edit_ms_max": round(max(after), 2),
        "edit_ms_bytes_median": round(statistics.median(arrivals[:len(after)]), 2),
        "edit_ms_during_stats_median": round(statistics.median(during), 2),
        "server_apply_ms_median": round(statistics.median(applied), 3) if applied else None,
        "server_publish_ms_median": round(statistics.median(published), 3) if published else None,
        "open_to_token_stats_s": round(stats_s, 1),
        "rss_mb_base": round(base_rss / 1e6, 1),
        "rss_mb_first_publish": round(rss_open / 1e6, 1),
        "rss_mb_loaded": round(rss_loaded / 1e6, 1),
        "rss_mb_end": round(rss_now / 1e6, 1),
        "rss_mb_peak": round(hwm / 1e6, 1),
        "rss_x_file": round(rss_now / size, 2),
        "peak_x_file": round(hwm / size, 2),
        # The server with its token worker (a child that exits when idle), sampled every 20 ms.
        "tree_mb_peak": round(tree_peak[0] / 1e6, 1),
        "tree_peak_x_file": round(tree_peak[0] / size, 2),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, action="append",
                    help="file sizes in lines (default: 10000 and 100000)")
    ap.add_argument("--edits", type=int, default=50)
    ap.add_argument("--debounce", type=int, default=150, help="server debounce (ms)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--defect-every", type=int, default=500,
                    help="one injected defect per this many lines (default 500: findings grow "
                         "with the file; a publish carries all of them)")
    ap.add_argument("--json", action="store_true", help="print JSON")
    args = ap.parse_args(argv)
    sizes = args.lines or [10_000, 100_000]
    results = [asyncio.run(run_size(n, args.edits, args.debounce, args.seed, args.defect_every))
               for n in sizes]
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for r in results:
        print(f"{r['lines']:>7} lines, {r['mb']} MB: open → first diagnostics "
              f"{r['open_s']} s ({r['first_diagnostics']} diagnostics), complete "
              f"{r['complete_s']} s ({r['complete_diagnostics']}), token statistics "
              f"{r['open_to_token_stats_s']} s")
        print(f"        edit → publish minus {args.debounce} ms debounce: median "
              f"{r['edit_ms_median']} ms, p90 {r['edit_ms_p90']} ms, max {r['edit_ms_max']} ms "
              f"({args.edits} edits); after a pause (stats refresh): median "
              f"{r['edit_ms_during_stats_median']} ms; to the publish's bytes read (before the "
              f"client parses them): median {r['edit_ms_bytes_median']} ms")
        print(f"        inside the server (its debug log), median: change applied "
              f"{r['server_apply_ms_median']} ms, diagnostics published "
              f"{r['server_publish_ms_median']} ms")
        print(f"        RSS: {r['rss_mb_base']} MB idle, {r['rss_mb_first_publish']} MB at the "
              f"first publish, {r['rss_mb_loaded']} MB with the file analysed and token stats "
              f"done, "
              f"{r['rss_mb_end']} MB at the end ({r['rss_x_file']}× the file), peak "
              f"{r['rss_mb_peak']} MB ({r['peak_x_file']}×); with the token worker, peak "
              f"{r['tree_mb_peak']} MB ({r['tree_peak_x_file']}×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
