"""Token counting for a whole big file in a child process.

Tokenizing every example of a 100k-line file takes seconds of CPU and a few hundred MB of
transient memory (parsed objects, token caches). Doing it in a short-lived child keeps the
server's event loop and GIL free for edits and returns that memory to the system when the child
exits; the server keeps only the per-line counts (cached with each line's analysis), so later
refreshes after edits tokenize just the changed lines, in process.

Protocol: the parent writes ``pickle((settings, path, [(text, format), ...]))`` to stdin; the child
writes ``pickle([tokens or None, ...])`` to stdout.
"""

from __future__ import annotations

import asyncio
import pickle
import sys
from typing import Any

from tunelint.config import Settings


def count_tokens(settings: Settings, path: str | None, items: list[tuple[str, str]]
                 ) -> list[int | None]:
    from tunelint.engine import OBJECT, Analyzer, LineResult
    from tunelint.stats import count_tokens as count_pairs

    analyzer = Analyzer(settings, path)
    results = [LineResult(kind=OBJECT, format=f) for _, f in items]
    count_pairs(analyzer.run.counter, [(r, t) for r, (t, _) in zip(results, items)])
    return [r.tokens for r in results]


async def count_tokens_in_child(settings: Settings, path: str | None,
                                items: list[tuple[str, str]]) -> list[int | None]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from tunelint.lsp.workers import main; main()",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    payload = pickle.dumps((settings, path, items), protocol=pickle.HIGHEST_PROTOCOL)
    try:
        out, err = await proc.communicate(payload)
    except asyncio.CancelledError:
        if proc.returncode is None:
            proc.kill()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"token worker failed ({proc.returncode}): "
                           f"{err.decode(errors='replace')[-500:]}")
    counts: list[int | None] = pickle.loads(out)
    return counts


def main() -> None:
    settings, path, items = pickle.loads(sys.stdin.buffer.read())
    result: Any = count_tokens(settings, path, items)
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
