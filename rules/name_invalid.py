r"""Tool or function name with characters or a length the API rejects.

## What it does
Checks every function name, in `tools[].function.name`, the deprecated `functions[].name` and in
the tool calls of assistant messages, against `^[a-zA-Z0-9_-]{1,64}$`: letters, digits,
underscores and dashes, 1 to 64 characters.

## Why is this bad?
OpenAI's spec and Mistral's validator allow only these characters; a name with a space, a dot or
more than 64 characters makes the upload or the job fail.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get weather", "arguments": "{\"city\": \"Paris\"}"}}]}], "tools": [{"type": "function", "function": {"name": "get weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]}], "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]}
```

## Fix
None: a renamed function must be renamed everywhere it is called, and in your application.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import CHAT, PREFERENCE, REINFORCEMENT, Problem, Rule, Severity

from ._tooling import holder, iter_calls, uses_tools

NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_BAD_CHAR = re.compile(r"[^a-zA-Z0-9_-]")


_GOOD: set[str] = set()


def _good(name: str) -> bool:
    if name in _GOOD:
        return True
    if not NAME.fullmatch(name):
        return False
    if len(_GOOD) > 10_000:
        _GOOD.clear()
    _GOOD.add(name)
    return True


def _why(name: str) -> str:
    if not name:
        return "is empty"
    if len(name) > 64:
        return f"is {len(name)} characters long (at most 64)"
    bad = _BAD_CHAR.search(name)
    ch = bad.group() if bad else "?"
    return f"contains {ch!r}: use only letters, digits, '_' and '-'"


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    h, base = holder(ctx)
    if h is not None:
        for key, sub in (("tools", "/function/name"), ("functions", "/name")):
            items = h.get(key)
            if not isinstance(items, list):
                continue
            for i, item in enumerate(items):
                if not isinstance(item, dict):
                    continue
                fn = item.get("function") if key == "tools" else item
                name = fn.get("name") if isinstance(fn, dict) else None
                if isinstance(name, str) and not _good(name):
                    yield Problem("TL501", f"function name '{name[:80]}' {_why(name)}",
                                  pointer=f"{base}/{key}/{i}{sub}")
    for call in iter_calls(ctx):
        fn = call.function
        name = fn.get("name") if fn is not None else None
        if isinstance(name, str) and not _good(name):
            yield Problem("TL501", f"called function name '{name[:80]}' {_why(name)}",
                          pointer=call.function_pointer + "/name")


RULE = Rule(
    code="TL501",
    name="name-invalid",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({CHAT, PREFERENCE, REINFORCEMENT}),
    doc=__doc__,
    applies=uses_tools,
)
