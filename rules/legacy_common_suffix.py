r"""Legacy prompts without a common separator at the end, or completions without a common ending.

## What it does
For a dataset in the legacy `completion` format, looks at the first 2,000 examples (option
`sample`) and reports when the prompts do not all end with the same separator, or the
completions do not all end with the same stop sequence. It points at the first example that
breaks the pattern.

OpenAI's legacy `prepare_data` tool did the same (`common_prompt_suffix`,
`common_completion_suffix`) and offered to append a separator such as ` ->` or `\n\n###\n\n` to
every prompt and an ending such as `\n` or ` END` to every completion. It also flagged long
common prefixes, upper-case text and classification datasets; those are not checked here.

## Why is this bad?
A base model continues text: without a fixed separator it cannot tell where the prompt ends and
the answer begins, and without a fixed ending it does not learn when to stop (the ending is the
stop sequence you pass at inference).

## Example
```jsonl {"format": "completion"}
{"prompt": "Capital of France? ->", "completion": " Paris\n"}
{"prompt": "Capital of Spain?", "completion": " Madrid"}
```

Use instead:
```jsonl {"format": "completion"}
{"prompt": "Capital of France? ->", "completion": " Paris\n"}
{"prompt": "Capital of Spain? ->", "completion": " Madrid\n"}
```

## Fix
None: choose a separator and an ending that never occur inside your texts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from tunelint.context import DatasetView
from tunelint.jsonscan import orjson_input
from tunelint.rules import Problem, Rule, Severity

# Parsed (prompt, completion) by line text, so repeated runs on an unchanged document are cheap.
_PAIRS: dict[str, tuple[str, str] | None] = {}
_LIMIT = 50_000


def _pair(text: str) -> tuple[str, str] | None:
    if text in _PAIRS:
        return _PAIRS[text]
    pair = None
    if '"prompt"' in text and '"completion"' in text:
        try:
            obj = orjson.loads(orjson_input(text))
        except orjson.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and "messages" not in obj and "input" not in obj:
            p, c = obj.get("prompt"), obj.get("completion")
            if isinstance(p, str) and isinstance(c, str) and c.strip():
                pair = (p, c)
    if len(_PAIRS) >= _LIMIT:
        _PAIRS.clear()
    _PAIRS[text] = pair
    return pair


def _common_suffix(a: str, b: str) -> str:
    n = 0
    for x, y in zip(reversed(a), reversed(b)):
        if x != y:
            break
        n += 1
    return a[len(a) - n:] if n else ""


def check(ds: DatasetView, opts: dict[str, Any]) -> Iterator[Problem]:
    if ds.dataset_format() != "completion":
        return
    sample = int(opts.get("sample") or 2000)
    prompt_suffix: str | None = None
    end_suffix: str | None = None
    prompt_break = end_break = None
    seen = 0
    for line in range(ds.line_count):
        if seen >= sample or (prompt_break is not None and end_break is not None):
            break
        pair = _pair(ds.line_text(line))
        if pair is None:
            continue
        seen += 1
        p, c = pair
        if prompt_break is None:
            prompt_suffix = p if prompt_suffix is None else _common_suffix(prompt_suffix, p)
            if not prompt_suffix and seen > 1:
                prompt_break = line
        if end_break is None:
            end_suffix = c if end_suffix is None else _common_suffix(end_suffix, c)
            if not end_suffix and seen > 1:
                end_break = line
    if seen < 2:
        return
    if prompt_break is not None:
        yield Problem("TL807", "the prompts do not end with a common separator (such as ` ->` "
                      "or `\\n\\n###\\n\\n`): the model cannot tell where the completion starts",
                      line=prompt_break, pointer="/prompt")
    if end_break is not None:
        yield Problem("TL807", "the completions do not end with a common ending (such as `\\n` "
                      "or ` END`): the model does not learn where to stop",
                      line=end_break, pointer="/completion")


RULE = Rule(
    code="TL807",
    name="legacy-common-suffix",
    severity=Severity.WARNING,
    scope="dataset",
    check=check,
    options={"sample": 2000},
    doc=__doc__,
)
