r"""Tool call without an `id`, `"type": "function"`, or a `function` with `name` and `arguments`.

## What it does
Checks each entry of an assistant message's `tool_calls` (also in DPO outputs): `tool_calls`
must be a list; each call an object with a string `id`, `"type": "function"` and a `function`
object with a string `name` and an `arguments` entry (whose content `tool-args-json` checks).
The deprecated `function_call` must likewise hold `name` and `arguments`.

Option `id_pattern`: a regular expression every id must match in full (the `mistral` profile
sets `^[a-zA-Z0-9]{9}$`, the ids Mistral's tokenizer requires).

## Why is this bad?
Every field is required by the spec (and by Mistral's validator); a call without an id cannot be
answered by a `tool` message.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]}], "tools": [{"type": "function", "function": {"name": "get_weather"}}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]}], "tools": [{"type": "function", "function": {"name": "get_weather"}}]}
```

## Fix
Safe when only `"type": "function"` is missing: add it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import CHAT, PREFERENCE, REINFORCEMENT, Edit, Fix, Problem, Rule, Severity

from ._tooling import all_messages, json_type, shape, uses_tools


@cache
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _function(fn: Any, ptr: str, what: str) -> Iterator[Problem]:
    if not isinstance(fn, dict):
        yield Problem("TL505", f"{what} must be an object with `name` and `arguments`, "
                      f"not {json_type(fn)}", pointer=ptr)
        return
    for key in ("name", "arguments"):
        if key not in fn:
            yield Problem("TL505", f"{what} has no `{key}`", pointer=ptr)
    if "name" in fn and not isinstance(fn["name"], str):
        yield Problem("TL505", f"the function `name` must be a string, not "
                      f"{json_type(fn['name'])}", pointer=ptr + "/name")


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    sh = shape(ctx)
    if not sh.tool_calls_key and not sh.function_call_key:
        return
    pattern = opts.get("id_pattern")
    id_re = _compile(pattern) if pattern else None
    for m, mptr in all_messages(ctx):
        if "function_call" in m and m["function_call"] is not None:
            yield from _function(m["function_call"], f"{mptr}/function_call", "`function_call`")
        if "tool_calls" not in m:
            continue
        calls = m["tool_calls"]
        if not isinstance(calls, list):
            if calls is not None:
                yield Problem("TL505", f"`tool_calls` must be a list, not {json_type(calls)}",
                              pointer=f"{mptr}/tool_calls")
            continue
        for j, call in enumerate(calls):
            ptr = f"{mptr}/tool_calls/{j}"
            if not isinstance(call, dict):
                yield Problem("TL505", f"a tool call must be an object, not {json_type(call)}",
                              pointer=ptr)
                continue
            cid = call.get("id")
            if "id" not in call:
                yield Problem("TL505", "the tool call has no `id`", pointer=ptr)
            elif not isinstance(cid, str):
                yield Problem("TL505", f"the tool call `id` must be a string, not "
                              f"{json_type(cid)}", pointer=ptr + "/id")
            elif id_re is not None and not id_re.fullmatch(cid):
                yield Problem("TL505", f"tool call id '{cid[:60]}' does not match {pattern}",
                              pointer=ptr + "/id")
            if "type" not in call:
                fix = Fix('Add `"type": "function"`', safe=True,
                          edits=(Edit(ptr + "/type", "member", '"type": "function"'),))
                yield Problem("TL505", 'the tool call has no `type`: add `"type": "function"`',
                              pointer=ptr, fix=fix)
            elif call["type"] != "function":
                yield Problem("TL505", 'tool call `type` must be "function"',
                              pointer=ptr + "/type")
            if "function" not in call:
                yield Problem("TL505", "the tool call has no `function`", pointer=ptr)
            else:
                yield from _function(call["function"], ptr + "/function", "the called `function`")


RULE = Rule(
    code="TL505",
    name="tool-call-shape",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({CHAT, PREFERENCE, REINFORCEMENT}),
    fix="sometimes",
    options={"id_pattern": None},
    doc=__doc__,
    applies=uses_tools,
)
