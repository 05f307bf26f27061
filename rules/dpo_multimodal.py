r"""Image, audio or file content in a preference (DPO) example.

## What it does
Reports content parts other than text (`image_url`, `input_audio`, `file`) in the input or the
outputs of a DPO example.

## Why is this bad?
OpenAI's guide says preference fine-tuning is text-only: such examples are rejected.

## Example
```jsonl {"format": "preference"}
{"input": {"messages": [{"role": "user", "content": [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]}, "preferred_output": [{"role": "assistant", "content": "A cat."}], "non_preferred_output": [{"role": "assistant", "content": "A dog."}]}
```

Use instead:
```jsonl {"format": "preference"}
{"input": {"messages": [{"role": "user", "content": [{"type": "text", "text": "What animal says meow?"}]}]}, "preferred_output": [{"role": "assistant", "content": "A cat."}], "non_preferred_output": [{"role": "assistant", "content": "A dog."}]}
```

## Fix
None.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import PREFERENCE, Problem, Rule, Severity

from ._tooling import shape

_KINDS = {"image_url": "an image", "input_audio": "audio", "file": "a file"}


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    for _role, part, ptr in shape(ctx).media:
        kind = part.get("type")
        if kind in _KINDS:
            yield Problem("TL703", f"preference (DPO) training is text-only: this part is "
                          f"{_KINDS[kind]}", pointer=ptr)


RULE = Rule(
    code="TL703",
    name="dpo-multimodal",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({PREFERENCE}),
    doc=__doc__,
)
