r"""`tool` message whose `tool_call_id` is missing or answers no open tool call.

## What it does
Follows the conversation in order and pairs each `tool` message with an earlier tool call by
`tool_call_id`:

- a `tool` message without `tool_call_id` → error;
- an id that no earlier tool call has → warning;
- a second reply to the same call (more replies than calls) → warning;
- two calls in one assistant message with the same id → warning.

## Why is this bad?
The API requires `tool_call_id` on tool messages, and Mistral's validator rejects unknown and
duplicate ids and more tool responses than tool calls. A reply the model cannot tie to its call
teaches it nothing about using tool results.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]}, {"role": "tool", "tool_call_id": "call_2", "content": "18°C, sunny"}, {"role": "assistant", "content": "It is 18°C and sunny in Paris."}], "tools": [{"type": "function", "function": {"name": "get_weather"}}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]}, {"role": "tool", "tool_call_id": "call_1", "content": "18°C, sunny"}, {"role": "assistant", "content": "It is 18°C and sunny in Paris."}], "tools": [{"type": "function", "function": {"name": "get_weather"}}]}
```

## Fix
None.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import CHAT, PREFERENCE, REINFORCEMENT, Problem, Related, Rule, Severity

from ._tooling import shape, uses_tools


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    sh = shape(ctx)
    if not sh.tool_role and not sh.tool_calls_key:
        return
    open_calls: dict[str, int] = {}  # id -> calls not yet answered
    seen: set[str] = set()
    call_at: dict[str, str] = {}  # id -> pointer of the (first) call, for related locations
    for _i, m, ptr in ctx.iter_messages():
        role = m.get("role")
        calls = m.get("tool_calls")
        if isinstance(calls, list):
            in_message: set[str] = set()
            for j, c in enumerate(calls):
                cid = c.get("id") if isinstance(c, dict) else None
                if not isinstance(cid, str):
                    continue
                if cid in in_message:
                    yield Problem("TL508", f"tool call id '{cid[:60]}' is used twice in this "
                                  "message: replies cannot tell the calls apart",
                                  pointer=f"{ptr}/tool_calls/{j}/id",
                                  severity=Severity.WARNING)
                in_message.add(cid)
                seen.add(cid)
                call_at.setdefault(cid, f"{ptr}/tool_calls/{j}")
                open_calls[cid] = open_calls.get(cid, 0) + 1
        if role != "tool":
            continue
        if "tool_call_id" not in m:
            yield Problem("TL508", "`tool` message without `tool_call_id`: say which call it "
                          "answers", pointer=f"{ptr}/role")
            continue
        tid = m["tool_call_id"]
        if not isinstance(tid, str):
            yield Problem("TL508", "`tool_call_id` must be a string",
                          pointer=f"{ptr}/tool_call_id")
            continue
        if open_calls.get(tid, 0) > 0:
            open_calls[tid] -= 1
        elif tid in seen:
            yield Problem("TL508", f"call '{tid[:60]}' was already answered: more tool replies "
                          "than tool calls", pointer=f"{ptr}/tool_call_id",
                          severity=Severity.WARNING,
                          # Line -1: the same line (example rules do not know their line).
                          related=(Related(-1, "the tool call", call_at[tid]),))
        else:
            yield Problem("TL508", f"tool_call_id '{tid[:60]}' matches no earlier tool call",
                          pointer=f"{ptr}/tool_call_id", severity=Severity.WARNING)


RULE = Rule(
    code="TL508",
    name="tool-response-mismatch",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({CHAT, PREFERENCE, REINFORCEMENT}),
    doc=__doc__,
    applies=uses_tools,
)
