r"""More examples with images than the provider accepts in one file.

## What it does
Counts the examples that contain at least one image and reports when there are more than the
limit: 50,000 for OpenAI (profile limit `max_image_examples`; option `max_image_examples`
overrides it).

## Why is this bad?
OpenAI's vision fine-tuning guide caps a training file at 50,000 examples containing images.

## Example
```jsonl {"model": "gpt-4o-2024-08-06", "rules": {"image-examples-limit": {"max_image_examples": 1}}}
{"messages": [{"role": "user", "content": [{"type": "text", "text": "What animal is this?"}, {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}, {"role": "assistant", "content": "A cat."}]}
{"messages": [{"role": "user", "content": [{"type": "text", "text": "What animal is this?"}, {"type": "image_url", "image_url": {"url": "https://example.com/b.png"}}]}, {"role": "assistant", "content": "A dog."}]}
```

Use instead:
```jsonl {"model": "gpt-4o-2024-08-06", "rules": {"image-examples-limit": {"max_image_examples": 1}}}
{"messages": [{"role": "user", "content": [{"type": "text", "text": "What animal is this?"}, {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}, {"role": "assistant", "content": "A cat."}]}
{"messages": [{"role": "user", "content": "What animal says woof?"}, {"role": "assistant", "content": "A dog."}]}
```

## Fix
None: split the file or drop image examples.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import DatasetView
from tunelint.rules import Problem, Rule, Severity


def check(ds: DatasetView, opts: dict[str, Any]) -> Iterator[Problem]:
    limit = int(opts.get("max_image_examples") or ds.run.limits.get("max_image_examples")
                or 50_000)
    n = ds.image_example_count()
    if n > limit:
        yield Problem("TL605", f"{n:,} examples contain images; the {ds.run.settings.profile} "
                      f"profile accepts at most {limit:,} per file", line=0)


RULE = Rule(
    code="TL605",
    name="image-examples-limit",
    severity=Severity.ERROR,
    scope="dataset",
    check=check,
    options={"max_image_examples": None},
    doc=__doc__,
)
