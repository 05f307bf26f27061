r"""Inline (base64) image larger than the provider's per-image limit.

## What it does
Computes the decoded size of every base64 data-URL image from the length of its data (without
decoding it) and reports images over the limit: 10 MB for OpenAI and the other profiles
(profile limit `max_image_bytes`; option `max_bytes` overrides it).

## Why is this bad?
OpenAI skips images over 10 MB ("image too large") and Together rejects the file, so the
example trains without its image or not at all.

## Example
```jsonl {"model": "gpt-4o-2024-08-06", "rules": {"image-too-large": {"max_bytes": 10}}}
{"messages": [{"role": "user", "content": [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"}}]}, {"role": "assistant", "content": "A red pixel."}]}
```

Use instead:
```jsonl {"model": "gpt-4o-2024-08-06", "rules": {"image-too-large": {"max_bytes": 10}}}
{"messages": [{"role": "user", "content": [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": "https://example.com/pixel.png"}}]}, {"role": "assistant", "content": "A red pixel."}]}
```

## Fix
None: resize or recompress the image.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import CHAT, PREFERENCE, REINFORCEMENT, Problem, Rule, Severity

from ._images import decoded_size, image_parts, parse_data_url

DEFAULT_MAX = 10 * 1024 * 1024


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 100_000 else f"{n:,} bytes"


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    limit = int(opts.get("max_bytes") or ctx.limits.get("max_image_bytes") or DEFAULT_MAX)
    for img in image_parts(ctx):
        url = img.url
        if url is None or len(url) * 3 // 4 <= limit:
            continue
        data = parse_data_url(url)
        if data is None or not data.base64:
            continue
        size = decoded_size(url[data.payload_start:])
        if size > limit:
            yield Problem("TL603", f"the image is {_mb(size)} decoded; the limit is {_mb(limit)}",
                          pointer=img.url_pointer)


RULE = Rule(
    code="TL603",
    name="image-too-large",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({CHAT, PREFERENCE, REINFORCEMENT}),
    options={"max_bytes": None},
    doc=__doc__,
)
