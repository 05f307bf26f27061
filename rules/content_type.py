"""Message content of the wrong type or shape.

## What it does
Reports `content` that is neither a string nor a non-empty array of content parts, and parts
that are malformed: a part that is not an object, has no `type`, has a type fine-tuning does not
take, a `text` part whose `text` is not a string, an `image_url` part without an
`image_url.url` string, or a `refusal` part outside an assistant message. Parts may be `text` and
`image_url` (and `refusal` for the assistant); where images may appear is checked by the image
rules. The deprecated `function` message takes a string only.

## Why is this bad?
The API rejects such a line. Numbers and objects as content are a common result of building the
file from a spreadsheet or of forgetting to serialise a value.

## Example
```jsonl
{"messages": [{"role": "user", "content": [{"type": "text", "content": "What is this?"}]}, {"role": "assistant", "content": 42}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": [{"type": "text", "text": "What is this?"}]}, {"role": "assistant", "content": "42"}]}
```

## Fix
None.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import Problem, Rule, Severity
from tunelint.rules._chat import odd_content, type_name

_PART_TYPES = frozenset({"text", "image_url", "refusal"})


def _parts(parts: list[Any], role: Any, pointer: str) -> Iterator[Problem]:
    if not parts:
        yield Problem("TL402", "`content` is an empty array: use a string or at least one part",
                      pointer=pointer)
        return
    for j, part in enumerate(parts):
        pp = f"{pointer}/{j}"
        if type(part) is not dict:
            yield Problem("TL402", f"content part {j} is {type_name(part)}: each part must be "
                          "an object such as {\"type\": \"text\", \"text\": \"...\"}", pointer=pp)
            continue
        kind = part.get("type")
        if kind is None:
            yield Problem("TL402", f"content part {j} has no `type`: use \"text\" or "
                          "\"image_url\"", pointer=pp)
            continue
        if type(kind) is not str or kind not in _PART_TYPES:
            shown = kind if type(kind) is str else type_name(kind)
            yield Problem("TL402", f"content part type \"{shown}\" is not supported for "
                          "fine-tuning: use \"text\" or \"image_url\"", pointer=f"{pp}/type")
            continue
        if kind == "text":
            text = part.get("text")
            if type(text) is not str:
                where = f"{pp}/text" if "text" in part else pp
                found = type_name(text) if "text" in part else "missing"
                yield Problem("TL402", f"text part {j} needs a string `text` ({found})",
                              pointer=where)
        elif kind == "image_url":
            image = part.get("image_url")
            if type(image) is not dict:
                where = f"{pp}/image_url" if "image_url" in part else pp
                found = type_name(image) if "image_url" in part else "missing"
                yield Problem("TL402", f"image part {j} needs an `image_url` object with a "
                              f"`url` ({found})", pointer=where)
            elif type(image.get("url")) is not str:
                where = f"{pp}/image_url/url" if "url" in image else f"{pp}/image_url"
                yield Problem("TL402", f"image part {j} needs a string `image_url.url`",
                              pointer=where)
        else:  # refusal
            if role != "assistant":
                yield Problem("TL402", "refusal parts belong in assistant messages only",
                              pointer=f"{pp}/type")
            elif type(part.get("refusal")) is not str:
                where = f"{pp}/refusal" if "refusal" in part else pp
                yield Problem("TL402", f"refusal part {j} needs a string `refusal`",
                              pointer=where)


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    for _i, m, pointer in ctx.iter_messages():
        content = m.get("content")
        if content is None or type(content) is str:
            continue
        cp = f"{pointer}/content"
        role = m.get("role")
        if type(content) is list:
            if role == "function":
                yield Problem("TL402", "a function message's `content` must be a string (or "
                              "null), not an array", pointer=cp)
                continue
            yield from _parts(content, role, cp)
            continue
        yield Problem("TL402", f"`content` is {type_name(content)}: use a string (or an array "
                      "of text/image parts)", pointer=cp)


RULE = Rule(
    code="TL402",
    name="content-type",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({"chat", "preference", "reinforcement"}),
    doc=__doc__,
    applies=odd_content,
)
