r"""Preference (DPO) example without `input.messages` and one-message output lists.

## What it does
Checks the shape of a DPO line: `input` must be an object with a non-empty `messages` list, and
`preferred_output` and `non_preferred_output` must each be a list of exactly one assistant
message with `content` (or `tool_calls`).

The spec's `preferred_completion`/`non_preferred_completion` spelling is reported as a warning:
OpenAI's API spec (2025) named the fields that way, while the fine-tuning guide and Together use
`*_output`; tunelint follows the guide.

## Why is this bad?
The API cannot build a preference pair from anything else; Together's checker rejects output
lists that do not hold exactly one message.

## Example
```jsonl {"format": "preference"}
{"input": {"messages": [{"role": "user", "content": "Capital of France?"}]}, "preferred_output": [{"role": "assistant", "content": "Paris."}], "non_preferred_output": [{"role": "assistant", "content": "Lyon."}, {"role": "assistant", "content": "Or Paris."}]}
```

Use instead:
```jsonl {"format": "preference"}
{"input": {"messages": [{"role": "user", "content": "Capital of France?"}]}, "preferred_output": [{"role": "assistant", "content": "Paris."}], "non_preferred_output": [{"role": "assistant", "content": "Lyon."}]}
```

## Fix
Safe for the `*_completion` spelling: rename the key to `*_output`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import PREFERENCE, Edit, Fix, Problem, Rule, Severity

from ._tooling import json_type

OUTPUTS = (("preferred_output", "preferred_completion"),
           ("non_preferred_output", "non_preferred_completion"))


def _output(value: Any, key: str) -> Iterator[Problem]:
    ptr = f"/{key}"
    if not isinstance(value, list):
        yield Problem("TL701", f"`{key}` must be a list holding one assistant message, not "
                      f"{json_type(value)}", pointer=ptr)
        return
    if len(value) != 1:
        yield Problem("TL701", f"`{key}` must hold exactly one message ({len(value)})",
                      pointer=ptr)
        if not value:
            return
    for i, m in enumerate(value[:1]):
        mp = f"{ptr}/{i}"
        if not isinstance(m, dict):
            yield Problem("TL701", f"the output message must be an object, not {json_type(m)}",
                          pointer=mp)
            continue
        role = m.get("role")
        if role != "assistant":
            what = f"'{role}'" if isinstance(role, str) else "missing"
            yield Problem("TL701", f"the output message's role must be 'assistant' ({what})",
                          pointer=mp + "/role" if "role" in m else mp)
        content = m.get("content")
        if content is None and not m.get("tool_calls"):
            yield Problem("TL701", "the output message has no `content`", pointer=mp)
        elif content is not None and not isinstance(content, (str, list)):
            yield Problem("TL701", f"`content` must be a string or a list of parts, not "
                          f"{json_type(content)}", pointer=mp + "/content")


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    obj = ctx.obj
    inp = obj.get("input")
    if "input" not in obj:
        yield Problem("TL701", "a preference example needs `input` with `messages`", pointer="")
    elif not isinstance(inp, dict):
        yield Problem("TL701", f"`input` must be an object with `messages`, not {json_type(inp)}",
                      pointer="/input")
    elif "messages" not in inp:
        yield Problem("TL701", "`input` has no `messages`", pointer="/input", part="key")
    elif not isinstance(inp["messages"], list):
        yield Problem("TL701", f"`input.messages` must be a list, not "
                      f"{json_type(inp['messages'])}", pointer="/input/messages")
    elif not inp["messages"]:
        yield Problem("TL701", "`input.messages` is empty", pointer="/input/messages")
    for key, legacy in OUTPUTS:
        if key in obj:
            yield from _output(obj[key], key)
        elif legacy in obj:
            yield Problem(
                "TL701", f"`{legacy}` is the spec's name; the fine-tuning guide and other "
                f"providers use `{key}`", pointer=f"/{legacy}", part="key",
                severity=Severity.WARNING,
                fix=Fix(f"Rename to `{key}`", safe=True,
                        edits=(Edit(f"/{legacy}", "key", f'"{key}"'),)))
            yield from _output(obj[legacy], legacy)
        else:
            yield Problem("TL701", f"missing `{key}` (a list with one assistant message)",
                          pointer="")


RULE = Rule(
    code="TL701",
    name="dpo-shape",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({PREFERENCE}),
    fix="sometimes",
    doc=__doc__,
)
