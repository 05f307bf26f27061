r"""Image URL that is neither http(s) nor a JPEG/PNG/WEBP base64 data URL, or a bad `detail`.

## What it does
Checks each `image_url` part:

- the URL must be `http://` or `https://`, or `data:image/jpeg|png|webp;base64,…`;
- for a data URL, the base64 must decode, the decoded bytes must be the declared type (checked
  by their magic bytes), and a PNG must be RGB or RGBA (read from its header);
- `detail`, when present, must be `auto`, `low` or `high`.

Option `allow_http_urls` (default true): set false where only data URLs are accepted (the
`together` profile does).

## Why is this bad?
OpenAI accepts JPEG, PNG and WEBP in RGB or RGBA only and skips images it cannot read; Together
accepts only base64 data URLs. A mislabelled or corrupt image is dropped (or fails the job)
only after upload.

## Example
```jsonl {"model": "gpt-4o-2024-08-06"}
{"messages": [{"role": "user", "content": [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": "data:image/gif;base64,R0lGODlhAQABAAAAACw=", "detail": "medium"}}]}, {"role": "assistant", "content": "A pixel."}]}
```

Use instead:
```jsonl {"model": "gpt-4o-2024-08-06"}
{"messages": [{"role": "user", "content": [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": "https://example.com/pixel.png", "detail": "low"}}]}, {"role": "assistant", "content": "A pixel."}]}
```

## Fix
Safe when a data URL declares the wrong one of the supported types: declare the type the bytes
have.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from tunelint.context import ExampleContext
from tunelint.rules import CHAT, PREFERENCE, REINFORCEMENT, Edit, Fix, Problem, Rule, Severity

from ._images import (
    SUPPORTED,
    check_payload,
    has_parts,
    image_parts,
    parse_data_url,
    png_mode,
    sniff,
)
from ._positions import offset_in_string
from ._tooling import json_type

DETAILS = ("auto", "low", "high")


def _url_problems(url: str, ptr: str, ctx: ExampleContext, allow_http: bool
                  ) -> Iterator[Problem]:
    low = url[:8].lower()
    if low.startswith(("http://", "https://")):
        if not allow_http:
            yield Problem("TL602", "this provider needs images inline as base64 data URLs "
                          "(data:image/png;base64,…), not http(s) links", pointer=ptr)
        return
    data = parse_data_url(url)
    if data is None:
        shown = url[:40] + ("…" if len(url) > 40 else "")
        yield Problem("TL602", f"image URL '{shown}' is neither http(s) nor a base64 data URL",
                      pointer=ptr)
        return
    head_span = offset_in_string(ctx.text, ptr, len(url), 0, data.payload_start)
    if data.mime not in SUPPORTED:
        hint = "; write image/jpeg" if data.mime == "image/jpg" else ""
        yield Problem("TL602", f"'{data.mime or 'no type'}' is not supported: use image/jpeg, "
                      f"image/png or image/webp{hint}", pointer=ptr, span=head_span)
        if data.mime != "image/jpg":
            return
    if not data.base64:
        yield Problem("TL602", "the data URL is not base64 (add ';base64')", pointer=ptr,
                      span=head_span)
        return
    error, head = check_payload(url[data.payload_start:])
    if error:
        yield Problem("TL602", error, pointer=ptr)
        return
    actual = sniff(head)
    declared = "image/jpeg" if data.mime == "image/jpg" else data.mime
    if actual is None:
        yield Problem("TL602", f"the data is not a {declared} image (unknown magic bytes)",
                      pointer=ptr)
        return
    if actual != declared:
        fix = None
        if actual in SUPPORTED:
            prefix = url[: data.payload_start].lower().replace(data.mime, actual, 1)
            new = prefix + url[data.payload_start:]
            fix = Fix(f"Declare {actual}", safe=True,
                      edits=(Edit(ptr, "value", orjson.dumps(new).decode()),))
        yield Problem("TL602", f"the URL declares {data.mime} but the data is {actual}",
                      pointer=ptr, span=head_span, fix=fix)
        if actual not in SUPPORTED:
            return
    if actual == "image/png":
        mode = png_mode(head)
        if mode is not None and mode not in ("RGB", "RGBA"):
            yield Problem("TL602", f"the PNG is {mode}: images must be RGB or RGBA",
                          pointer=ptr)


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    allow_http = opts.get("allow_http_urls", True) is not False
    for img in image_parts(ctx):
        image = img.image
        if not isinstance(image, dict):
            continue  # content-type reports a malformed part
        url = image.get("url")
        if isinstance(url, str):
            yield from _url_problems(url, img.url_pointer, ctx, allow_http)
        if "detail" in image and image["detail"] not in DETAILS:
            d = image["detail"]
            shown = f"'{d}'" if isinstance(d, str) else json_type(d)
            yield Problem("TL602", f"detail {shown} is not one of auto, low, high",
                          pointer=img.pointer + "/image_url/detail")


RULE = Rule(
    code="TL602",
    name="image-format",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({CHAT, PREFERENCE, REINFORCEMENT}),
    fix="sometimes",
    options={"allow_http_urls": True},
    doc=__doc__,
    applies=has_parts,
)
