r"""Deprecated `functions` / `function_call` instead of `tools` / `tool_calls`.

## What it does
Reports the `functions` list of an example and every assistant `function_call`, which OpenAI
deprecated in favour of `tools` and `tool_calls`.

## Why is this bad?
The fine-tuning guide asks for `tools`; `functions` cannot express parallel calls, other
providers (Mistral's `reformat_data.py`) convert it before training, and a model trained on one
format is then queried with the other.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "content": null, "function_call": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}], "functions": [{"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "content": null, "tool_calls": [{"id": "call00001", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]}], "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]}
```

## Fix
Unsafe: convert the whole example, `functions` to `tools`, each `function_call` to a one-call
`tool_calls` list with a made-up id (`call` + 5 digits, which also fits Mistral's 9-character ids),
and each following `function` role message to a `tool` message answering that id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import CHAT, PREFERENCE, Edit, Fix, Problem, Rule, Severity

from ._tooling import holder, shape, uses_tools


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _fix(ctx: ExampleContext) -> Fix | None:
    h, base = holder(ctx)
    edits: list[Edit] = []
    if h is not None and isinstance(h.get("functions"), list):
        converted = [{"type": "function", "function": f} for f in h["functions"]]
        if "tools" in h:
            if not isinstance(h["tools"], list):
                return None
            edits.append(Edit(f"{base}/tools", "value", _dumps(h["tools"] + converted)))
            edits.append(Edit(f"{base}/functions", "member", ""))
        else:
            edits.append(Edit(f"{base}/functions", "member", '"tools": ' + _dumps(converted)))
    pending: dict[str, list[str]] = {}
    for i, m, ptr in ctx.iter_messages():
        fc = m.get("function_call")
        if "function_call" in m:
            if isinstance(fc, dict):
                call_id = f"call{i:05d}"
                call = {"id": call_id, "type": "function", "function": fc}
                if "tool_calls" in m:
                    return None
                edits.append(Edit(f"{ptr}/function_call", "member",
                                  '"tool_calls": ' + _dumps([call])))
                name = fc.get("name")
                pending.setdefault(name if isinstance(name, str) else "", []).append(call_id)
            else:
                edits.append(Edit(f"{ptr}/function_call", "member", ""))
        elif m.get("role") == "function":
            name = m.get("name")
            ids = pending.get(name if isinstance(name, str) else "")
            if not ids:
                continue
            edits.append(Edit(f"{ptr}/role", "value", '"tool"'))
            if "name" in m:
                edits.append(Edit(f"{ptr}/name", "member", f'"tool_call_id": "{ids.pop(0)}"'))
    if not edits:
        return None
    return Fix("Convert functions/function_call to tools/tool_calls", safe=False,
               edits=tuple(edits))


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    h, base = holder(ctx)
    sh = shape(ctx)
    if not sh.function_call_key and (h is None or "functions" not in h):
        return
    found: list[Problem] = []
    if h is not None and "functions" in h:
        found.append(Problem("TL503", "`functions` is deprecated: declare them in `tools`",
                             pointer=f"{base}/functions", part="key"))
    if sh.function_call_key:
        for _i, m, ptr in ctx.iter_messages():
            if "function_call" in m:
                found.append(Problem(
                    "TL503", "`function_call` is deprecated: use `tool_calls`",
                    pointer=f"{ptr}/function_call", part="key"))
    if not found:
        return
    fix = _fix(ctx)
    for p in found:
        p.fix = fix
        yield p


RULE = Rule(
    code="TL503",
    name="functions-deprecated",
    severity=Severity.INFO,
    scope="example",
    check=check,
    formats=frozenset({CHAT, PREFERENCE}),
    fix="unsafe",
    doc=__doc__,
    applies=uses_tools,
)
