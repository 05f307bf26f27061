r"""Preference (DPO) input whose last message is from the assistant.

## What it does
Reports a DPO example whose `input.messages` ends with an assistant message.

## Why is this bad?
The preferred and non-preferred outputs are the next assistant turn: the input must end where
the assistant is to answer (a user or tool message). Together's checker rejects such lines.

## Example
```jsonl {"format": "preference"}
{"input": {"messages": [{"role": "user", "content": "Capital of France?"}, {"role": "assistant", "content": "Paris."}]}, "preferred_output": [{"role": "assistant", "content": "Paris."}], "non_preferred_output": [{"role": "assistant", "content": "Lyon."}]}
```

Use instead:
```jsonl {"format": "preference"}
{"input": {"messages": [{"role": "user", "content": "Capital of France?"}]}, "preferred_output": [{"role": "assistant", "content": "Paris."}], "non_preferred_output": [{"role": "assistant", "content": "Lyon."}]}
```

## Fix
None: drop the last message or move it into the outputs yourself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import PREFERENCE, Problem, Rule, Severity


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    msgs = ctx.messages()
    if not msgs:
        return
    last = msgs[-1]
    if isinstance(last, dict) and last.get("role") == "assistant":
        yield Problem("TL702", "the input ends with an assistant message: the outputs are the "
                      "assistant's next turn, so end the input with the user's message",
                      pointer=f"/input/messages/{len(msgs) - 1}/role")


RULE = Rule(
    code="TL702",
    name="dpo-input-ends-assistant",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({PREFERENCE}),
    doc=__doc__,
)
