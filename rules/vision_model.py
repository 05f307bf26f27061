r"""Images in a dataset for a model that cannot be fine-tuned on images.

## What it does
When the dataset has examples with images and the configured `model` is known not to support
vision fine-tuning (per tunelint's model registry), reports it once, at the first example with
an image. Unknown models are not reported.

## Why is this bad?
Vision fine-tuning is available only for some models (gpt-4o-2024-08-06, gpt-4.1-2025-04-14);
for the others the job fails or the images are not trained on.

## Example
```jsonl {"model": "gpt-4o-mini-2024-07-18"}
{"messages": [{"role": "user", "content": [{"type": "text", "text": "What animal is this?"}, {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}, {"role": "assistant", "content": "A cat."}]}
```

Use instead:
```jsonl {"model": "gpt-4o-2024-08-06"}
{"messages": [{"role": "user", "content": [{"type": "text", "text": "What animal is this?"}, {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}, {"role": "assistant", "content": "A cat."}]}
```

## Fix
None: choose a vision model (the `model` setting) or remove the images.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from tunelint.context import DatasetView
from tunelint.models import get_model, known_models
from tunelint.rules import Problem, Rule, Severity


@cache
def _vision_models() -> tuple[str, ...]:
    out = []
    for name in known_models():
        info = get_model(name)
        if info is not None and info.supports_vision:
            out.append(name)
    return tuple(out)


def check(ds: DatasetView, opts: dict[str, Any]) -> Iterator[Problem]:
    model = ds.run.model
    if model is None or model.supports_vision:
        return
    n = ds.image_example_count()
    if n == 0:
        return
    first = 0
    for i in range(ds.line_count):
        if '"image_url"' in ds.line_text(i):
            first = i
            break
    choices = ", ".join(_vision_models()) or "a vision model"
    yield Problem("TL606", f"{n:,} example{'s' if n != 1 else ''} contain images, but "
                  f"{model.name} cannot be fine-tuned on images (use {choices})",
                  line=first, pointer="")


RULE = Rule(
    code="TL606",
    name="vision-model",
    severity=Severity.WARNING,
    scope="dataset",
    check=check,
    doc=__doc__,
)
