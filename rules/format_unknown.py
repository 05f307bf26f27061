"""Line matches no known dataset format.

## What it does
Reports an object whose keys fit none of the formats tunelint knows: chat (`messages`),
reinforcement (`messages` plus grader fields), preference/DPO (`input`, `preferred_output`,
`non_preferred_output`) and legacy completion (`prompt`, `completion`). It suggests the key you
probably meant.

## Why is this bad?
The fine-tuning API cannot tell what such a line teaches and rejects the file.

## Example
```jsonl
{"mesages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
```

## Fix
Unsafe, when a key is one typo away from a known one: rename it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

import orjson

from tunelint.context import LineContext
from tunelint.formats import FORMAT_HELP
from tunelint.jsonscan import join_pointer
from tunelint.rules import Edit, Fix, Problem, Rule, Severity

KNOWN_KEYS = ["messages", "input", "preferred_output", "non_preferred_output", "prompt",
              "completion", "tools"]


def check(ctx: LineContext, opts: dict[str, Any]) -> Iterator[Problem]:
    if not isinstance(ctx.obj, dict) or ctx.facts.get("detected_format") is not None:
        return
    if ctx.run.settings.format != "auto":
        return  # with a configured format the format's own rules explain what is missing
    for key in ctx.obj:
        close = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.75)
        if close and close[0] not in ctx.obj:
            yield Problem(
                "TL105",
                f"unknown format: did you mean `{close[0]}` instead of `{key}`? ({FORMAT_HELP})",
                pointer=join_pointer("", key),
                part="key",
                fix=Fix(f"Rename `{key}` to `{close[0]}`", safe=False,
                        edits=(Edit(join_pointer("", key), "key",
                                    orjson.dumps(close[0]).decode()),)),
            )
            return
    keys = ", ".join(f"`{k}`" for k in list(ctx.obj)[:6]) or "no keys"
    yield Problem("TL105", f"unknown format: the line has {keys}; {FORMAT_HELP}", pointer="")


RULE = Rule(
    code="TL105",
    name="format-unknown",
    severity=Severity.ERROR,
    scope="line",
    check=check,
    fix="unsafe",
    doc=__doc__,
)
